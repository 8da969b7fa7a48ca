"""Routing by returning Command(goto=...) instead of declaring edges."""

import operator
from typing import Annotated, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command


class State(TypedDict):
    amount: int
    decision: str
    path: Annotated[list[str], operator.add]


def triage(state: State) -> Command[Literal["auto_approve", "review"]]:
    target = "review" if state["amount"] > 100 else "auto_approve"
    return Command(update={"path": ["triage"]}, goto=target)


def review(state: State) -> Command[Literal["auto_approve", "reject"]]:
    # A second hop decided at run time: large amounts are rejected outright.
    target = "reject" if state["amount"] > 1000 else "auto_approve"
    return Command(update={"path": ["review"]}, goto=target)


def auto_approve(state: State) -> dict:
    return {"decision": "approved", "path": ["auto_approve"]}


def reject(state: State) -> Command[Literal["__end__"]]:
    return Command(update={"decision": "rejected", "path": ["reject"]}, goto=END)


graph = StateGraph(State)
graph.add_node("triage", triage)
graph.add_node("review", review)
graph.add_node("auto_approve", auto_approve)
graph.add_node("reject", reject)
graph.add_edge(START, "triage")
graph.add_edge("auto_approve", END)
