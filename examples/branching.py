"""Branching with If/Else: high-value orders go to review, the rest are auto-approved.

The If/Else node follows its `true` or `false` route; each route ends in its own Set
Variable node. The same workflow runs twice, once for each kind of order.

    .venv/bin/python examples/branching.py
"""

from __future__ import annotations

from _report import show

from orcheo_core import LocalEngine, compile_workflow

ORDERS = [{"order_id": "B-7", "amount": 2500}, {"order_id": "B-8", "amount": 40}]

WORKFLOW = {
    "name": "order approval",
    "nodes": [
        {
            "id": "start",
            "type": "manual_trigger",
            "config": {"inputs": {"order_id": {"type": "string"}, "amount": {"type": "number"}}},
        },
        {
            "id": "is_high_value",
            "type": "if_else",
            "config": {
                "conditions": [{"left": "{{ state.amount }}", "operator": "gte", "right": 1000}]
            },
        },
        {
            "id": "review",
            "type": "set_variable",
            "config": {"values": {"decision": "review", "note": "{{ state.order_id }}: manager"}},
        },
        {
            "id": "approve",
            "type": "set_variable",
            "config": {"values": {"decision": "approved", "note": "{{ state.order_id }}: auto"}},
        },
    ],
    "edges": [
        {"source": "start", "target": "is_high_value"},
        {"source": "is_high_value", "routes": {"true": "review", "false": "approve"}},
        {"source": "review", "target": "END"},
        {"source": "approve", "target": "END"},
    ],
}

if __name__ == "__main__":
    engine = LocalEngine()
    workflow = compile_workflow(WORKFLOW)  # built once, run for both inputs
    for order in ORDERS:
        result = engine.run_sync(workflow, order)
        state = show(f"branching amount={order['amount']}", result)
        print(f"decision for {state['order_id']}: {state['decision']}")
