"""Errors the SDK raises: one per kind of answer, each carrying the server's code and message.

Every error descends from :class:`~orcheo_core.errors.OrcheoError` through
:class:`ApiError` (the server answered with an error) or :class:`ServerUnreachableError`
(it did not answer, even after the retries).

Example::

    try:
        client.get_workflow("nope")
    except NotFoundError as exc:
        print(exc.status, exc.code, exc.message)   # 404 not_found no workflow 'nope'
"""

from __future__ import annotations

from typing import Any

from orcheo_core.errors import OrcheoError

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RunFailedError",
    "RunTimeoutError",
    "ServerError",
    "ServerUnreachableError",
    "UnprocessableError",
    "error_for_status",
]


class ApiError(OrcheoError):
    """The server answered with an error: ``status``, its ``code``, ``message`` and ``details``."""

    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, **(details or {}))
        self.status = status
        if code is not None:
            self.code = code
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class BadRequestError(ApiError):
    """400: the server understood the request but cannot carry it out as asked."""


class AuthenticationError(ApiError):
    """401: no token, or one that is unknown, revoked or expired."""


class PermissionDeniedError(ApiError):
    """403: the token lacks the scope the action needs (the message names it)."""


class NotFoundError(ApiError):
    """404: no such workflow, version, run, token, credential or route."""


class ConflictError(ApiError):
    """409: a stale revision, a taken name, a finished run, an idempotency key in use."""


class PayloadTooLargeError(ApiError):
    """413: the body is over the server's size limit."""


class UnprocessableError(ApiError):
    """422: a malformed request, an invalid spec or a script that cannot become a workflow.

    ``details`` says where: ``errors[].field``, ``problems[].loc`` or ``line``/``column``.
    """


class RateLimitedError(ApiError):
    """429 after every retry; ``retry_after`` is the server's advice in seconds (or None)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx after every retry."""


class ServerUnreachableError(OrcheoError):
    """No answer at all (connection refused, reset or timed out), even after the retries."""

    code = "server_unreachable"


class RunFailedError(OrcheoError):
    """A run the executor waited for ended ``failed`` or ``cancelled``.

    ``code``/``message`` are the run's error; ``run`` is the run as the server recorded it.
    """

    code = "run_failed"

    def __init__(self, run: Any) -> None:
        error = dict(run.error or {})
        super().__init__(
            f"run {run.id} {run.status}: {error.get('message', 'no error recorded')}",
            **dict(error.get("details") or {}),
        )
        self.code = str(error.get("code") or run.status)
        self.run = run


class RunTimeoutError(OrcheoError):
    """The run did not end within the time the caller was ready to wait; it goes on."""

    code = "run_wait_timeout"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
    429: RateLimitedError,
}


def error_for_status(
    status: int,
    body: Any,
    *,
    method: str = "",
    url: str = "",
    retry_after: float | None = None,
) -> ApiError:
    """The typed error for an error answer whose JSON body is ``body`` (any shape)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or "error")
        message = str(error.get("message") or f"HTTP {status}")
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
    else:  # not our error shape: a proxy or load balancer answered
        code = "server_error" if status >= 500 else "http_error"
        message = f"HTTP {status} from {method} {url}".strip()
        details = {}
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "details": details,
        "method": method,
        "url": url,
    }
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after, **kwargs)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return cls(message, **kwargs)
