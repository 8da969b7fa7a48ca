"""The API Lambda: the FastAPI app (``functions.api.app``) behind Mangum, on the AWS backends.

API Gateway's HTTP API sends ``/api/*`` and ``/hooks/*`` here. The app and its services
are built on the first request (``functions.aws.current``), then reused while the
container lives.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from functions.lambda_kit import observability

if TYPE_CHECKING:
    from mangum import Mangum

__all__ = ["handler"]

obs = observability("orcheo-api")
_adapter: list[Mangum] = []
# Mangum runs each request on the thread's current event loop. Ours is set before every
# call: code that ran ``asyncio.run`` on this thread (another handler sharing the process
# in emulation) leaves no current loop behind.
_loop: list[asyncio.AbstractEventLoop] = []


def adapter() -> Mangum:
    """Mangum around the app of this process's stack (built once)."""
    if not _adapter:
        from mangum import Mangum

        from functions.api.app import create_app
        from functions.aws import current

        # No lifespan: nothing runs between requests on Lambda.
        _adapter.append(Mangum(create_app(current().services), lifespan="off"))
    return _adapter[0]


def reset() -> None:
    """Forget the app (after ``functions.aws.install`` put another stack in place)."""
    _adapter.clear()


@obs.logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    obs.count("ApiRequests")
    if not _loop:
        _loop.append(asyncio.new_event_loop())
    asyncio.set_event_loop(_loop[0])
    answer: dict[str, Any] = adapter()(event, context)
    return answer
