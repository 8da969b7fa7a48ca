"""Fixtures for node unit tests: a real run context and a loopback HTTP echo server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from orcheo_core.engine.context import NodeRunContext, RunContext
from orcheo_core.engine.events import RunEvent

SECRETS: dict[str, dict[str, str]] = {
    "bearer-ref": {"token": "tok-123"},
    "basic-ref": {"username": "ada", "password": "s3cret"},
    "apikey-ref": {"header": "X-Custom-Key", "value": "key-456"},
    "apikey-default-ref": {"value": "key-789"},
}


async def resolve(ref: str) -> Mapping[str, str]:
    return SECRETS[ref]


class Harness:
    """A RunContext with an event list, and a way to make node contexts from it."""

    def __init__(self) -> None:
        self.events: list[RunEvent] = []
        self.sub_calls: list[tuple[Any, dict[str, Any]]] = []
        self.sub_result: dict[str, Any] = {}
        self.run = RunContext(
            "run-1", sink=self.events.append, credentials=resolve, subworkflows=self._sub
        )

    async def _sub(self, ref: Any, inputs: Mapping[str, Any], run: RunContext) -> dict[str, Any]:
        self.sub_calls.append((ref, dict(inputs)))
        return dict(self.sub_result)

    def ctx(self, credentials: Mapping[str, str] | None = None) -> NodeRunContext:
        return self.run.node_context("node_1", attempt=1, credentials=credentials or {})

    def node_events(self, name: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == "node.event" and e.data["event"] == name]


@pytest.fixture
def harness() -> Harness:
    return Harness()


class _EchoHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = parts.path
        if path.startswith("/sleep/"):
            time.sleep(float(path.rsplit("/", 1)[1]))
        if path == "/text":
            self._send(200, b"plain words", "text/plain; charset=utf-8")
            return
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(
                code, json.dumps({"error": "no such thing here"}).encode(), "application/json"
            )
            return
        echo = {
            "method": self.command,
            "path": path,
            "query": parse_qs(parts.query),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8"),
        }
        self._send(200, json.dumps(echo).encode(), "application/json")

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def echo_server() -> Iterator[str]:
    """Base URL of a loopback server that echoes each request back as JSON."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
