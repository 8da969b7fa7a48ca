"""a->b, a->c, c->d, b->e, d->e with no join: e runs once per superstep that reaches it."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    visits: Annotated[list[str], operator.add]
    e_saw: Annotated[list[list[str]], operator.add]


def visit(name: str):
    def node(state: State) -> dict:
        return {"visits": [name]}

    node.__name__ = name
    return node


def e(state: State) -> dict:
    # What e sees shows the superstep boundary: d's write is not visible to the first run.
    return {"visits": ["e"], "e_saw": [list(state["visits"])]}


graph = StateGraph(State)
for name in ("a", "b", "c", "d"):
    graph.add_node(name, visit(name))
graph.add_node("e", e)
graph.add_edge(START, "a")
graph.add_edge("a", "b")
graph.add_edge("a", "c")
graph.add_edge("c", "d")
graph.add_edge("b", "e")
graph.add_edge("d", "e")
graph.add_edge("e", END)
