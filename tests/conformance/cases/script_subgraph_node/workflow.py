"""A compiled graph used as one node of a parent graph (shared state keys)."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    text: str
    log: Annotated[list[str], operator.add]
    word_count: int


def normalise(state: State) -> dict:
    return {"text": " ".join(state["text"].split()).lower(), "log": ["child.normalise"]}


def count(state: State) -> dict:
    return {"word_count": len(state["text"].split()), "log": ["child.count"]}


child = StateGraph(State)
child.add_node("normalise", normalise)
child.add_node("count", count)
child.add_edge(START, "normalise")
child.add_edge("normalise", "count")
child.add_edge("count", END)


def prepare(state: State) -> dict:
    return {"text": state["text"] + "  And Then Some", "log": ["prepare"]}


def report(state: State) -> dict:
    return {"log": [f"report:{state['word_count']}"]}


graph = StateGraph(State)
graph.add_node("prepare", prepare)
graph.add_node("clean", child.compile())
graph.add_node("report", report)
graph.add_edge(START, "prepare")
graph.add_edge("prepare", "clean")
graph.add_edge("clean", "report")
graph.add_edge("report", END)
