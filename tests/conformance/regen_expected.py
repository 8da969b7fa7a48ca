"""Recompute ``expected_state`` of every script case from LangGraph itself.

For a script case the contract is whatever LangGraph returns, so the expected state
is generated (``graph.compile().ainvoke(inputs)``), never written by hand. Run from
the repository root::

    .venv/bin/python -m tests.conformance.regen_expected

Cases that declare ``expected_state_sha256`` (large states) get the sha256 of the
canonical JSON instead of the full state; their ``expected_state_spot`` values are
hand-written and only checked here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from .corpus import Case, as_json, json_pointer, load_cases, state_sha256

__all__ = ["langgraph_result", "main", "regenerate"]


async def langgraph_result(case: Case) -> dict[str, Any]:
    """LangGraph's own final state for a script case, as JSON.

    ``ainvoke`` rather than ``invoke``: Orcheo nodes used in a script are async.
    """
    graph = case.load_graph()
    return as_json(await graph.compile().ainvoke(case.inputs))


async def regenerate(case: Case) -> dict[str, Any]:
    """The case's metadata with its expected values recomputed."""
    meta = dict(case.meta)
    if "expected_error" in meta:
        # LangGraph raises; its exception is checked by the corpus test, the Orcheo
        # error code and node are written by hand.
        return meta
    state = await langgraph_result(case)
    if "expected_state_sha256" in meta:
        meta["expected_state_sha256"] = state_sha256(state)
        for pointer, want in meta.get("expected_state_spot", {}).items():
            got = json_pointer(state, pointer)
            if got != want:
                raise SystemExit(f"{case.name}: spot {pointer} is {got!r}, case says {want!r}")
    else:
        meta["expected_state"] = state
    return meta


def main() -> int:
    changed = 0
    for case in load_cases():
        if not case.is_script:
            continue
        meta = asyncio.run(regenerate(case))
        if meta != case.meta:
            (case.path / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
            changed += 1
            print(f"updated {case.name}")
    print(f"{changed} case(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
