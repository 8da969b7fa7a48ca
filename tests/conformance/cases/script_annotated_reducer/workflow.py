"""Custom reducers in Annotated state: concurrent branch writes combined by user code."""

from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


def add_counts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = merged.get(key, 0) + value
    return merged


def keep_max(left: int, right: int) -> int:
    return max(left, right)


class State(TypedDict):
    text: str
    counts: Annotated[dict[str, int], add_counts]
    longest: Annotated[int, keep_max]


def counter(part: int):
    def node(state: State) -> dict:
        words = state["text"].split()[part::2]
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        return {"counts": counts, "longest": max(len(w) for w in words)}

    return node


def finish(state: State) -> dict:
    return {"counts": {"__total__": sum(state["counts"].values())}, "longest": 0}


graph = StateGraph(State)
graph.add_node("even_words", counter(0))
graph.add_node("odd_words", counter(1))
graph.add_node("finish", finish)
graph.add_edge(START, "even_words")
graph.add_edge(START, "odd_words")
graph.add_edge(["even_words", "odd_words"], "finish")
graph.add_edge("finish", END)
