"""FastAPI dependencies: the services bundle and bearer-token auth by scope."""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from functions.backends.ports import Scope, TokenRecord
from functions.errors import RateLimitedError, UnauthorizedError
from functions.service import Services
from functions.service.tokens import authenticate

__all__ = [
    "AdminToken",
    "FailedAuthLimiter",
    "ReadToken",
    "RunToken",
    "ServicesDep",
    "require",
]


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="An Orcheo API token.")


class FailedAuthLimiter:
    """Refuses a client (429) after too many bad tokens in a minute: slows down guessing."""

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, now: float) -> None:
        with self._lock:
            start, count = self._failures.get(client, (now, 0))
        if now - start < self.window and count >= self.limit:
            retry = int(self.window - (now - start)) + 1
            raise RateLimitedError(
                f"too many requests with a bad API token; retry in {retry} s",
                retry_after=retry,
            )

    def fail(self, client: str, now: float) -> None:
        with self._lock:
            start, count = self._failures.get(client, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            self._failures[client] = (start, count + 1)
            if len(self._failures) > 10_000:  # bounded memory under a flood of clients
                self._failures.clear()


def require(scope: Scope) -> object:
    """A dependency that authenticates the request's bearer token for ``scope``.

    It is async on purpose: a sync dependency would hop to the thread pool on every
    request, and the check is a dictionary lookup (a store read on a cache miss).
    """

    async def dependency(
        request: Request,
        services: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenRecord:
        limiter: FailedAuthLimiter = request.app.state.auth_limiter
        client = request.client.host if request.client else "unknown"
        now = time.monotonic()
        limiter.check(client, now)
        secret = credentials.credentials if credentials else None
        try:
            return authenticate(services, secret, scope)
        except UnauthorizedError:
            if secret:
                limiter.fail(client, now)
            raise

    dependency.__name__ = f"require_{scope}"
    # Security rather than Depends: the scope then shows in the operation's OpenAPI
    # security requirement ({"HTTPBearer": ["run"]}, role names as OpenAPI 3.1 allows).
    return Security(dependency, scopes=[scope])


ReadToken = Annotated[TokenRecord, require("read")]
RunToken = Annotated[TokenRecord, require("run")]
AdminToken = Annotated[TokenRecord, require("admin")]
