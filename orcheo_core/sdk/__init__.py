"""The Orcheo SDK for a server: a typed client for the whole API and a workflow executor.

Example::

    from orcheo_core.sdk import HttpWorkflowExecutor

    with HttpWorkflowExecutor("http://127.0.0.1:8000", token) as executor:
        state = executor.run(workflow_id, {"name": "Ada"})

Importing it loads httpx and pydantic only; the WebSocket library is imported when a
stream starts. See docs/sdk.md.
"""

from orcheo_core.sdk._transport import RetryPolicy
from orcheo_core.sdk.client import AsyncOrcheoClient, OrcheoClient
from orcheo_core.sdk.config import ClientConfig, resolve_config
from orcheo_core.sdk.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    RunFailedError,
    RunTimeoutError,
    ServerError,
    ServerUnreachableError,
    UnprocessableError,
)
from orcheo_core.sdk.executor import AsyncHttpWorkflowExecutor, HttpWorkflowExecutor
from orcheo_core.sdk.models import Event, Run, RunDetail, Version, Workflow

__all__ = [
    "ApiError",
    "AsyncHttpWorkflowExecutor",
    "AsyncOrcheoClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientConfig",
    "ConflictError",
    "Event",
    "HttpWorkflowExecutor",
    "NotFoundError",
    "OrcheoClient",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "Run",
    "RunDetail",
    "RunFailedError",
    "RunTimeoutError",
    "ServerError",
    "ServerUnreachableError",
    "UnprocessableError",
    "Version",
    "Workflow",
    "resolve_config",
]
