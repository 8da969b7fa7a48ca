"""JSON nesting limits: refused on the way in, bounded on the way out.

A body nested hundreds of levels deep parses fine but cannot be serialised again
(pydantic stops at its own depth limit), so a run started with one used to break every
``GET /api/runs`` page that held it. The API therefore refuses request bodies nested
deeper than :data:`MAX_DEPTH` (a 422 naming where), and every JSON value it answers
with passes :func:`bounded`, so no stored record, whoever wrote it (an older server, a
node's output), can make a list endpoint fail.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from functions.api.errors import error_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_DEPTH", "TOO_DEEP", "JsonDepthLimit", "bounded", "too_deep_at"]

MAX_DEPTH = 64
"""Containers (objects and arrays) nested in one another, counting the outermost one."""

TOO_DEEP = f"(nested deeper than {MAX_DEPTH} levels: not shown)"
"""What :func:`bounded` puts in place of a container that is too deep."""


def _step(loc: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{loc}[{key}]"
    return f"{loc}.{key}" if loc else key


def too_deep_at(value: Any, limit: int = MAX_DEPTH, loc: str = "") -> str | None:
    """Where ``value`` first nests deeper than ``limit`` containers, or None.

    Iterative, so a value too deep for the interpreter's recursion limit is measured too.

    >>> too_deep_at({"a": [[1]]}, limit=2)
    'a[0]'
    """
    stack: list[tuple[Any, int, str]] = [(value, 1, loc)]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict):
            children: Any = item.items()
        elif isinstance(item, list | tuple):
            children = enumerate(item)
        else:
            continue
        if depth > limit:
            return where
        stack.extend(
            (child, depth + 1, _step(where, key))
            for key, child in children
            if isinstance(child, dict | list | tuple)
        )
    return None


def bounded(value: Any, limit: int = MAX_DEPTH) -> Any:
    """``value`` itself when it nests at most ``limit`` deep, else a copy cut at ``limit``.

    Containers below the limit become :data:`TOO_DEEP`, so the answer always serialises.
    """
    if too_deep_at(value, limit) is None:
        return value
    return _cut(value, limit)


def _cut(value: Any, limit: int) -> Any:
    # Only reached for values known to be too deep; recursion is bounded by ``limit``.
    if not isinstance(value, dict | list | tuple):
        return value
    if limit <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {key: _cut(child, limit - 1) for key, child in value.items()}
    return [_cut(child, limit - 1) for child in value]


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, raw in headers:
        if name == b"content-type":
            media = raw.split(b";", 1)[0].strip().lower()
            return media in (b"application/json", b"text/json") or media.endswith(b"+json")
    return False


class JsonDepthLimit:
    """Refuses JSON request bodies nested deeper than ``limit`` with a 422 naming where.

    It reads the body whole (the body-size limit around it bounds that), checks it, then
    hands the same bytes on; bodies that are not JSON are the routes' business.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope.get("headers", [])):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        where = self._too_deep(b"".join(chunks))
        if where is not None:
            response = error_response(
                422,
                "validation_error",
                f"invalid request: {where}: JSON nested deeper than {self.limit} levels; "
                "flatten the data or send it as a string",
                {"field": where, "limit": self.limit},
            )
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    def _too_deep(self, body: bytes) -> str | None:
        if not body.strip():
            return None
        try:
            value = json.loads(body)
        except RecursionError:
            return "body"  # deeper than the interpreter's own limit: far too deep
        except ValueError:
            return None  # not JSON at all: the route answers that with its own error
        return too_deep_at(value, self.limit, "body")
