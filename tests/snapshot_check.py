"""The one snapshot check: a missing snapshot FAILS (it is never quietly re-created).

``UPDATE_SNAPSHOTS=1`` writes the current value first (a reviewed diff); without it a
missing or different snapshot is a failure that says how to accept the change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest


def check_snapshot(path: Path, current: str, rerun: str) -> None:
    """Fail unless ``path`` holds exactly ``current``; ``rerun`` is the pytest target the
    message tells the reader to run with UPDATE_SNAPSHOTS=1."""
    how = f"`UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest {rerun}`"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot at {path}; create it with {how} and review it")
    stored = path.read_text(encoding="utf-8")
    if stored != current:
        diff = difflib.unified_diff(
            stored.splitlines(), current.splitlines(), "snapshot", "current", lineterm=""
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            f"{path.name} changed. If the change is intended, review it and accept it "
            f"with {how}:\n{shown}"
        )
