"""The vault and the redactor wired around a real run: a canary secret reaches no sink.

This is the wiring the service does (functions/): a credential resolver that decrypts
with the vault and feeds the run's Redactor, and every sink (event stream, final state,
run error, logs) passed through it. Each sink is checked twice: the raw copy must hold
the canary (so the check can fail), the redacted copy must not.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orcheo_core import LocalEngine, Node, NodeConfig, NodeRegistry
from orcheo_core.engine.events import RunEvent
from orcheo_core.nodes.base import NodeContext, State, Update
from orcheo_core.vault import REDACTED, RedactingFilter, Redactor, Vault

CANARY = "canary-" + secrets.token_hex(12)
PASSWORD = "pw-" + secrets.token_hex(10)


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class LeakConfig(NodeConfig):
    fail: bool = False


class LeakNode(Node[LeakConfig]):
    """Echoes its credential every way a node can: output, log, event, error."""

    type = "leak"
    display_name = "Leak"
    config_model = LeakConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        token = (await ctx.get_credential("auth"))["token"]
        ctx.logger.info("using token %s", token)
        ctx.emit("progress", {"token": token, "quoted": json.dumps({"t": token})})
        if self.config.fail:
            raise RuntimeError(f"the API refused token {token}")
        return {"leaked": {token: f"Bearer {token}"}}

    @classmethod
    def writes(cls, config: LeakConfig) -> set[str]:
        return {"leaked"}


class Sinks:
    """What the service keeps and shows: events, final state, error, log lines."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.raw_events: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.raw_logs: list[str] = []
        self.logs: list[str] = []

    def on_event(self, event: RunEvent) -> None:
        self.raw_events.append(event.to_dict())
        self.events.append(self.redactor.redact(event.to_dict()))


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[Vault, dict[str, tuple[bytes, str]], Sinks]]:
    vault = Vault.local(tmp_path / "vault.key")
    store = {
        "cred_bearer": (
            vault.encrypt({"token": CANARY}, credential_id="cred_bearer", scope="global"),
            "global",
        ),
        "cred_basic": (
            vault.encrypt(
                {"username": "ada", "password": PASSWORD},
                credential_id="cred_basic",
                scope="global",
            ),
            "global",
        ),
    }
    sinks = Sinks(Redactor())
    logger = logging.getLogger("orcheo")
    raw = _ListHandler(sinks.raw_logs)  # first: it sees records before the filter edits them
    clean = _ListHandler(sinks.logs)
    clean.addFilter(RedactingFilter(sinks.redactor))
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(raw)
    logger.addHandler(clean)
    yield vault, store, sinks
    logger.removeHandler(raw)
    logger.removeHandler(clean)
    logger.setLevel(previous)


def engine(vault: Vault, store: Mapping[str, tuple[bytes, str]], sinks: Sinks) -> LocalEngine:
    registry = NodeRegistry()
    registry.register(LeakNode)

    async def resolve(ref: str) -> Mapping[str, str]:
        ciphertext, scope = store[ref]
        secret = vault.decrypt(ciphertext, credential_id=ref, scope=scope)
        sinks.redactor.add(*secret.values())
        return secret

    return LocalEngine(registry, credentials=resolve)


def flat(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def test_a_canary_echoed_every_way_reaches_no_sink(
    world: tuple[Vault, dict[str, tuple[bytes, str]], Sinks], echo_url: str
) -> None:
    vault, store, sinks = world
    spec = {
        "name": "leaky",
        "entry": "leak",
        "nodes": [
            {"id": "leak", "type": "leak", "credentials": {"auth": "cred_bearer"}},
            {
                "id": "bearer",
                "type": "http_request",
                "config": {"url": echo_url, "auth": "bearer", "output": "bearer_echo"},
                "credentials": {"auth": "cred_bearer"},
            },
            {
                "id": "basic",
                "type": "http_request",
                "config": {"url": echo_url, "auth": "basic", "output": "basic_echo"},
                "credentials": {"auth": "cred_basic"},
            },
        ],
        "edges": [{"source": "leak", "target": "bearer"}, {"source": "bearer", "target": "basic"}],
    }
    result = await engine(vault, store, sinks).run(spec, {}, on_event=sinks.on_event)
    assert result.status == "succeeded", result.error
    basic_header = "Basic " + base64.b64encode(f"ada:{PASSWORD}".encode()).decode()

    raw = {"events": sinks.raw_events, "state": result.state, "logs": sinks.raw_logs}
    assert CANARY in flat(raw["events"]) and CANARY in flat(raw["state"])
    assert CANARY in flat(raw["logs"])
    assert basic_header in flat(raw["state"])

    clean = {
        "events": sinks.events,
        "state": sinks.redactor.redact(result.state),
        "logs": sinks.logs,
    }
    for name, sink in clean.items():
        text = flat(sink)
        assert CANARY not in text, name
        assert PASSWORD not in text, name
        assert basic_header not in text, name
    assert REDACTED in flat(clean["state"]) and REDACTED in flat(clean["logs"])
    # The canary's own redaction keeps the shape readable.
    assert clean["state"]["leaked"] == {REDACTED: f"Bearer {REDACTED}"}
    assert clean["state"]["bearer_echo"]["body"]["headers"]["Authorization"] == (
        f"Bearer {REDACTED}"
    )


async def test_a_canary_in_an_error_message_reaches_no_sink(
    world: tuple[Vault, dict[str, tuple[bytes, str]], Sinks],
) -> None:
    vault, store, sinks = world
    spec = {
        "name": "failing",
        "entry": "leak",
        "nodes": [
            {
                "id": "leak",
                "type": "leak",
                "config": {"fail": True},
                "credentials": {"auth": "cred_bearer"},
            }
        ],
        "edges": [],
    }
    result = await engine(vault, store, sinks).run(spec, {}, on_event=sinks.on_event)
    assert result.status == "failed"
    assert CANARY in flat(result.error)
    assert CANARY in flat([e for e in sinks.raw_events if e["type"] == "node.failed"])
    clean_error = sinks.redactor.redact(result.error)
    assert f"the API refused token {REDACTED}" in clean_error["message"]
    for sink in (clean_error, sinks.events, sinks.logs):
        assert CANARY not in flat(sink)
