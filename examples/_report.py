"""Shared printing for the examples: the final state and a one-line event summary."""

from __future__ import annotations

import json
from typing import Any

from orcheo_core import RunEvent, RunResult


def event_summary(events: list[RunEvent]) -> str:
    """``a 0.1ms -> b 0.3ms -> ...``: every node that finished, in order, with its duration."""
    steps = [
        f"{ev.node} {ev.data['duration'] * 1000:.1f}ms"
        for ev in events
        if ev.type == "node.succeeded"
    ]
    return " -> ".join(steps) or "(no nodes ran)"


def show(title: str, result: RunResult, keys: list[str] | None = None) -> dict[str, Any]:
    """Print a run's outcome, final state (or only ``keys`` of it) and its node order."""
    state = result.raise_for_status()
    shown = state if keys is None else {k: state.get(k) for k in keys}
    print(f"== {title}: {result.status} in {result.duration * 1000:.1f}ms")
    print("final state:")
    for key, value in shown.items():
        print(f"  {key} = {json.dumps(value, default=str)}")
    print("events:", event_summary(result.events))
    return state
