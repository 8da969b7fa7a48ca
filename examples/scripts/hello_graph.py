"""A plain LangGraph script: run it locally, or submit it to Orcheo as a workflow version.

Locally (LangGraph is all it needs)::

    .venv/bin/python examples/scripts/hello_graph.py

On a server, the same file becomes a version whose graph the canvas draws::

    curl -X POST localhost:8000/api/workflows/<id>/versions/script \\
      -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
      -d "$(python -c 'import json,sys; print(json.dumps({"source": open(sys.argv[1]).read()}))' \\
            examples/scripts/hello_graph.py)"

Orcheo runs the module-level ``graph``; the ``__main__`` block below only runs locally.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    name: str
    greeting: str
    shout: bool
    log: Annotated[list[str], operator.add]


def greet(state: State) -> dict[str, object]:
    return {"greeting": f"Hello, {state.get('name', 'world')}!", "log": ["greet"]}


def louder(state: State) -> dict[str, object]:
    return {"greeting": state["greeting"].upper(), "log": ["louder"]}


def how_loud(state: State) -> Literal["louder", "__end__"]:
    """A conditional edge: the Literal return type tells Orcheo (and the canvas) its targets."""
    return "louder" if state.get("shout") else END


builder = StateGraph(State)
builder.add_node("greet", greet)
builder.add_node("louder", louder)
builder.add_edge(START, "greet")
builder.add_conditional_edges("greet", how_loud)
builder.add_edge("louder", END)
graph = builder.compile()

if __name__ == "__main__":
    print(graph.invoke({"name": "Ada"}))
    print(graph.invoke({"name": "Ada", "shout": True}))
