"""A plain LangGraph StateGraph that mixes Orcheo nodes with ordinary Python functions.

`orcheo_node(...)` turns a built-in node (with its templated config) into a LangGraph
node function. LocalEngine runs the graph and reports an event for every node,
Orcheo or not.

    .venv/bin/python examples/langgraph_script.py
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from _report import show
from langgraph.graph import END, START, StateGraph

from orcheo_core import LocalEngine, orcheo_node


class State(TypedDict, total=False):
    prices: list[float]
    discount: float
    discounted: list[float]
    total: float
    log: Annotated[list[str], operator.add]
    label: str


def apply_discount(state: State) -> dict[str, Any]:
    """An ordinary Python node."""
    factor = 1 - state["discount"]
    return {"discounted": [round(p * factor, 2) for p in state["prices"]], "log": ["discounted"]}


async def add_up(state: State) -> dict[str, Any]:
    """An ordinary async Python node."""
    return {"total": round(sum(state["discounted"]), 2), "log": ["summed"]}


graph = StateGraph(State)
graph.add_node("defaults", orcheo_node("set_variable", {"values": {"discount": 0.1}}))
graph.add_node("apply_discount", apply_discount)
graph.add_node("add_up", add_up)
graph.add_node(
    "label",
    orcheo_node("set_variable", {"values": {"label": "{{ state.total }} after 10% off"}}),
)
graph.add_edge(START, "defaults")
graph.add_edge("defaults", "apply_discount")
graph.add_edge("apply_discount", "add_up")
graph.add_edge("add_up", "label")
graph.add_edge("label", END)

if __name__ == "__main__":
    result = LocalEngine().run_sync(graph, {"prices": [10.0, 24.5, 5.5]})
    show("langgraph script", result)
