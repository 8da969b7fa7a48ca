"""A state well above Step Functions' 256 KB payload limit, built deterministically."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    size: int
    items: list[dict]
    count: int
    checksum: int


def build(state: State) -> dict:
    items = [
        {"id": i, "sku": f"SKU-{i:06d}", "payload": f"{(i * 2654435761) % 2**32:08x}" * 8}
        for i in range(state["size"])
    ]
    return {"items": items}


def summarise(state: State) -> dict:
    checksum = sum(int(item["payload"][:8], 16) for item in state["items"]) % 1_000_003
    return {"count": len(state["items"]), "checksum": checksum}


graph = StateGraph(State)
graph.add_node("build", build)
graph.add_node("summarise", summarise)
graph.add_edge(START, "build")
graph.add_edge("build", "summarise")
graph.add_edge("summarise", END)
