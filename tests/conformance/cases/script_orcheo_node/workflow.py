"""Orcheo nodes (set_variable, data_transform) inside a plain LangGraph StateGraph."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

from orcheo_core.graph import orcheo_node


class State(TypedDict):
    orders: list[dict]
    lines: list[dict]
    count: int
    label: str
    log: Annotated[list[str], operator.add]


def load(state: State) -> dict:
    return {"log": ["load"]}


def report(state: State) -> dict:
    return {"log": [f"report {state['label']}"]}


graph = StateGraph(State)
graph.add_node("load", load)
graph.add_node(
    "shape",
    orcheo_node(
        "data_transform",
        {
            "source": "orders",
            "output": "lines",
            "operations": [
                {
                    "op": "filter",
                    "conditions": [{"left": "{{ item.qty }}", "operator": "gt", "right": 0}],
                },
                {"op": "map", "fields": {"total": "{{ item.qty * item.price }}"}},
                {"op": "drop", "fields": ["price"]},
            ],
        },
        node_id="shape",
    ),
)
graph.add_node(
    "label",
    orcheo_node(
        "set_variable",
        {
            "values": {
                "count": "{{ state.lines | length }}",
                "label": "{{ state.lines | length }} lines",
            }
        },
        node_id="label",
    ),
)
graph.add_node("report", report)
graph.add_edge(START, "load")
graph.add_edge("load", "shape")
graph.add_edge("shape", "label")
graph.add_edge("label", "report")
graph.add_edge("report", END)
