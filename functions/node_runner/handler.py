"""The node-runner Lambda: every Task state of a generated state machine invokes it.

It runs the engine's single-node step for the run named in the payload
(:class:`functions.service.tasks.TaskRunner`: the version is loaded and compiled once
per warm container), stores the node events the step emitted, and returns the new
payload: the state (or its S3 reference) and the route the next Choice reads.

A failure leaves as a Lambda error whose ``errorType`` is the Task error name Step
Functions matches (``Orcheo.Retryable`` for a retry, the Orcheo error class otherwise)
and whose ``errorMessage`` is the Orcheo error as JSON (docs/compiler.md). Tasks are
idempotent on their whole input: a Task Step Functions retries after a
``Lambda.ServiceException`` answers from the first run rather than running the node
again.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from functions.lambda_kit import Idempotent, observability

if TYPE_CHECKING:
    from orcheo_core.compile.runtime import TaskError

__all__ = ["handler", "lambda_error"]

obs = observability("orcheo-node-runner")
_errors: dict[str, type[Exception]] = {}


def lambda_error(error: TaskError) -> Exception:
    """``error`` as the exception whose class name Lambda reports as ``errorType``.

    The Python runtime names a failure after its exception's class, and Step Functions
    matches Retry and Catch on that name: ``Orcheo.Retryable``, ``NodeExecutionError``...
    """
    kind = _errors.get(error.name)
    if kind is None:
        kind = _errors.setdefault(error.name, type(error.name, (Exception,), {}))
    return kind(str(error))


def _run(event: dict[str, Any]) -> dict[str, Any]:
    from functions.aws import current

    return asyncio.run(current().tasks.handle(event))


_task = Idempotent(_run)


@obs.logger.inject_lambda_context(correlation_id_path="payload.run.run_id")
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.aws import current
    from orcheo_core.compile.runtime import TaskError

    obs.logger.append_keys(action=event.get("action"), node=event.get("node"))
    obs.count("Tasks")
    try:
        out: dict[str, Any] = _task(current().settings, event, context)
    except TaskError as exc:
        obs.count("TaskErrors")
        obs.logger.info("task failed", extra={"error": exc.name})
        raise lambda_error(exc) from None
    return out
