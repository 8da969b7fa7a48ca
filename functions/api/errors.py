"""Every error as ``{"error": {"code", "message", "details"}}`` with the right status.

A 500 is a bug: it is logged with its traceback and answered without internals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from functions.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    UnauthorizedError,
    UnprocessableError,
)
from orcheo_core.errors import (
    ConfigError,
    InputError,
    OrcheoError,
    SpecValidationError,
    UnknownNodeTypeError,
)
from orcheo_core.sandbox.errors import SandboxError, SandboxUnavailableError, ScriptError
from orcheo_core.triggers.errors import MethodNotAllowedError, WebhookError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

__all__ = ["error_response", "install_error_handlers", "status_for"]

_log = logging.getLogger("orcheo.api")

_STATUS: list[tuple[type[OrcheoError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (PayloadTooLargeError, 413),
    (RateLimitedError, 429),
    (SpecValidationError, 422),
    (UnknownNodeTypeError, 422),
    (InputError, 422),
    (UnprocessableError, 422),
    (ScriptError, 422),
    (SandboxUnavailableError, 503),  # this machine cannot isolate user code (settings)
    (SandboxError, 422),  # a script refused while being checked (a limit or a rule)
    (ConfigError, 400),
]
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def status_for(exc: OrcheoError) -> int:
    if isinstance(exc, WebhookError):
        return exc.http_status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429 and details and "retry_after" in details:
        headers["Retry-After"] = str(int(details["retry_after"]) or 1)
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def _loc(parts: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


async def _on_orcheo_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OrcheoError)
    response = error_response(status_for(exc), exc.code, exc.message, exc.details)
    if isinstance(exc, WebhookError):
        # A webhook is not authenticated by a bearer token: don't ask for one.
        del response.headers["www-authenticate"]
        if isinstance(exc, MethodNotAllowedError):
            response.headers["Allow"] = ", ".join(exc.details.get("allowed", []))
    return response


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _loc(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return error_response(
        422, "validation_error", f"invalid request: {summary}{more}", {"errors": errors}
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = str(exc.detail)
    details: dict[str, Any] = {}
    if exc.status_code == 400:
        # FastAPI raises this when the body cannot be read as text at all (not UTF-8).
        message = f"{message}: send a JSON body encoded as UTF-8"
        details = {"field": "body"}
    elif exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}; see /docs for the API"
        details = {"path": request.url.path}
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        details = {"method": request.method, "path": request.url.path}
    response = error_response(exc.status_code, code, message, details)
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]  # RFC 9110: a 405 names the verbs
    return response


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        500,
        "internal_error",
        "the server hit an unexpected error (a bug); it was logged",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OrcheoError, _on_orcheo_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
