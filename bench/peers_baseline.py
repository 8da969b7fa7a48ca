"""The baseline ``bench peers`` compares Orcheo with: bare LangGraph behind FastAPI.

The same four-node workflow as ``examples/workflows/order_tiers.json`` (mark the order
seen, then if amount > 10 tier it big, else small), written by hand as a LangGraph
``StateGraph`` and compiled once at start. Two routes, each answering with the graph's
final state, as a developer would write them without Orcheo:

- ``POST /run``: the body's ``inputs`` are the graph input;
- ``POST /hook``: the raw JSON body becomes ``state.webhook.body``.

Nothing is stored, nothing is traced, no token or signature is checked: this is the
floor a workflow platform's history, auth and telemetry are measured against.

    python -m bench.peers_baseline --port 8100
"""

from __future__ import annotations

import argparse
import json
import operator
from typing import Any, TypedDict

from fastapi import FastAPI, Request
from fastapi.responses import Response
from langgraph.graph import END, START, StateGraph


class OrderState(TypedDict, total=False):
    amount: int
    seen: int
    tier: str
    webhook: dict[str, Any]


def _start(state: OrderState) -> dict[str, Any]:
    return {"seen": 1}


def _check(state: OrderState) -> dict[str, Any]:
    return {}


def _big(state: OrderState) -> dict[str, Any]:
    return {"tier": "big"}


def _small(state: OrderState) -> dict[str, Any]:
    return {"tier": "small"}


def _amount(state: OrderState) -> Any:
    hook = state.get("webhook")
    if hook:
        return hook["body"]["amount"]
    return state.get("amount", 0)


def _route(state: OrderState) -> str:
    return "big" if operator.gt(_amount(state), 10) else "small"


def build_graph() -> Any:
    """The four nodes, compiled once."""
    graph = StateGraph(OrderState)
    graph.add_node("start", _start)
    graph.add_node("check", _check)
    graph.add_node("big", _big)
    graph.add_node("small", _small)
    graph.add_edge(START, "start")
    graph.add_edge("start", "check")
    graph.add_conditional_edges("check", _route, {"big": "big", "small": "small"})
    graph.add_edge("big", END)
    graph.add_edge("small", END)
    return graph.compile()


def build_app() -> FastAPI:
    compiled = build_graph()
    app = FastAPI()

    @app.post("/run")
    async def run(request: Request) -> Response:
        body = json.loads(await request.body())
        state = await compiled.ainvoke(body["inputs"])
        return Response(json.dumps(state), media_type="application/json")

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = json.loads(await request.body())
        state = await compiled.ainvoke({"webhook": {"body": body}})
        return Response(json.dumps(state), media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.peers_baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(build_app(), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
