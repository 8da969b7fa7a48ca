"""RetryPolicy(retry_on=ValueError): the node's own exception decides, not a wrapper's.

From langgraph's tests (test_pregel.py, the RetryPolicy(retry_on=...) cases): a node
raising the exception ``retry_on`` names is attempted ``max_attempts`` times, then the
error surfaces.
"""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy


class State(TypedDict):
    n: int


def flaky(state: State) -> dict:
    raise ValueError("the upstream answered garbage")


graph = StateGraph(State)
graph.add_node(
    "flaky",
    flaky,
    retry_policy=RetryPolicy(
        retry_on=ValueError, max_attempts=3, initial_interval=0.01, jitter=False
    ),
)
graph.add_edge(START, "flaky")
graph.add_edge("flaky", END)
