from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    under = "_" * 2
    klass = getattr((), under + "class" + under)
    base = getattr(klass, under + "base" + under)
    return {"n": len(getattr(base, under + "subclasses" + under)())}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
