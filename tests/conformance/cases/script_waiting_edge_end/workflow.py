"""A waiting edge into END: the run ends once both branches have run.

``add_edge(["a", "b"], END)``, as in langgraph's tests/test_pregel.py
(test_in_one_fan_out_state_graph_waiting_edge and friends use a list of sources).
"""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    path: Annotated[list[str], operator.add]


def start(state: State) -> dict:
    return {"path": ["start"]}


def a(state: State) -> dict:
    return {"path": ["a"]}


def b(state: State) -> dict:
    return {"path": ["b"]}


graph = StateGraph(State)
graph.add_node("start", start)
graph.add_node("a", a)
graph.add_node("b", b)
graph.add_edge(START, "start")
graph.add_edge("start", "a")
graph.add_edge("start", "b")
graph.add_edge(["a", "b"], END)
