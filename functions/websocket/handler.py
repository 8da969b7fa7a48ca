"""The WebSocket Lambda: API Gateway's WebSocket API routes every message here.

- ``$connect``: the API token (``?token=`` — browsers cannot set headers on a WebSocket
  — or ``Authorization: Bearer``) must grant ``read``; otherwise 401/403 and API
  Gateway refuses the connection. ``?run_id=`` / ``?workflow_id=`` subscribe at once.
- ``$default``: JSON messages, as on the local ``/ws``:
  ``{"type": "subscribe", "run_id" | "workflow_id", "after_seq"?}`` (a run's stored
  events after ``after_seq`` are posted first, then the telemetry Lambda pushes live
  ones: clients drop a ``seq`` they have), ``{"type": "unsubscribe", ...}``,
  ``{"type": "ping"}``. The answer is the route's response.
- ``$disconnect``: the connection's subscriptions are forgotten.

Subscriptions live in the connections table (``WebSocketConnections``); the
telemetry Lambda reads them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from functions.lambda_kit import observability

if TYPE_CHECKING:
    from functions.aws import AwsStack

__all__ = ["handler"]

obs = observability("orcheo-websocket")


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps(body, separators=(",", ":"))}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return _answer(status, {"type": "error", "error": {"code": code, "message": message}})


def _topic(message: dict[str, Any]) -> str | None:
    for key, prefix in (("run_id", "run:"), ("workflow_id", "workflow:")):
        value = message.get(key)
        if isinstance(value, str) and value:
            return prefix + value
    return None


def _token(event: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    header = str(headers.get("authorization") or "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    query = event.get("queryStringParameters") or {}
    return query.get("token")


def connect(stack: AwsStack, connection_id: str, event: dict[str, Any]) -> dict[str, Any]:
    from functions.service.tokens import authenticate
    from orcheo_core.errors import OrcheoError

    try:
        authenticate(stack.services, _token(event), "read")
    except OrcheoError as exc:
        status = 403 if exc.code == "forbidden" else 401
        return _error(status, exc.code, exc.message)
    topic = _topic(event.get("queryStringParameters") or {})
    if topic is not None:
        return subscribe(stack, connection_id, {"type": "subscribe", **(_query(event))})
    return _answer(200, {"type": "connected"})


def _query(event: dict[str, Any]) -> dict[str, Any]:
    query = dict(event.get("queryStringParameters") or {})
    query.pop("token", None)
    return query


def subscribe(stack: AwsStack, connection_id: str, message: dict[str, Any]) -> dict[str, Any]:
    from functions.service import runs as run_logic
    from orcheo_core.errors import OrcheoError

    topic = _topic(message)
    if topic is None:
        return _error(400, "bad_message", "subscribe needs a 'run_id' or a 'workflow_id'")
    try:
        after = int(message.get("after_seq") or 0)
    except (TypeError, ValueError):
        return _error(400, "bad_message", "'after_seq' must be a whole number")
    try:
        if topic.startswith("run:"):
            run_logic.get_run(stack.services, topic[4:])
    except OrcheoError as exc:
        return _error(404, exc.code, exc.message)
    # Subscribe first, then replay history: an event stored in between arrives twice
    # at worst (the client drops the seq it has), never not at all.
    stack.connections.subscribe(connection_id, [topic])
    if topic.startswith("run:") and message.get("after_seq") is not None:
        for event in run_logic.list_events(stack.services, topic[4:], after_seq=after):
            stack.pusher.post(connection_id, event)
    return _answer(200, {"type": "subscribed", "topic": topic})


def default(stack: AwsStack, connection_id: str, body: str | None) -> dict[str, Any]:
    try:
        message = json.loads(body or "")
    except ValueError:
        message = None
    if not isinstance(message, dict):
        return _error(400, "bad_message", "send a JSON object with a 'type'")
    kind = message.get("type")
    if kind == "subscribe":
        return subscribe(stack, connection_id, message)
    if kind == "unsubscribe":
        topic = _topic(message)
        if topic is None:
            return _error(400, "bad_message", "unsubscribe needs a 'run_id' or a 'workflow_id'")
        stack.connections.unsubscribe(connection_id, [topic])
        return _answer(200, {"type": "unsubscribed", "topic": topic})
    if kind == "ping":
        return _answer(200, {"type": "pong"})
    return _error(
        400, "bad_message", f"unknown message type {kind!r}; use subscribe, unsubscribe or ping"
    )


@obs.logger.inject_lambda_context(correlation_id_path="requestContext.connectionId")
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.aws import current

    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), str(request.get("connectionId"))
    stack = current()
    obs.count("WebSocketMessages")
    if route == "$connect":
        return connect(stack, connection_id, event)
    if route == "$disconnect":
        stack.connections.unsubscribe(connection_id)
        return _answer(200, {"type": "disconnected"})
    return default(stack, connection_id, event.get("body"))
