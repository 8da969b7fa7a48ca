"""Fan-out and join: three checks run in parallel, then one node decides.

`start` has three outgoing edges, so `inventory`, `fraud` and `shipping` run in the
same superstep. Each appends its finding to `checks`, an `append` channel, so the
parallel writes combine instead of conflicting. The join edge runs `decide` once,
after all three have finished.

    .venv/bin/python examples/fan_out_join.py
"""

from __future__ import annotations

from _report import show

from orcheo_core import LocalEngine

ORDER = {"id": "C-3", "qty": 2, "risk": 0.04, "country": "NL"}

WORKFLOW = {
    "name": "order checks",
    "state": {
        "order": {"description": "The order being checked."},
        "checks": {"reducer": "append", "default": []},
    },
    "nodes": [
        {"id": "start", "type": "manual_trigger", "config": {}},
        {
            "id": "inventory",
            "type": "set_variable",
            "config": {"values": {"checks": "inventory: {{ state.order.qty }} in stock"}},
        },
        {
            "id": "fraud",
            "type": "set_variable",
            "config": {"values": {"checks": "fraud: score {{ state.order.risk }}"}},
        },
        {
            "id": "shipping",
            "type": "set_variable",
            "config": {"values": {"checks": "shipping: {{ state.order.country }}"}},
        },
        {
            "id": "decide",
            "type": "set_variable",
            "config": {
                "values": {"verdict": "{{ state.checks | length }} of 3 checks done, ship it"}
            },
        },
    ],
    "edges": [
        {"source": "start", "target": "inventory"},
        {"source": "start", "target": "fraud"},
        {"source": "start", "target": "shipping"},
        {"sources": ["inventory", "fraud", "shipping"], "target": "decide"},
        {"source": "decide", "target": "END"},
    ],
}

if __name__ == "__main__":
    result = LocalEngine().run_sync(WORKFLOW, {"order": ORDER})
    show("fan-out join", result)
