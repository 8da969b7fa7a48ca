"""A loop: a counter node, an If/Else back-edge that repeats it, and an exit.

`step` adds 1 to `count` and appends the value to `seen` (an `append` channel); the
If/Else sends the run back to `step` until `count` reaches `limit`, then to `done`.
`settings.max_steps` caps the supersteps, so a loop that never exits fails cleanly.

    .venv/bin/python examples/loop_with_exit.py
"""

from __future__ import annotations

from _report import show

from orcheo_core import LocalEngine

WORKFLOW = {
    "name": "count to a limit",
    "entry": "step",
    "state": {
        "count": {"default": 0},
        "limit": {"default": 3},
        "seen": {"reducer": "append", "default": []},
    },
    "nodes": [
        {
            "id": "step",
            "type": "set_variable",
            "config": {
                "values": {"count": "{{ state.count + 1 }}", "seen": "{{ state.count + 1 }}"}
            },
        },
        {
            "id": "again",
            "type": "if_else",
            "config": {"expression": "{{ state.count < state.limit }}"},
        },
        {
            "id": "done",
            "type": "set_variable",
            "config": {"values": {"message": "stopped at {{ state.count }}"}},
        },
    ],
    "edges": [
        {"source": "step", "target": "again"},
        {"source": "again", "routes": {"true": "step", "false": "done"}},
        {"source": "done", "target": "END"},
    ],
    "settings": {"max_steps": 50},
}

if __name__ == "__main__":
    result = LocalEngine().run_sync(WORKFLOW, {"limit": 5})
    show("loop with exit", result)
