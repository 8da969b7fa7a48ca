"""The FastAPI app factory: the same app runs on the local stack and (later) in Lambda."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import orcheo_core
from functions.api.deps import FailedAuthLimiter
from functions.api.errors import error_response, install_error_handlers
from functions.api.json_depth import JsonDepthLimit
from functions.api.routers import credentials, hooks, runs, system, triggers, workflows
from functions.api.ws import router as ws_router

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from functions.service import Services

__all__ = ["BodyLimit", "create_app"]

DESCRIPTION = """\
Orcheo's API: workflows and their versions, runs and their events, the node catalog
and API tokens. Send `Authorization: Bearer <token>` on every route but
`/api/health`. Errors are `{"error": {"code", "message", "details"}}`.
Live telemetry: the `/ws` WebSocket (see the docs).
"""


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with a 413, before they are read whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, receive, send)
                return
        seen = 0
        limit = self.limit

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"the request body is over the limit of {self.limit} bytes",
            {"limit": self.limit, "field": "body"},
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(
    services: Services,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The API for ``services``; ``lifespan`` starts/stops background work (local stack)."""
    app = FastAPI(
        title="Orcheo",
        version=orcheo_core.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.auth_limiter = FailedAuthLimiter()
    install_error_handlers(app)
    # Routes are matched in order: the public webhook route, the one a busy workflow
    # takes most, comes first instead of after every /api route (bench/README.md, peers).
    app.include_router(hooks.router)
    app.include_router(workflows.router)
    app.include_router(runs.router)
    app.include_router(credentials.router)
    app.include_router(triggers.router)
    app.include_router(system.router)
    app.include_router(ws_router)
    app.add_middleware(JsonDepthLimit)  # inside BodyLimit: it reads bodies already bounded
    app.add_middleware(BodyLimit, limit=services.settings.max_body_bytes)
    return app
