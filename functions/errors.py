"""Errors the service raises on purpose; each maps to one HTTP status in the API."""

from __future__ import annotations

from orcheo_core.errors import OrcheoError

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "UnauthorizedError",
    "UnprocessableError",
]


class NotFoundError(OrcheoError):
    """The thing asked for does not exist (404)."""

    code = "not_found"


class ConflictError(OrcheoError):
    """The change lost a race or contradicts the current state (409)."""

    code = "conflict"


class UnauthorizedError(OrcheoError):
    """No token, or a token that is unknown, revoked or expired (401)."""

    code = "unauthorized"


class ForbiddenError(OrcheoError):
    """The token is valid but lacks the scope this action needs (403)."""

    code = "forbidden"


class PayloadTooLargeError(OrcheoError):
    """The request body is over the size limit (413)."""

    code = "payload_too_large"


class RateLimitedError(OrcheoError):
    """Too many requests; retry after ``details['retry_after']`` seconds (429)."""

    code = "rate_limited"


class UnprocessableError(OrcheoError):
    """Well-formed input that cannot be acted on, e.g. a replay with nothing to resume (422)."""

    code = "unprocessable"
