"""What every Orcheo Lambda handler shares: Powertools' Logger, Tracer and Metrics, and
Idempotency on the tables of the deployment.

Handlers stay thin: parse the event, call the service, shape the answer. This module
gives them the observability around that, built once per container:

- ``Logger`` (JSON lines, the Lambda context and a correlation id: the run, the
  connection, the schedule or the request a line belongs to);
- ``Tracer`` (X-Ray) when the ``aws-xray-sdk`` is installed, else a stand-in that traces
  nothing, so a bundle without it still starts;
- ``Metrics`` (CloudWatch embedded metric format, namespace ``Orcheo``);
- :func:`idempotent`: Powertools' Idempotency on ``<prefix>idempotency``, for the entry
  points AWS may deliver twice (a Task Lambda.ServiceException retried by Step
  Functions, an EventBridge Scheduler retry).
"""

from __future__ import annotations

import importlib.util
import threading
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.settings import AwsSettings

__all__ = ["NAMESPACE", "Idempotent", "Observability", "observability"]

NAMESPACE = "Orcheo"
F = TypeVar("F")


class _NoTracer:
    """Stands in for Powertools' Tracer when the X-Ray SDK is not installed."""

    def capture_lambda_handler(self, lambda_handler: Any = None, **kwargs: Any) -> Any:
        return lambda_handler


class Observability:
    """The Logger, Tracer and Metrics of one handler (``service`` names the function)."""

    def __init__(self, service: str) -> None:
        self.logger = Logger(service=service)
        # Ephemeral: handlers sharing a process (emulation, tests) keep their own metric sets.
        self.metrics = EphemeralMetrics(namespace=NAMESPACE, service=service)
        self.tracer: Any = _NoTracer()
        if importlib.util.find_spec("aws_xray_sdk") is not None:
            from aws_lambda_powertools import Tracer

            self.tracer = Tracer(service=service)

    def traced(self, handler: F) -> F:
        """``handler`` traced by X-Ray (Powertools' ``capture_lambda_handler``), if available."""
        return cast("F", self.tracer.capture_lambda_handler(handler))

    def count(self, name: str, value: float = 1) -> None:
        """Add to a count metric (published when the invocation ends)."""
        from aws_lambda_powertools.metrics import MetricUnit

        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def observability(service: str) -> Observability:
    """The handler's Logger, Tracer and Metrics (see :class:`Observability`)."""
    return Observability(service)


class Idempotent:
    """``fn(event)`` made idempotent with Powertools on the deployment's idempotency table.

    Built on first use (the table name comes from the settings the handler reads then).
    ``key`` is a JMESPath into the event (default: the whole event); a repeated event
    within ``expires_after`` seconds gets the first answer without running again; an
    invocation that raised leaves no record, so its retry runs.
    """

    def __init__(
        self,
        fn: Callable[[dict[str, Any]], Any],
        *,
        key: str | None = None,
        expires_after: int = 3600,
    ) -> None:
        self._fn = fn
        self._key = key
        self._expires = expires_after
        self._wrapped: Callable[..., Any] | None = None
        self._config: Any = None
        self._built_for: AwsSettings | None = None
        self._lock = threading.Lock()

    def build(self, settings: AwsSettings) -> None:
        import boto3
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        persistence = DynamoDBPersistenceLayer(
            table_name=settings.tables.idempotency,
            boto3_client=boto3.client("dynamodb", region_name=settings.region),
        )
        self._config = IdempotencyConfig(
            event_key_jmespath=self._key or "",
            expires_after_seconds=self._expires,
            raise_on_no_idempotency_key=self._key is not None,
        )
        fn = self._fn

        def call(event: dict[str, Any]) -> Any:
            return fn(event)

        self._wrapped = idempotent_function(
            data_keyword_argument="event", persistence_store=persistence, config=self._config
        )(call)

    def __call__(self, settings: AwsSettings, event: dict[str, Any], context: Any) -> Any:
        with self._lock:
            # Rebuilt when the stack changes (a process hosting several: tests, emulation).
            if self._wrapped is None or self._built_for is not settings:
                self.build(settings)
                self._built_for = settings
        assert self._wrapped is not None
        if context is not None:
            self._config.register_lambda_context(context)
        return self._wrapped(event=event)
