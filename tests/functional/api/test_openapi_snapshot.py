"""The OpenAPI document is a contract: any change to it is a reviewed diff of the snapshot."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

from functions.local import LocalStack

SNAPSHOT = Path(__file__).parents[2] / "snapshots" / "openapi.json"


def _render(stack: LocalStack) -> str:
    doc = stack.app.openapi()
    # The package version is not part of the contract; releases should not churn the snapshot.
    doc["info"]["version"] = "<orcheo_core.__version__>"
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_openapi_document_matches_the_snapshot(stack: LocalStack) -> None:
    current = _render(stack)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(current, encoding="utf-8")
    if not SNAPSHOT.exists():
        pytest.fail(f"no snapshot at {SNAPSHOT}; create it with UPDATE_SNAPSHOTS=1 and review it")
    stored = SNAPSHOT.read_text(encoding="utf-8")
    if stored != current:
        diff = difflib.unified_diff(
            stored.splitlines(), current.splitlines(), "snapshot", "current", lineterm=""
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            "the OpenAPI document changed. If the change is intended, review it and accept it "
            "with `UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest "
            f"tests/functional/api/test_openapi_snapshot.py`:\n{shown}"
        )
