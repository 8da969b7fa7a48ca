"""Fixtures for the SDK tier: the real local stack on a loopback port (see server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orcheo_core.sdk import OrcheoClient, RetryPolicy
from tests.functional.sdk.server import ThreadedServer

GREET_SPEC: dict[str, Any] = {
    "name": "greet",
    "nodes": [
        {
            "id": "greet",
            "type": "set_variable",
            "config": {"values": {"greeting": "Hello {{ state.name }}"}},
        }
    ],
    "edges": [{"source": "greet", "target": "__end__"}],
    "state": {"name": {"default": "world"}, "greeting": {}},
}
# Retries fast enough for tests; the policy's logic is the same.
FAST = RetryPolicy(max_retries=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    server = ThreadedServer(tmp_path_factory.mktemp("sdk-home"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(live: ThreadedServer) -> Iterator[ThreadedServer]:
    live.faults.clear()
    yield live
    live.faults.clear()


@pytest.fixture
def client(server: ThreadedServer) -> Iterator[OrcheoClient]:
    with OrcheoClient(server.url, server.token, retry=FAST) as api:
        yield api
