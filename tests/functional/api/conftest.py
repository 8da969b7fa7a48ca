"""Fixtures for the API tier: the real local stack in-process, in a temporary ORCHEO_HOME.

``client`` is a Starlette TestClient around the stack's app (lifespan included, so the
scheduler runs and the first admin token exists); ``admin`` is that token's header.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from functions.local import LocalStack
from functions.settings import Settings

SIMPLE_SPEC: dict[str, Any] = {
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", static_dir=tmp_path / "no-canvas")


@pytest.fixture
def stack(settings: Settings) -> LocalStack:
    return LocalStack(settings)


@pytest.fixture
def client(stack: LocalStack) -> Iterator[TestClient]:
    with TestClient(stack.app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin(stack: LocalStack, client: TestClient) -> dict[str, str]:
    assert stack.admin_token, "the first start creates an admin token"
    return {"Authorization": f"Bearer {stack.admin_token}"}


def make_token(client: TestClient, admin: dict[str, str], *scopes: str) -> dict[str, str]:
    """Headers for a new token with ``scopes``."""
    answer = client.post("/api/tokens", json={"name": "t", "scopes": list(scopes)}, headers=admin)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def create_workflow(
    client: TestClient, admin: dict[str, str], spec: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer = client.post(
        "/api/workflows", json={"name": "Greeter", "spec": spec or SIMPLE_SPEC}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result
