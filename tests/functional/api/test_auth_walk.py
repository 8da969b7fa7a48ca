"""Auth on every route, found by walking the OpenAPI document (no hand-written route list).

Every operation but ``GET /api/health`` needs a bearer token: none or a wrong one is a
401 (JSON error, ``WWW-Authenticate: Bearer``); a token below the scope the operation
declares (``security: [{"HTTPBearer": ["<scope>"]}]``) is a 403 naming that scope; a
token with it gets past auth. The ``/ws`` socket is not in the document: it is checked
on its own.

``/hooks/*`` is exempt by design, not by omission: a webhook's sender has no API token,
so the hooks take none and verify the request instead (an HMAC signature with a
timestamp and a replay nonce, or no check at all for a hook the user made public);
``test_hooks_api.py`` tests that. Here they must declare no bearer scheme and answer a
missing workflow with 404, never with a bearer challenge.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from functions.api.deps import FailedAuthLimiter
from functions.local import LocalStack
from functions.service.tokens import SCOPES
from tests.functional.api.conftest import make_token

PUBLIC = {("GET", "/api/health")}
HOOKS = "/hooks/"
SCHEME = "HTTPBearer"
WRONG = {"Authorization": "Bearer orch_000000000000_not-a-real-token"}

Operation = tuple[str, str, dict[str, Any]]


def _operations(doc: dict[str, Any]) -> list[Operation]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def _url(path: str, op: dict[str, Any]) -> str:
    """``path`` with each path parameter filled with a dummy value of its type."""
    types = {
        p["name"]: p.get("schema", {}).get("type", "string")
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }

    def dummy(match: re.Match[str]) -> str:
        return "1" if types.get(match[1]) == "integer" else "nothing-here"

    return re.sub(r"\{(\w+)\}", dummy, path)


def _call(
    client: TestClient, method: str, path: str, op: dict[str, Any], headers: dict[str, str]
) -> Any:
    # The minimal JSON body: auth is decided before the body is validated.
    body: dict[str, Any] | None = {} if "requestBody" in op else None
    return client.request(method, _url(path, op), json=body, headers=headers)


def _public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC or path.startswith(HOOKS)


def _check_public(answer: Any, method: str, path: str) -> None:
    if path.startswith(HOOKS):
        # verified, not bearer-authenticated: the dummy workflow simply does not exist
        assert answer.status_code == 404, f"{method} {path}: {answer.text}"
        assert "www-authenticate" not in answer.headers, f"{method} {path}"
    else:
        assert answer.status_code == 200, f"{method} {path}: {answer.text}"


def _scope(op: dict[str, Any]) -> str:
    (requirement,) = op["security"]
    (scope,) = requirement[SCHEME]
    assert scope in SCOPES
    return str(scope)


@pytest.fixture
def doc(stack: LocalStack) -> dict[str, Any]:
    return stack.app.openapi()


def test_the_walk_sees_every_resource(doc: dict[str, Any]) -> None:
    # Guards the walk itself: an empty or truncated document would pass everything below.
    paths = {path for _, path, _ in _operations(doc)}
    for prefix in (
        "/api/workflows",
        "/api/runs",
        "/api/tokens",
        "/api/nodes",
        "/api/health",
        HOOKS,
    ):
        assert any(p.startswith(prefix) for p in paths), prefix
    assert len(_operations(doc)) >= 25


def test_every_protected_operation_declares_the_bearer_scheme_and_one_scope(
    doc: dict[str, Any],
) -> None:
    assert doc["components"]["securitySchemes"][SCHEME] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An Orcheo API token.",
    }
    for method, path, op in _operations(doc):
        if _public(method, path):
            assert "security" not in op, f"{method} {path} is public"
            continue
        assert "security" in op, f"{method} {path} declares no security requirement"
        _scope(op)
        assert "401" in op["responses"] and "403" in op["responses"], f"{method} {path}"


def test_no_token_is_401_on_every_protected_route(client: TestClient, doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        answer = _call(client, method, path, op, headers={})
        if _public(method, path):
            _check_public(answer, method, path)
            continue
        assert answer.status_code == 401, f"{method} {path}: {answer.status_code} {answer.text}"
        assert answer.headers["www-authenticate"] == "Bearer", f"{method} {path}"
        error = answer.json()["error"]
        assert error["code"] == "unauthorized" and "Authorization: Bearer" in error["message"]
        assert set(error) == {"code", "message", "details"}


def test_a_wrong_token_is_401_on_every_protected_route(
    stack: LocalStack, client: TestClient, doc: dict[str, Any]
) -> None:
    for method, path, op in _operations(doc):
        # A fresh limiter per request: this walk alone sends more bad tokens than it allows.
        stack.app.state.auth_limiter = FailedAuthLimiter()
        answer = _call(client, method, path, op, headers=WRONG)
        if _public(method, path):
            _check_public(answer, method, path)
            continue
        assert answer.status_code == 401, f"{method} {path}: {answer.status_code} {answer.text}"
        assert answer.headers["www-authenticate"] == "Bearer", f"{method} {path}"
        assert answer.json()["error"]["code"] == "unauthorized"
        assert "unknown API token" in answer.json()["error"]["message"]


def test_each_route_needs_exactly_the_scope_it_declares(
    client: TestClient, admin: dict[str, str], doc: dict[str, Any]
) -> None:
    tokens = {scope: make_token(client, admin, scope) for scope in SCOPES}
    seen: set[str] = set()
    for method, path, op in _operations(doc):
        if _public(method, path):
            continue
        needed = _scope(op)
        seen.add(needed)
        rank = SCOPES.index(needed)
        for lower in SCOPES[:rank]:
            answer = _call(client, method, path, op, headers=tokens[lower])
            assert answer.status_code == 403, f"{method} {path} with {lower!r}: {answer.text}"
            error = answer.json()["error"]
            assert error["code"] == "forbidden" and f"{needed!r} scope" in error["message"]
            assert error["details"] == {"needed": needed, "scopes": [lower]}
        for enough in SCOPES[rank:]:
            answer = _call(client, method, path, op, headers=tokens[enough])
            assert answer.status_code not in (401, 403), (
                f"{method} {path} with {enough!r}: {answer.status_code} {answer.text}"
            )
    # Every scope guards something, so each 403 branch above really ran.
    assert seen == set(SCOPES)


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/ws", {}),
        ("/ws", WRONG),
        ("/ws?token=orch_000000000000_not-a-real-token", {}),
    ],
    ids=["no-token", "wrong-header", "wrong-query"],
)
def test_websocket_refuses_a_missing_or_wrong_token(
    client: TestClient, url: str, headers: dict[str, str]
) -> None:
    with client.websocket_connect(url, headers=headers) as ws:
        message = ws.receive_json()
        assert message["type"] == "error"
        assert message["error"]["code"] == "unauthorized"
        assert set(message["error"]) == {"code", "message", "details"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_websocket_accepts_a_read_token(client: TestClient, admin: dict[str, str]) -> None:
    reader = make_token(client, admin, "read")
    with client.websocket_connect("/ws", headers=reader) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
