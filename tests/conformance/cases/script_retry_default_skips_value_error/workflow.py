"""A default RetryPolicy() does not retry a ValueError.

LangGraph's ``default_retry_on`` (langgraph/pregel/_retry.py) refuses ValueError,
TypeError, ArithmeticError, ImportError, LookupError, NameError, SyntaxError,
RuntimeError, ReferenceError, StopIteration, StopAsyncIteration and OSError: they are
bugs, not flakes. The node runs once.
"""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy


class State(TypedDict):
    n: int


def parse(state: State) -> dict:
    raise ValueError("not a number: 'abc'")


graph = StateGraph(State)
graph.add_node("parse", parse, retry_policy=RetryPolicy(initial_interval=0.01, jitter=False))
graph.add_edge(START, "parse")
graph.add_edge("parse", END)
