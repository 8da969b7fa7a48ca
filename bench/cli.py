"""CPU seconds of the ``orcheo`` command: ``--help`` and simple commands, before and after.

Each case is one ``python -m orcheo_core.cli ...`` process; its CPU time (user + system,
from ``wait4``'s rusage) is what the command costs a user's machine, whatever the wall
clock does on a busy machine. ``before`` runs the same commands from a checkout of
``--before`` (a git revision, default the commit before the CLI imports went lazy),
``after`` from this tree; both talk to one local server started from this tree. Runs
are interleaved after a warm-up; medians and maxima are reported. Target: <= 0.3 CPU-s.

    python -m bench cli             # 15 runs per cell, writes bench/results/cli.json
    python -m bench cli --runs 5    # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "cli.json"
BEFORE = "22b7766"  # main before `import orcheo_core` went lazy
TARGET_CPU_S = 0.3
CASES: dict[str, list[str]] = {
    "--help": ["--help"],
    "runs --help": ["runs", "--help"],
    "workflows list": ["workflows", "list"],
    "runs list": ["runs", "list"],
    "tokens list": ["tokens", "list"],
}


def _cpu_seconds(tree: Path, args: list[str], env: dict[str, str]) -> float:
    proc = subprocess.Popen(
        [sys.executable, "-m", "orcheo_core.cli", *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    assert proc.returncode == 0, f"orcheo {' '.join(args)} in {tree}: {err}"
    return usage.ru_utime + usage.ru_stime


def _server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "functions.local", "--port", str(port), "--home", str(home)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", trust_env=False).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the local server never answered /api/health")


def _measure(runs: int, before: str) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="orcheo-bench-cli-") as tmp:
        old = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), before],
            check=True,
        )
        proc, url = _server(Path(tmp) / "home")
        try:
            token = (Path(tmp) / "home" / "admin-token").read_text().strip()
            # As on a user's machine, Python caches bytecode (round 0 writes it): a
            # PYTHONDONTWRITEBYTECODE in this environment would bill every run for
            # compiling the sources again.
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith("ORCHEO_") and k != "PYTHONDONTWRITEBYTECODE"
            }
            env.update({"ORCHEO_URL": url, "ORCHEO_TOKEN": token, "HOME": tmp})
            trees = {"before": old, "after": ROOT}
            samples: dict[str, dict[str, list[float]]] = {
                case: {side: [] for side in trees} for case in CASES
            }
            for round_ in range(runs + 1):  # round 0 warms the file cache
                for case, args in CASES.items():
                    sides = list(trees) if round_ % 2 else list(reversed(trees))
                    for side in sides:
                        cpu = _cpu_seconds(trees[side], args, env)
                        if round_:
                            samples[case][side].append(cpu)
        finally:
            proc.terminate()
            proc.wait()
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False
            )
            shutil.rmtree(old, ignore_errors=True)
    return {
        case: {
            side: {
                "median_cpu_s": round(statistics.median(values), 3),
                "max_cpu_s": round(max(values), 3),
            }
            for side, values in sides.items()
        }
        for case, sides in samples.items()
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cli", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", default=BEFORE, help="git revision measured as 'before'")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    cases = _measure(args.runs, args.before)
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": args.runs,
        "before": args.before,
        "target_cpu_s": TARGET_CPU_S,
        "cases": cases,
    }
    worst = 0.0
    for case, sides in cases.items():
        cells = "  ".join(
            f"{side} {v['median_cpu_s']:.3f} CPU-s (max {v['max_cpu_s']:.3f})"
            for side, v in sides.items()
        )
        worst = max(worst, sides["after"]["median_cpu_s"])
        print(f"cli {case:16} {cells}")
    if not args.no_write:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if worst <= TARGET_CPU_S else 1
