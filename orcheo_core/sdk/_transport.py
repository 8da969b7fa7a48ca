"""HTTP with retries: bearer auth, exponential backoff with jitter, Retry-After, timeouts.

A request is retried when retrying cannot do harm: always when the server did not take
it (no connection, 429, 503); for any other 5xx or a dropped answer only when the
request is idempotent (GET, PUT, DELETE) or carries an ``Idempotency-Key``, which the
server uses to start a run at most once.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from orcheo_core.sdk.errors import ServerUnreachableError, error_for_status

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["DEFAULT_TIMEOUT", "AsyncTransport", "Request", "RetryPolicy", "SyncTransport"]

DEFAULT_TIMEOUT = 30.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_NOT_TAKEN = frozenset({429, 503})  # the server refused before doing anything


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attempt ``n`` (from 0) waits a random time between half and all of
    ``min(max_delay, base_delay * 2**n)``, or what the server's ``Retry-After`` asks when it
    sends one. A ``Retry-After`` above ``max_retry_after`` is not waited for: the error is
    raised at once, carrying it.
    """

    max_retries: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = field(default=frozenset({429, 500, 502, 503, 504}))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return max(0.0, float(retry_after))
        ceiling = min(self.max_delay, self.base_delay * float(2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass
class Request:
    """One API call, before it is sent."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None

    @property
    def replay_safe(self) -> bool:
        return self.method in _IDEMPOTENT or "Idempotency-Key" in self.headers


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: either form RFC 9110 allows (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def _params(params: Mapping[str, Any] | None) -> httpx.QueryParams | None:
    if params is None:
        return None
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            out.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return httpx.QueryParams(out)


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class _Retrier:
    """The decisions shared by the sync and async transports."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def after_response(
        self, request: Request, response: httpx.Response, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying; None when the answer is final."""
        status = response.status_code
        if status < 400 or status not in self.policy.statuses:
            return None
        if attempt >= self.policy.max_retries:
            return None
        if status not in _NOT_TAKEN and not request.replay_safe:
            return None
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > self.policy.max_retry_after:
            return None
        return self.policy.delay(attempt, retry_after)

    def after_failure(self, request: Request, exc: httpx.TransportError, attempt: int) -> float:
        """Seconds to wait before retrying a request that got no answer; raises when final."""
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        if attempt >= self.policy.max_retries or not (never_sent or request.replay_safe):
            raise ServerUnreachableError(
                f"no answer from the server for {request.method} {request.path}: "
                f"{type(exc).__name__}: {exc or 'no detail'} (after {attempt + 1} attempt(s)); "
                "is it running, and is the URL right?",
                method=request.method,
                path=request.path,
                attempts=attempt + 1,
            ) from exc
        return self.policy.delay(attempt)

    @staticmethod
    def result(request: Request, response: httpx.Response) -> Any:
        body = _body(response)
        if response.status_code >= 400:
            raise error_for_status(
                response.status_code,
                body,
                method=request.method,
                url=str(response.request.url),
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        return body


def _client_kwargs(
    base_url: str, token: str | None, timeout: float, headers: Mapping[str, str] | None
) -> dict[str, Any]:
    from orcheo_core import __version__

    all_headers = {"User-Agent": f"orcheo-sdk/{__version__}", "Accept": "application/json"}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    return {"base_url": base_url.rstrip("/"), "headers": all_headers, "timeout": timeout}


class SyncTransport:
    """Sends :class:`Request` objects with ``httpx.Client``, retrying as the policy says."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._retrier = _Retrier(retry or RetryPolicy())
        self._http = http or httpx.Client(**_client_kwargs(base_url, token, timeout, headers))
        self._sleep = sleep

    def send(self, request: Request) -> Any:
        """The answer's JSON (None for an empty one); a typed error for an error answer."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    request.method,
                    request.path,
                    params=_params(request.params),
                    json=request.json,
                    headers=request.headers,
                    timeout=request.timeout or httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:
                self._sleep(self._retrier.after_failure(request, exc, attempt))
                attempt += 1
                continue
            wait = self._retrier.after_response(request, response, attempt)
            if wait is None:
                return self._retrier.result(request, response)
            self._sleep(wait)
            attempt += 1

    def close(self) -> None:
        self._http.close()


class AsyncTransport:
    """The same as :class:`SyncTransport` with ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._retrier = _Retrier(retry or RetryPolicy())
        self._http = http or httpx.AsyncClient(**_client_kwargs(base_url, token, timeout, headers))

    async def send(self, request: Request) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    request.method,
                    request.path,
                    params=_params(request.params),
                    json=request.json,
                    headers=request.headers,
                    timeout=request.timeout or httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:
                await asyncio.sleep(self._retrier.after_failure(request, exc, attempt))
                attempt += 1
                continue
            wait = self._retrier.after_response(request, response, attempt)
            if wait is None:
                return self._retrier.result(request, response)
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()
