"""A conditional edge whose router is a plain function: no path map, no Literal.

The most common way to write one (LangGraph how-to "How to create branches": a router
returning a node name). Adapted from langgraph's tests/test_pregel.py conditional-edge
cases, where the router's return value alone names the next node.
"""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int
    path: Annotated[list[str], operator.add]


def start(state: State) -> dict:
    return {"path": ["start"]}


def route(state: State):
    return "big" if state["n"] > 10 else "small"


def big(state: State) -> dict:
    return {"path": ["big"]}


def small(state: State) -> dict:
    return {"path": ["small"]}


graph = StateGraph(State)
graph.add_node("start", start)
graph.add_node("big", big)
graph.add_node("small", small)
graph.add_edge(START, "start")
graph.add_conditional_edges("start", route)
graph.add_edge("big", END)
graph.add_edge("small", END)
