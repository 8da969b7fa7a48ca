"""A linear canvas workflow: manual_trigger -> data_transform -> json_processing -> set_variable.

The trigger checks the inputs (an inline list of orders), Data Transform computes each
order's total and keeps the paid ones, JSON queries the sum with JMESPath, and Set
Variable writes a one-line summary.

    .venv/bin/python examples/linear_pipeline.py
"""

from __future__ import annotations

from _report import show

from orcheo_core import LocalEngine

ORDERS = [
    {"id": "A-1", "status": "paid", "price": 12.5, "qty": 4},
    {"id": "A-2", "status": "refunded", "price": 99.0, "qty": 1},
    {"id": "A-3", "status": "paid", "price": 40.0, "qty": 2},
    {"id": "A-4", "status": "paid", "price": 3.25, "qty": 8},
]

WORKFLOW = {
    "name": "paid order revenue",
    "nodes": [
        {
            "id": "start",
            "type": "manual_trigger",
            "config": {"inputs": {"orders": {"type": "array", "required": True}}},
        },
        {
            "id": "totals",
            "type": "data_transform",
            "config": {
                "source": "orders",
                "operations": [
                    {
                        "op": "filter",
                        "conditions": [{"left": "{{ item.status }}", "right": "paid"}],
                    },
                    {"op": "map", "fields": {"total": "{{ item.price * item.qty }}"}},
                    {"op": "pick", "fields": ["id", "total"]},
                ],
                "output": "paid",
            },
        },
        {
            "id": "revenue",
            "type": "json_processing",
            "config": {
                "operation": "query",
                "source": "paid",
                "expression": "sum([].total)",
                "output": "revenue",
            },
        },
        {
            "id": "summary",
            "type": "set_variable",
            "config": {
                "values": {
                    "summary": "{{ state.paid | length }} paid orders, revenue {{ state.revenue }}"
                }
            },
        },
    ],
    "edges": [
        {"source": "start", "target": "totals"},
        {"source": "totals", "target": "revenue"},
        {"source": "revenue", "target": "summary"},
        {"source": "summary", "target": "END"},
    ],
}

if __name__ == "__main__":
    result = LocalEngine().run_sync(WORKFLOW, {"orders": ORDERS})
    show("linear pipeline", result, keys=["paid", "revenue", "summary"])
