"""The one way nodes reach the network: an httpx client with safe defaults.

Every node that makes HTTP calls goes through :func:`send`, so timeouts, the user
agent, proxy handling, response size limits and error messages are the same
everywhere::

    response = await send("GET", "https://api.example.com/items", params={"page": 2})
    response.status, response.json()
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

from orcheo_core.errors import HttpRequestError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "HttpResponse",
    "create_client",
    "send",
    "user_agent",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds a whole request may take when the caller does not say."""

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""Bodies larger than this are refused: they would not fit in a workflow's state anyway."""


def user_agent() -> str:
    """``orcheo/<version>``, sent with every request."""
    from orcheo_core import __version__

    return f"orcheo/{__version__}"


def create_client(*, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> httpx.AsyncClient:
    """An AsyncClient that ignores proxy/netrc environment variables and follows redirects.

    ``trust_env=False`` keeps a run's behaviour independent of the machine it runs on
    (no HTTP(S)_PROXY surprises between a laptop and Lambda).
    """
    headers = {"User-Agent": user_agent(), **kwargs.pop("headers", {})}
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        trust_env=False,
        follow_redirects=kwargs.pop("follow_redirects", True),
        headers=headers,
        **kwargs,
    )


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response."""

    method: str
    url: str
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    encoding: str = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    @property
    def is_json(self) -> bool:
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        return ctype == "application/json" or ctype.endswith("+json")

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is None."""
        if not self.content.strip():
            return None
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise HttpRequestError(
                f"{self.method} {self.url} returned a body that is not valid JSON "
                f"({exc.msg} at line {exc.lineno}, column {exc.colno}): {excerpt(self.text)}",
                method=self.method,
                url=self.url,
                status=self.status,
            ) from None


def excerpt(text: str, limit: int = 200) -> str:
    """The start of ``text`` on one line, for error messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


async def send(
    method: str,
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
    client: httpx.AsyncClient | None = None,
    **request: Any,
) -> HttpResponse:
    """Send one request and read the whole response.

    ``request`` takes httpx's request arguments (``headers``, ``params``, ``json``,
    ``data``, ``content``, ``auth``). ``timeout`` bounds the whole exchange, not each
    read. Failures raise :class:`HttpRequestError` naming the method and URL.
    """
    method = method.upper()
    own = client is None
    active = create_client(timeout=timeout) if client is None else client
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(active, method, url, max_bytes, request)
    except TimeoutError:
        raise HttpRequestError(
            f"{method} {url} timed out after {timeout:g}s; the server did not answer in time "
            "(raise `timeout` if it is just slow)",
            method=method,
            url=url,
        ) from None
    except httpx.TimeoutException:
        raise HttpRequestError(
            f"{method} {url} timed out after {timeout:g}s", method=method, url=url
        ) from None
    except httpx.ConnectError as exc:
        raise HttpRequestError(
            f"{method} {url}: could not connect ({_reason(exc)}); check the URL and that "
            "the server is up",
            method=method,
            url=url,
        ) from None
    except httpx.HTTPError as exc:
        raise HttpRequestError(
            f"{method} {url} failed: {_reason(exc)}", method=method, url=url
        ) from None
    finally:
        if own:
            await active.aclose()


async def _exchange(
    client: httpx.AsyncClient, method: str, url: str, max_bytes: int, request: dict[str, Any]
) -> HttpResponse:
    async with client.stream(method, url, **request) as response:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise HttpRequestError(
                    f"{method} {url} returned more than {max_bytes // (1024 * 1024)} MB; "
                    "ask the API for less data (paging, filters)",
                    method=method,
                    url=url,
                    status=response.status_code,
                )
            chunks.append(chunk)
        headers: dict[str, str] = {}
        for key, value in response.headers.multi_items():
            name = key.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return HttpResponse(
            method=method,
            url=str(response.url),
            status=response.status_code,
            reason=response.reason_phrase,
            headers=headers,
            content=b"".join(chunks),
            encoding=response.encoding or "utf-8",
        )


def _reason(exc: BaseException) -> str:
    # httpx reports "All connection attempts failed"; the socket error underneath says why.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "the host name could not be resolved"
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__
