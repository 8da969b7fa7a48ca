"""Errors a webhook request can be refused with; each one names the HTTP status it means.

The service answers with ``http_status`` and the usual ``{"code", "message", "details"}``
body. No message ever contains a secret or the signature the server expected.
"""

from __future__ import annotations

from typing import Any, ClassVar

from orcheo_core.errors import OrcheoError

__all__ = [
    "InvalidWebhookBodyError",
    "MethodNotAllowedError",
    "WebhookAuthError",
    "WebhookError",
    "WebhookPayloadTooLargeError",
]


class WebhookError(OrcheoError):
    """A webhook request that cannot start a run; ``http_status`` is the answer's status."""

    code = "webhook_error"
    http_status: ClassVar[int] = 400


class WebhookAuthError(WebhookError):
    """The request's signature is missing, malformed, stale, wrong or a replay.

    ``details["reason"]`` is one of ``missing``, ``malformed``, ``too_old``,
    ``too_new``, ``mismatch``, ``replayed``.
    """

    code = "invalid_signature"
    http_status = 401

    def __init__(self, message: str, *, reason: str, **details: Any) -> None:
        super().__init__(message, reason=reason, **details)
        self.reason = reason


class MethodNotAllowedError(WebhookError):
    """The HTTP method is not one the webhook accepts; ``details["allowed"]`` lists them."""

    code = "method_not_allowed"
    http_status = 405


class WebhookPayloadTooLargeError(WebhookError):
    """The body is larger than the trigger's ``max_body_bytes``."""

    code = "payload_too_large"
    http_status = 413


class InvalidWebhookBodyError(WebhookError):
    """The body does not parse as its Content-Type says (e.g. invalid JSON)."""

    code = "invalid_body"
    http_status = 400
