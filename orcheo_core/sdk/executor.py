"""Run workflows on an Orcheo server: :class:`HttpWorkflowExecutor` and its async twin.

Example::

    executor = HttpWorkflowExecutor("http://127.0.0.1:8000", token)
    state = executor.run("greeter-1a2b3c", {"name": "Ada"})     # waits, returns the state
    run = executor.run("greeter-1a2b3c", {"name": "Bo"}, wait=False)
    for event in executor.stream(run.id):                      # live, over the WebSocket
        print(event.seq, event.type, event.node)

Each dispatch sends one ``Idempotency-Key``; its retries (503s, dropped connections)
reuse it, so the server starts the run once however often the request is sent.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Any, Literal, overload

from orcheo_core.sdk._transport import DEFAULT_TIMEOUT, RetryPolicy
from orcheo_core.sdk.client import AsyncOrcheoClient, OrcheoClient
from orcheo_core.sdk.errors import (
    ApiError,
    AuthenticationError,
    RunFailedError,
    RunTimeoutError,
    ServerUnreachableError,
    error_for_status,
)
from orcheo_core.sdk.models import Event, Run

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping
    from types import TracebackType

__all__ = ["AsyncHttpWorkflowExecutor", "HttpWorkflowExecutor"]

# The server waits at most this long in one request (RunCreate.timeout's bound).
_SERVER_MAX_WAIT = 3600.0
_POLL_MAX = 1.0
_CLOSE_UNAUTHORIZED = 4401
_CLOSE_FORBIDDEN = 4403


def ws_url(base_url: str) -> str:
    """The telemetry WebSocket's URL for an API base URL."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"


def _finished(run: Run) -> Any:
    """The final state of a finished run, or the typed error for a failed one."""
    if run.status != "succeeded":
        raise RunFailedError(run)
    return dict(run.state or {})


class _Follow:
    """What a stream has seen: the last seq, and what each server message means."""

    def __init__(self, run_id: str, after_seq: int) -> None:
        self.run_id = run_id
        self.last_seq = after_seq

    def subscribe(self) -> str:
        return json.dumps({"type": "subscribe", "run_id": self.run_id, "after_seq": self.last_seq})

    def read(self, raw: str | bytes) -> tuple[str, Event | None]:
        """``("event", e)``, ``("end", None)``, ``("resync", None)`` or ``("skip", None)``."""
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "event":
            event = Event.model_validate(message["event"])
            if event.seq <= self.last_seq:
                return "skip", None
            self.last_seq = event.seq
            return "event", event
        if kind == "error":
            error = message.get("error") or {}
            status = {"not_found": 404, "forbidden": 403, "unauthorized": 401}.get(
                str(error.get("code")), 400
            )
            raise error_for_status(status, {"error": error}, method="WS", url="/ws")
        if kind in ("end", "resync"):
            return str(kind), None
        return "skip", None


def _closed_error(code: int | None, reason: str) -> ApiError | None:
    if code == _CLOSE_UNAUTHORIZED:
        return AuthenticationError(reason or "bad token", status=401, code="unauthorized")
    if code == _CLOSE_FORBIDDEN:
        from orcheo_core.sdk.errors import PermissionDeniedError

        return PermissionDeniedError(reason or "forbidden", status=403, code="forbidden")
    return None


