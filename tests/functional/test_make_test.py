"""`make test` runs every tier even when one fails, and ends with a summary of all.

The tiers' commands are replaced by stand-ins (a fake interpreter for pytest, fake
``npm``/``npx`` for vitest) so this checks the Makefile's runner, not the tiers; the
prerequisites (venv, canvas, synth, assets) are marked up to date with ``make -o``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREREQUISITES = [
    ".venv/.orcheo-synced",
    "bubblewrap",
    "canvas",
    "browser",
    "synth",
    "lambda-assets-host",
]


def _fake(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def _make_test(tmp_path: Path, failing: str) -> subprocess.CompletedProcess[str]:
    """``make test`` whose tiers log their arguments; the pytest tier whose marker
    expression is ``failing`` exits 1, vitest exits per $VITEST_EXIT."""
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    python = _fake(
        tmp_path / "python",
        f'echo "pytest $*" >> {log}\ncase "$*" in *"-m {failing}"*) exit 1;; esac\nexit 0',
    )
    _fake(bin_dir / "npm", "exit 0")
    _fake(bin_dir / "npx", f'echo "npx $*" >> {log}\nexit "${{VITEST_EXIT:-0}}"')
    skip = [arg for target in PREREQUISITES for arg in ("-o", target)]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["make", "--no-print-directory", *skip, "test", f"VPY={python}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    done.stdout += "\n" + (log.read_text() if log.exists() else "")
    return done


def test_a_failing_first_tier_does_not_stop_the_others(tmp_path: Path) -> None:
    done = _make_test(tmp_path, failing="e2e")
    assert done.returncode != 0, done.stdout + done.stderr
    calls = done.stdout.rsplit("\n", 4)[-4:]
    assert any("-m e2e" in c for c in calls), done.stdout
    assert any(c.startswith("npx vitest run") for c in calls), done.stdout
    assert any("-m not e2e" in c for c in calls), done.stdout
    summary = done.stdout.split("==> test summary", 1)[1]
    assert "FAILED  e2e" in summary
    assert "passed  canvas unit" in summary
    assert "passed  all tiers but e2e" in summary


def test_every_tier_passing_passes(tmp_path: Path) -> None:
    done = _make_test(tmp_path, failing="nothing-fails")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("==> test summary", 1)[1]
    assert summary.count("passed  ") == 3, summary


def test_a_failing_last_tier_fails_the_run(tmp_path: Path) -> None:
    done = _make_test(tmp_path, failing="not e2e")
    assert done.returncode != 0
    summary = done.stdout.split("==> test summary", 1)[1]
    assert "passed  e2e" in summary and "FAILED  all tiers but e2e" in summary
