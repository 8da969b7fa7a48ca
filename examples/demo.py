"""The library-mode demo that `make dev` runs: three workflows, their events streamed live.

Orcheo's local server (API, scheduler and canvas) arrives in a later issue; until then
this shows the engine on its own. Each line below is printed as the event happens.

    .venv/bin/python examples/demo.py
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import branching
import fan_out_join
import linear_pipeline

from orcheo_core import LocalEngine, RunEvent

RUNS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (linear_pipeline.WORKFLOW, {"orders": linear_pipeline.ORDERS}),
    (branching.WORKFLOW, branching.ORDERS[0]),
    (fan_out_join.WORKFLOW, {"order": fan_out_join.ORDER}),
]


def progress_line(event: RunEvent) -> str | None:
    """One readable line per event (None for events not worth a line)."""
    data = event.data
    if event.type == "run.started":
        return f"  run started with inputs: {', '.join(data['inputs']) or 'none'}"
    if event.type == "node.started":
        return f"    > {event.node}"
    if event.type == "node.succeeded":
        output = data.get("output")
        wrote = f" wrote {', '.join(output)}" if isinstance(output, dict) and output else ""
        return f"    ok {event.node} ({data['duration'] * 1000:.1f}ms){wrote}"
    if event.type in ("node.failed", "node.retrying"):
        return f"    !! {event.node} {event.type}: {data['error']['message']}"
    if event.type == "run.succeeded":
        return f"  run succeeded in {data['duration'] * 1000:.1f}ms"
    if event.type in ("run.failed", "run.cancelled"):
        return f"  run {event.type[4:]}: {data['error']['message']}"
    return None


async def main() -> None:
    print("Orcheo library-mode demo: the engine running workflows in this process.")
    print("(The local server with the API and the canvas arrives in a later issue.)\n")
    engine = LocalEngine()
    for workflow, inputs in RUNS:
        print(f"== {workflow['name']}")
        final: dict[str, Any] = {}
        async for event in engine.stream(workflow, inputs):
            line = progress_line(event)
            if line:
                print(line, flush=True)
            if event.type == "run.succeeded":
                final = event.data["state"]
        added = {k: v for k, v in final.items() if k not in inputs}
        print(f"  final state (beyond the inputs): {json.dumps(added, default=str)}\n")


if __name__ == "__main__":
    asyncio.run(main())