class HttpWorkflowExecutor:
    """Runs workflows on a server, synchronously; ``client`` is the whole typed API."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        client: OrcheoClient | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.client = client or OrcheoClient(base_url, token, timeout=timeout, retry=self.retry)

    @overload
    def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: Literal[True] = True,
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]: ...
    @overload
    def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: Literal[False],
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Run: ...
    def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: bool = True,
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | Run:
        """Start a run; with ``wait`` (the default) return its final state.

        A failed or cancelled run raises :class:`RunFailedError` (its code and message);
        a run still going after ``timeout`` seconds raises :class:`RunTimeoutError`.
        Without ``wait`` the queued :class:`Run` is returned at once.
        """
        key = idempotency_key or uuid.uuid4().hex
        deadline = None if timeout is None else time.monotonic() + timeout
        server_wait = min(timeout or _SERVER_MAX_WAIT, _SERVER_MAX_WAIT) if wait else None
        run = self.client.start_run(
            workflow_id,
            inputs,
            version=version,
            debug=debug,
            wait=wait,
            timeout=server_wait,
            idempotency_key=key,
        )
        if not wait:
            return run
        delay = 0.05
        while not run.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise RunTimeoutError(
                    f"run {run.id} is still {run.status} after {timeout}s", run_id=run.id
                )
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            run = self.client.get_run(run.id)
        return _finished(run)  # type: ignore[no-any-return]

    def stream(self, run_id: str, *, after_seq: int = 0) -> Iterator[Event]:
        """The run's events after ``after_seq``, live over the WebSocket, until it ends.

        Stored events come first, then live ones, with no gap and no duplicate; a dropped
        connection is reopened (with the retry policy's backoff) from the last event seen.
        """
        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        follow = _Follow(run_id, after_seq)
        url = ws_url(self.client.base_url)
        headers = {"Authorization": f"Bearer {self.client.token}"} if self.client.token else {}
        attempt = 0
        while True:
            try:
                with connect(
                    url, additional_headers=headers, proxy=None, open_timeout=self.client.timeout
                ) as ws:
                    ws.send(follow.subscribe())
                    while True:
                        kind, event = follow.read(ws.recv())
                        if event is not None:
                            attempt = 0
                            yield event
                        elif kind == "end":
                            return
                        elif kind == "resync":
                            break  # reconnect from the last seq we saw
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                error = _closed_error(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
                if error is not None:
                    raise error from None
                problem: Exception = exc
            except (OSError, InvalidStatus, TimeoutError) as exc:
                problem = exc
            else:
                continue
            if attempt >= self.retry.max_retries:
                raise ServerUnreachableError(
                    f"the telemetry WebSocket {url} failed: {problem}", run_id=run_id
                ) from problem
            time.sleep(self.retry.delay(attempt))
            attempt += 1

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpWorkflowExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncHttpWorkflowExecutor:
    """:class:`HttpWorkflowExecutor` for asyncio."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        client: AsyncOrcheoClient | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.client = client or AsyncOrcheoClient(
            base_url, token, timeout=timeout, retry=self.retry
        )

    @overload
    async def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: Literal[True] = True,
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]: ...
    @overload
    async def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: Literal[False],
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Run: ...
    async def run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        wait: bool = True,
        version: int | None = None,
        debug: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | Run:
        """See :meth:`HttpWorkflowExecutor.run`."""
        key = idempotency_key or uuid.uuid4().hex
        deadline = None if timeout is None else time.monotonic() + timeout
        server_wait = min(timeout or _SERVER_MAX_WAIT, _SERVER_MAX_WAIT) if wait else None
        run = await self.client.start_run(
            workflow_id,
            inputs,
            version=version,
            debug=debug,
            wait=wait,
            timeout=server_wait,
            idempotency_key=key,
        )
        if not wait:
            return run
        delay = 0.05
        while not run.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise RunTimeoutError(
                    f"run {run.id} is still {run.status} after {timeout}s", run_id=run.id
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            run = await self.client.get_run(run.id)
        return _finished(run)  # type: ignore[no-any-return]

    async def stream(self, run_id: str, *, after_seq: int = 0) -> AsyncIterator[Event]:
        """See :meth:`HttpWorkflowExecutor.stream`."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        follow = _Follow(run_id, after_seq)
        url = ws_url(self.client.base_url)
        headers = {"Authorization": f"Bearer {self.client.token}"} if self.client.token else {}
        attempt = 0
        while True:
            try:
                async with connect(
                    url, additional_headers=headers, proxy=None, open_timeout=self.client.timeout
                ) as ws:
                    await ws.send(follow.subscribe())
                    while True:
                        kind, event = follow.read(await ws.recv())
                        if event is not None:
                            attempt = 0
                            yield event
                        elif kind == "end":
                            return
                        elif kind == "resync":
                            break
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                error = _closed_error(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
                if error is not None:
                    raise error from None
                problem: Exception = exc
            except (OSError, InvalidStatus, TimeoutError) as exc:
                problem = exc
            else:
                continue
            if attempt >= self.retry.max_retries:
                raise ServerUnreachableError(
                    f"the telemetry WebSocket {url} failed: {problem}", run_id=run_id
                ) from problem
            await asyncio.sleep(self.retry.delay(attempt))
            attempt += 1

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> AsyncHttpWorkflowExecutor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
