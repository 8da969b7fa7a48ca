"""/ws: live run telemetry over a WebSocket.

Authenticate with ``Authorization: Bearer <token>`` or ``?token=<token>`` (browsers
cannot set headers on a WebSocket); a bad token closes the socket with code 4401.
Then send JSON messages:

- ``{"type": "subscribe", "run_id": "...", "after_seq": 0}`` — the run's stored events
  after ``after_seq`` first, then live ones: no gap, no duplicate (events carry ``seq``).
- ``{"type": "subscribe", "workflow_id": "..."}`` — live events of every run of it.
- ``{"type": "unsubscribe", "run_id" | "workflow_id": "..."}``, ``{"type": "ping"}``.

The server sends ``{"type": "event", "event": {...}}``, ``{"type": "subscribed", ...}``,
``{"type": "end", "topic", "last_seq"}`` once a subscribed run has ended,
``{"type": "error", "error": {...}}`` and, if a subscriber falls too far behind,
``{"type": "resync", "topic": ...}`` (read ``/api/runs/{id}/events`` and subscribe again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from functions.api.routers.runs import MAX_SEQ
from functions.backends.ports import TERMINAL_STATUSES
from functions.service import runs as run_logic
from functions.service.tokens import authenticate
from orcheo_core.errors import OrcheoError

if TYPE_CHECKING:
    from functions.backends.ports import EventRecord, Subscription
    from functions.service import Services

router = APIRouter()

_RUN_END = frozenset({"run.succeeded", "run.failed", "run.cancelled"})
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403


def _bearer(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return ws.query_params.get("token")


class _Session:
    """One socket: its subscriptions and a single writer, so sends never interleave."""

    def __init__(self, ws: WebSocket, svc: Services) -> None:
        self.ws = ws
        self.svc = svc
        self.pumps: dict[str, asyncio.Task[None]] = {}
        self.out: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._last_type: dict[str, str] = {}

    async def writer(self) -> None:
        while (message := await self.out.get()) is not None:
            await self.ws.send_text(json.dumps(message, default=str))

    def send(self, message: dict[str, Any]) -> None:
        self.out.put_nowait(message)

    def error(self, code: str, message: str, **details: Any) -> None:
        self.send(
            {"type": "error", "error": {"code": code, "message": message, "details": details}}
        )

    async def handle(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            self.error("bad_message", 'messages are JSON objects, e.g. {"type": "ping"}')
            return
        if not isinstance(message, dict):
            self.error("bad_message", "messages are JSON objects with a 'type'")
            return
        kind = message.get("type")
        if kind == "ping":
            self.send({"type": "pong"})
        elif kind == "subscribe":
            await self.subscribe(message)
        elif kind == "unsubscribe":
            topic = _topic(message)
            task = self.pumps.pop(topic or "", None)
            if task is not None:
                task.cancel()
            self.send({"type": "unsubscribed", "topic": topic})
        else:
            self.error(
                "bad_message",
                f"unknown message type {kind!r}; use subscribe, unsubscribe or ping",
                field="type",
            )

    async def subscribe(self, message: dict[str, Any]) -> None:
        topic = _topic(message)
        if topic is None:
            self.error(
                "bad_message", "subscribe needs a 'run_id' or a 'workflow_id'", field="run_id"
            )
            return
        after = message.get("after_seq", 0)
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_SEQ:
            self.error(
                "bad_message",
                f"'after_seq' must be a whole number from 0 to {MAX_SEQ}",
                field="after_seq",
            )
            return
        try:
            if topic.startswith("run:"):
                run_logic.get_run(self.svc, topic[4:])
        except OrcheoError as exc:
            self.error(exc.code, exc.message, **exc.details)
            return
        if topic in self.pumps:
            self.pumps.pop(topic).cancel()
        # Subscribe before reading history: an event stored meanwhile arrives live too,
        # and the seq check below drops the copy.
        subscription = self.svc.bus.subscribe([topic])
        self.send({"type": "subscribed", "topic": topic})
        self.pumps[topic] = asyncio.create_task(self.pump(topic, subscription, after))

    async def pump(self, topic: str, subscription: Subscription, after: int) -> None:
        last: dict[str, int] = {}
        try:
            if topic.startswith("run:"):
                run_id = topic[4:]
                # Read the status before the history: the outcome is recorded after the
                # last event is stored, so an ended run's history is complete.
                ended = self.svc.runs.get_run(run_id).status in TERMINAL_STATUSES
                last[run_id] = after
                for event in self.svc.runs.list_events(run_id, after_seq=after):
                    self._forward(event, last)
                if ended or self._ends(topic, last):
                    self.send({"type": "end", "topic": topic, "last_seq": last[run_id]})
                    return
            async for event in subscription:
                if event.seq > last.get(event.run_id, 0):
                    self._forward(event, last)
                    if topic.startswith("run:") and event.type in _RUN_END:
                        self.send({"type": "end", "topic": topic, "last_seq": event.seq})
                        return
            if subscription.overflowed:
                self.send({"type": "resync", "topic": topic})
        finally:
            subscription.close()
            if self.pumps.get(topic) is asyncio.current_task():
                del self.pumps[topic]

    def _ends(self, topic: str, last: dict[str, int]) -> bool:
        return self._last_type.get(topic[4:]) in _RUN_END

    def _forward(self, event: EventRecord, last: dict[str, int]) -> None:
        last[event.run_id] = event.seq
        self._last_type[event.run_id] = event.type
        self.send({"type": "event", "event": event.to_json()})

    def close(self) -> None:
        for task in self.pumps.values():
            task.cancel()
        self.out.put_nowait(None)


def _topic(message: dict[str, Any]) -> str | None:
    run_id, workflow_id = message.get("run_id"), message.get("workflow_id")
    if isinstance(run_id, str) and run_id:
        return f"run:{run_id}"
    if isinstance(workflow_id, str) and workflow_id:
        return f"workflow:{workflow_id}"
    return None


@router.websocket("/ws")
async def telemetry(ws: WebSocket) -> None:
    svc: Services = ws.app.state.services
    await ws.accept()
    try:
        authenticate(svc, _bearer(ws), "read")
    except OrcheoError as exc:
        code = CLOSE_FORBIDDEN if exc.code == "forbidden" else CLOSE_UNAUTHORIZED
        await ws.send_text(json.dumps({"type": "error", "error": exc.to_dict()}))
        await ws.close(code=code, reason=exc.message[:120])
        return
    session = _Session(ws, svc)
    writer = asyncio.create_task(session.writer())
    try:
        while True:
            await session.handle(await ws.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        session.close()
        with contextlib.suppress(Exception):
            await writer
