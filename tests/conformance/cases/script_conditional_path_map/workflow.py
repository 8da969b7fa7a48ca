"""add_conditional_edges with a path_map, looping until the route says done (Collatz)."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int
    trail: Annotated[list[int], operator.add]


def start(state: State) -> dict:
    return {"trail": [state["n"]]}


def halve(state: State) -> dict:
    n = state["n"] // 2
    return {"n": n, "trail": [n]}


def triple(state: State) -> dict:
    n = 3 * state["n"] + 1
    return {"n": n, "trail": [n]}


def parity(state: State) -> str:
    if state["n"] == 1:
        return "done"
    return "even" if state["n"] % 2 == 0 else "odd"


PATHS = {"even": "halve", "odd": "triple", "done": END}

graph = StateGraph(State)
graph.add_node("start", start)
graph.add_node("halve", halve)
graph.add_node("triple", triple)
graph.add_edge(START, "start")
for source in ("start", "halve", "triple"):
    graph.add_conditional_edges(source, parity, PATHS)
