import socket
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def attack(state: State) -> dict:
    conn = socket.create_connection(("example.com", 80), timeout=1)
    conn.close()
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
