"""A canary secret, echoed every way a node can, reaches no sink of the service.

Two credentials are planted through the API: a bearer token (the canary) and a Basic
auth password with characters that encode differently in URLs and JSON. Workflows then
run through the real API on the local stack and echo them: a node returns the token in
its output, emits it in an event, logs it and raises it in an error; ``http_request``
sends them to a local echo server (headers, and a URL built from the leaked token) and
keeps the echoed answer; another request fails with the echoed token in its error
message. Debug mode also records the state (and its checkpoint) before every step.

Then every sink is searched for the secrets and their common encodings: the answers of
the API (the runs with their state and error, their events, the run list), the
WebSocket messages pushed while the runs went on, the log lines written, and the bytes
of the SQLite database. Each check is paired with one showing that the sink did carry
the echo (a ``[REDACTED]`` where the secret was), so none can pass by looking at nothing.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import sqlite3
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest
from starlette.testclient import TestClient

from functions.local import LocalStack
from orcheo_core import Node, NodeConfig, NodeRegistry
from orcheo_core.vault import REDACTED
from tests.functional.api.echo_server import EchoServer, echo_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from functions.settings import Settings
    from orcheo_core.nodes.base import NodeContext, State, Update

CANARY = "canary-" + secrets.token_hex(12)
PASSWORD = "pw+/ é" + secrets.token_hex(8)
USERNAME = "ada"


def _b64(text: str) -> list[str]:
    raw = text.encode()
    forms = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return forms + [f.rstrip("=") for f in forms]


FORBIDDEN = [
    CANARY,
    *_b64(CANARY),
    PASSWORD,
    quote(PASSWORD, safe=""),
    quote(PASSWORD),
    quote_plus(PASSWORD),
    json.dumps(PASSWORD)[1:-1],
    json.dumps(PASSWORD)[1:-1].replace("/", "\\/"),
    *_b64(PASSWORD),
    *_b64(f"{USERNAME}:{PASSWORD}"),
]
"""The secrets as they could travel: as is, URL- and JSON-escaped, base64, Basic auth."""


class LeakConfig(NodeConfig):
    fail: bool = False


class LeakNode(Node[LeakConfig]):
    """Echoes its credential every way a node can: output, event, log line, error."""

    type = "leak"
    display_name = "Leak"
    config_model = LeakConfig
    credential_types = ("http_bearer",)

    async def run(self, state: State, ctx: NodeContext) -> Update:
        token = (await ctx.get_credential("auth"))["token"]
        ctx.logger.info("using token %s", token)
        ctx.emit("progress", {"token": token, "quoted": json.dumps({"t": token})})
        if self.config.fail:
            raise RuntimeError(f"the API refused token {token}")
        return {"leaked": {"token": token, "header": f"Bearer {token}"}}

    @classmethod
    def writes(cls, config: LeakConfig) -> set[str]:
        return {"leaked"}


def _http(
    node_id: str, url: str, auth: str, credential: str, output: str, **query: str
) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "http_request",
        "config": {"url": url, "auth": auth, "output": output, "query": query},
        "credentials": {"auth": credential},
    }


def _chain(name: str, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    edges.append({"source": nodes[-1]["id"], "target": "__end__"})
    return {"name": name, "nodes": nodes, "edges": edges}


def _specs(url: str) -> dict[str, dict[str, Any]]:
    leak = {"id": "leak", "type": "leak", "credentials": {"auth": "canary"}}
    return {
        "echo": _chain(
            "echo",
            [
                leak,
                _http("bearer", f"{url}/bearer", "bearer", "canary", "bearer_echo"),
                _http("basic", f"{url}/basic", "basic", "basic-pw", "basic_echo"),
                # The leaked token travels in a URL: the request line, the echo, httpx's log.
                {
                    "id": "in_url",
                    "type": "http_request",
                    "config": {
                        "url": f"{url}/leak",
                        "query": {"t": "{{ state.leaked.token }}"},
                        "output": "url_echo",
                    },
                },
            ],
        ),
        "raise": _chain("raise", [{**leak, "config": {"fail": True}}]),
        "http_error": _chain(
            "http_error", [_http("refused", f"{url}/", "bearer", "canary", "out", status="400")]
        ),
    }


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with echo_server() as server:
        yield server


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line the process writes during the test, as a root handler sees it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.setLevel(level)
    root.removeHandler(handler)


def _db_bytes(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _assert_clean(sink: str, text: str) -> None:
    for form in FORBIDDEN:
        assert form not in text, f"{sink} holds a secret ({form[:12]}...)"


def test_a_canary_echoed_every_way_reaches_no_sink(
    settings: Settings, echo: EchoServer, logs: io.StringIO
) -> None:
    registry = NodeRegistry()
    registry.register(LeakNode)
    stack = LocalStack(settings, registry=registry)
    with TestClient(stack.app, raise_server_exceptions=False) as client:
        admin = {"Authorization": f"Bearer {stack.admin_token}"}
        answers: list[str] = []

        def call(method: str, url: str, **kwargs: Any) -> Any:
            answer = client.request(method, url, headers=admin, **kwargs)
            assert answer.status_code < 300, answer.text
            answers.append(answer.text)
            return answer.json()

        call(
            "POST",
            "/api/credentials",
            json={"name": "canary", "type": "http_bearer", "secret": {"token": CANARY}},
        )
        call(
            "POST",
            "/api/credentials",
            json={
                "name": "basic-pw",
                "type": "http_basic",
                "secret": {"password": PASSWORD},
                "settings": {"username": USERNAME},
            },
        )
        workflows = {
            name: call("POST", "/api/workflows", json={"name": name, "spec": spec})["id"]
            for name, spec in _specs(echo.url).items()
        }

        pushed: list[str] = []
        with client.websocket_connect("/ws", headers=admin) as ws:
            for workflow_id in workflows.values():
                ws.send_json({"type": "subscribe", "workflow_id": workflow_id})
                assert ws.receive_json()["type"] == "subscribed"
            runs = {
                name: call(
                    "POST",
                    f"/api/workflows/{workflow_id}/runs",
                    json={"wait": True, "debug": name == "echo"},
                )
                for name, workflow_id in workflows.items()
            }
            expected = sum(run["last_seq"] for run in runs.values())
            events = 0
            while events < expected:
                message = ws.receive_text()
                pushed.append(message)
                events += json.loads(message)["type"] == "event"

        for run in runs.values():
            call("GET", f"/api/runs/{run['id']}")
            call("GET", f"/api/runs/{run['id']}/events")
        call("GET", "/api/runs")
        call("GET", "/api/credentials")
    db = _db_bytes(settings.db_path).decode("utf-8", "replace")

    # The secrets were really used: the echo server saw each of them.
    seen = echo.seen()
    assert f"Bearer {CANARY}" in seen and f"/leak?t={CANARY}" in seen
    basic = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert basic in seen

    assert runs["echo"]["status"] == "succeeded", runs["echo"]["error"]
    state = runs["echo"]["state"]
    assert state["leaked"] == {"token": REDACTED, "header": f"Bearer {REDACTED}"}
    assert state["bearer_echo"]["body"]["auth"] == f"Bearer {REDACTED}"
    assert state["url_echo"]["body"]["path"] == f"/leak?t={REDACTED}"
    assert state["basic_echo"]["body"]["auth"].startswith("Basic ")
    assert state["basic_echo"]["body"]["auth"] != basic
    assert runs["raise"]["status"] == "failed"
    assert f"the API refused token {REDACTED}" in runs["raise"]["error"]["message"]
    assert runs["http_error"]["status"] == "failed"
    assert f"Bearer {REDACTED}" in runs["http_error"]["error"]["message"]

    sinks = {
        "API answers": "\n".join(answers),
        "WebSocket messages": "\n".join(pushed),
        "log lines": logs.getvalue(),
        "database file": db,
    }
    for sink, text in sinks.items():
        assert REDACTED in text, f"{sink}: the echoes never reached this sink"
        _assert_clean(sink, text)
    # Each kind of echo reached the sinks it goes to, redacted.
    assert f"using token {REDACTED}" in sinks["log lines"]
    assert f"/leak?t={REDACTED}" in sinks["log lines"]  # httpx's request line
    for sink in ("API answers", "WebSocket messages", "database file"):
        text = sinks[sink]
        assert '"event": "progress"' in text or '"event":"progress"' in text, sink
        assert "the API refused token" in text and "run.step" in text, sink
