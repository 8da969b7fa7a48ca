"""The real local stack served by uvicorn on a free loopback port, in a thread of the test.

``FaultInjector`` wraps the stack's ASGI app at the HTTP boundary: a test queues faults
(answer 503 without calling the app, or call the app and then answer 503 as if the
answer were lost on the way) for requests matching a method and path prefix, and reads
back how many requests reached the app.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import uvicorn

from functions.local import LocalStack
from functions.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

HOST = "127.0.0.1"


@dataclass
class Fault:
    method: str
    path: str  # a prefix
    status: int = 503
    after_app: bool = False  # let the app handle it, then lose its answer
    retry_after: str | None = None
    body: dict[str, Any] = field(
        default_factory=lambda: {
            "error": {"code": "unavailable", "message": "injected", "details": {}}
        }
    )


class FaultInjector:
    """ASGI middleware: queued faults first, then the real app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # what reached the app
        self._lock = threading.Lock()

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and path.startswith(fault.path):
                    self.faults.remove(fault)
                    return fault
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        fault = self._take(method, path)
        if fault is None or fault.after_app:
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            with self._lock:
                self.seen.append((method, path, headers))
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.after_app:

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
        body = json.dumps(fault.body).encode()
        headers = [(b"content-type", b"application/json")]
        if fault.retry_after is not None:
            headers.append((b"retry-after", fault.retry_after.encode()))
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ThreadedServer:
    """``LocalStack`` (behind a ``FaultInjector``) served by uvicorn on a loopback port."""

    def __init__(self, home: Path) -> None:
        self.stack = LocalStack(Settings(home=home, static_dir=home / "no-canvas"))
        self.faults = FaultInjector(self.stack.app)
        self._sock = socket.socket()
        self._sock.bind((HOST, 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(self.faults, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def token(self) -> str:
        assert self.stack.admin_token
        return self.stack.admin_token

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            assert self._thread.is_alive(), "uvicorn stopped at start"
            assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
