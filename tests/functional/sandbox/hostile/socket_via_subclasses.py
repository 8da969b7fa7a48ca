from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def every_class():
    seen, todo = set(), [().__class__.__base__]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(type.__subclasses__(cls))
    return seen


def attack(state: State) -> dict:
    for cls in every_class():
        if cls.__name__ == "socket" and cls.__module__ == "socket":
            cls().connect(("127.0.0.1", 9))
    return {"n": -1}


builder = StateGraph(State)
builder.add_node("attack", attack)
builder.add_edge(START, "attack")
builder.add_edge("attack", END)
graph = builder.compile()
