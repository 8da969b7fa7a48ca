"""The AWS stack: the service wired on the AWS backends (the twin of ``functions/local.py``).

Each Lambda handler takes the process's :class:`AwsStack` from :func:`current`, built on
first use from the environment (``AwsSettings.from_env()``, what the CDK stack sets),
and uses only the parts it needs: the API its ``Services``, the node runner its
:class:`~functions.service.tasks.TaskRunner`, the scheduler its ``EventBridgeScheduler``,
the WebSocket routes their ``WebSocketConnections``, the telemetry push its pusher.
Parts are built lazily, so a handler pays only for what it touches.

In one process (tests, ``orcheo dev --aws``) :func:`install` makes every handler share
one stack, e.g. one with the conformance node registry, against in-process moto.
"""

from __future__ import annotations

import threading
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from functions.settings import AwsSettings, Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.backends.aws.bus import TelemetryPusher, WebSocketConnections
    from functions.backends.aws.scheduler import EventBridgeScheduler
    from functions.backends.ports import RunRecord, ScheduleRecord
    from functions.service import Services
    from functions.service.tasks import TaskRunner
    from orcheo_core.compile.runtime import StateStore
    from orcheo_core.nodes.registry import NodeRegistry
    from orcheo_core.vault import Redactor

__all__ = ["AwsStack", "current", "install"]


class AwsStack:
    """The service on the AWS backends: stores on DynamoDB, runs on Step Functions.

    ``settings`` says where the resources are; ``service`` the service settings shared
    with the local stack (body limits, event data limit; default from the environment).
    ``state_store`` holds state passed by reference (default: S3, ``ORCHEO_STATE_BUCKET``).
    """

    def __init__(
        self,
        settings: AwsSettings,
        *,
        service: Settings | None = None,
        registry: NodeRegistry | None = None,
        state_store: StateStore | None = None,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 1.0,
    ) -> None:
        from functions.backends.aws import bind

        self.settings = settings
        if settings.code_runner_arn:  # user code leaves this process (functions/code_runner)
            from functions.code_runner.client import invoker
            from orcheo_core.sandbox import use_remote

            use_remote(invoker(settings.code_runner_arn, settings.region))
        self.service_settings = service or Settings.from_env()
        self.registry = registry
        self.clock = clock
        self._state_store = state_store
        self._poll = poll_interval
        bind(settings)

    @cached_property
    def state_store(self) -> StateStore:
        if self._state_store is not None:
            return self._state_store
        from functions.backends.aws.state_store import S3StateStore

        return S3StateStore(self.settings.state_bucket, region=self.settings.region)

    @cached_property
    def services(self) -> Services:
        """Every port, on AWS (the vault and the scheduler are built on first use)."""
        from functions.backends.aws import (
            DynamoCredentialStore,
            DynamoRunStore,
            DynamoTokenStore,
            DynamoTriggerState,
            DynamoWorkflowStore,
        )
        from functions.backends.aws.bus import DynamoEventBus
        from functions.backends.aws.engine import StepFunctionsEngine
        from functions.service import Services

        settings = self.settings
        runs = DynamoRunStore(retention=settings.run_retention, clock=self.clock)
        bus = DynamoEventBus(region=settings.region)
        engine = StepFunctionsEngine(
            runs,
            bus,
            settings,
            registry=self.registry,
            state_store=_Lazy(lambda: self.state_store),
            clock=self.clock,
            poll_interval=self._poll,
            run_redactor=self._run_redactor,
        )
        return Services(
            settings=self.service_settings,
            workflows=DynamoWorkflowStore(),
            runs=runs,
            credentials=DynamoCredentialStore(),
            tokens=DynamoTokenStore(),
            trigger_state=DynamoTriggerState(clock=self.clock),
            bus=bus,
            engine=engine,
            scheduler=_LazyScheduler(self) if settings.scheduler_target_arn else None,
            registry=self.registry,
            clock=self.clock,
            vault_factory=self._open_vault,
        )

    def _run_redactor(self, run: RunRecord) -> Redactor:
        from functions.service.run_secrets import workflow_redactor

        return workflow_redactor(self.services, run)

    def _open_vault(self) -> Any:
        from functions.backends.aws.vault import kms_vault

        return kms_vault(self.settings)

    @cached_property
    def scheduler(self) -> EventBridgeScheduler:
        """EventBridge Scheduler; its fires start cron runs (with the overlap guard)."""
        from functions.backends.aws.scheduler import EventBridgeScheduler

        return EventBridgeScheduler(self.settings, self._on_fire, clock=self.clock)

    async def _on_fire(self, schedule: ScheduleRecord, fire_time: float) -> None:
        from functions.service.triggers import fire_cron

        await fire_cron(self.services, schedule, fire_time)

    @cached_property
    def tasks(self) -> TaskRunner:
        """The node runner's logic: one Task of a run's state machine."""
        from functions.service.tasks import TaskRunner

        return TaskRunner(self.services, _Lazy(lambda: self.state_store))

    @cached_property
    def connections(self) -> WebSocketConnections:
        from functions.backends.aws.bus import WebSocketConnections

        return WebSocketConnections(clock=self.clock)

    @cached_property
    def pusher(self) -> TelemetryPusher:
        """Posts run events to WebSocket subscribers (``ORCHEO_WEBSOCKET_CALLBACK_URL``)."""
        from functions.backends.aws.bus import telemetry_pusher

        return telemetry_pusher(self.settings)


class _Lazy:
    """A StateStore built on first use (S3's client is not needed by most invocations)."""

    def __init__(self, make: Callable[[], StateStore]) -> None:
        self._make = make

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        return self._make().put(key, data)

    def get(self, ref: Any) -> bytes:
        return self._make().get(ref)


class _LazyScheduler:
    """The Scheduler port, built on first use: most API requests never touch schedules."""

    def __init__(self, stack: AwsStack) -> None:
        self._stack = stack

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stack.scheduler, name)


_current: list[AwsStack] = []
_lock = threading.Lock()


def current() -> AwsStack:
    """This process's stack: the installed one, else one built from the environment."""
    with _lock:
        if not _current:
            _current.append(AwsStack(AwsSettings.from_env()))
        return _current[0]


def install(stack: AwsStack | None) -> None:
    """Make every handler of this process use ``stack`` (None: build from the env again)."""
    with _lock:
        _current.clear()
        if stack is not None:
            _current.append(stack)
