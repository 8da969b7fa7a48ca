"""Command(goto=...) from nodes with no static out-edges and no return annotation.

LangGraph's docs ("Command" in the low-level concepts) show the annotation as a hint
for drawing the graph; at run time the goto alone routes. Adapted from langgraph's
tests/test_pregel.py test_command_* cases.
"""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import Command


class State(TypedDict):
    n: int
    path: Annotated[list[str], operator.add]


def first(state: State):
    return Command(update={"path": ["first"]}, goto="second")


def second(state: State):
    return Command(update={"path": ["second"], "n": state["n"] + 1}, goto="third")


def third(state: State):
    return {"path": ["third"]}


graph = StateGraph(State)
graph.add_node("first", first)
graph.add_node("second", second)
graph.add_node("third", third)
graph.add_edge(START, "first")
