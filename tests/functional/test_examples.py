"""Every script in examples/ runs as a user would run it and computes the right thing.

Each example runs in a fresh interpreter (``python examples/<name>.py``) and must exit 0
and print the lines that prove its workflow worked. A new example without an entry in
EXPECTED fails ``test_every_example_has_a_check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"

EXPECTED: dict[str, tuple[str, ...]] = {
    "linear_pipeline": (
        'paid = [{"id": "A-1", "total": 50.0}, {"id": "A-3", "total": 80.0}, '
        '{"id": "A-4", "total": 26.0}]',
        'summary = "3 paid orders, revenue 156.0"',
        "events: start ",
    ),
    "branching": ("decision for B-7: review", "decision for B-8: approved"),
    "loop_with_exit": ("seen = [1, 2, 3, 4, 5]", 'message = "stopped at 5"'),
    "fan_out_join": (
        'checks = ["fraud: score 0.04", "inventory: 2 in stock", "shipping: NL"]',
        'verdict = "3 of 3 checks done, ship it"',
    ),
    "custom_node": (
        'stats = {"words": 14, "top": ["the", "cat"]}',
        'headline = "14 words, mostly the and cat"',
    ),
    "langgraph_script": (
        "total = 36.0",
        'label = "36.0 after 10% off"',
        "events: defaults ",
    ),
    "demo": (
        "library-mode demo",
        '"summary": "3 paid orders, revenue 156.0"',
        '"decision": "review"',
        "ok decide (",
        '"verdict": "3 of 3 checks done, ship it"',
    ),
}


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_every_example_has_a_check() -> None:
    assert set(EXPECTED) == set(example_names())


@pytest.mark.parametrize("name", example_names())
def test_example_runs_and_computes_its_result(name: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"{name}.py failed:\n{proc.stderr}"
    for expected in EXPECTED.get(name, ()):
        assert expected in proc.stdout, f"{name}.py did not print {expected!r}:\n{proc.stdout}"
