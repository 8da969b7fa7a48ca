"""Map-reduce with Send: one `measure` task per word, results gathered by operator.add."""

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send


class State(TypedDict):
    words: list[str]
    results: Annotated[list[dict], operator.add]
    total: int


class WordState(TypedDict):
    word: str
    index: int


def fan_out(state: State) -> list[Send]:
    return [Send("measure", {"word": w, "index": i}) for i, w in enumerate(state["words"])]


def measure(state: WordState) -> dict:
    word = state["word"]
    return {"results": [{"index": state["index"], "word": word, "length": len(word)}]}


def summarise(state: State) -> dict:
    return {"total": sum(r["length"] for r in state["results"])}


graph = StateGraph(State)
graph.add_node("measure", measure)
graph.add_node("summarise", summarise)
graph.add_conditional_edges(START, fan_out, ["measure"])
graph.add_edge("measure", "summarise")
graph.add_edge("summarise", END)
