"""The engine side of NodeContext: what a running node can reach."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from orcheo_core.engine.events import RunEvent
from orcheo_core.errors import ConfigError, CredentialError

__all__ = ["CredentialResolver", "NodeRunContext", "RunContext", "SubworkflowRunner"]

CredentialResolver = Callable[[str], Awaitable[Mapping[str, str]]]
"""Credential reference (id or name) -> its secret fields."""

SubworkflowRunner = Callable[[Any, Mapping[str, Any], "RunContext"], Awaitable[dict[str, Any]]]
"""(workflow reference, inputs, parent run) -> the sub-run's final state."""

_logger = logging.getLogger("orcheo.run")


class RunContext:
    """Run-level services shared by every node of one run.

    ``emit`` gives each event the next sequence number and hands it to ``sink``.
    """

    def __init__(
        self,
        run_id: str = "local",
        *,
        sink: Callable[[RunEvent], None] | None = None,
        credentials: CredentialResolver | None = None,
        subworkflows: SubworkflowRunner | None = None,
        workflow_id: str | None = None,
        retries: bool = True,
        depth: int = 0,
    ) -> None:
        self.run_id = run_id
        self.workflow_id = workflow_id
        self._sink = sink
        self._credentials = credentials
        self.subworkflows = subworkflows
        self.retries_enabled = retries
        self.depth = depth
        self.cancel_event = asyncio.Event()
        self._seq = 0
        self.usage: dict[str, dict[str, int]] = {}

    def emit(
        self,
        event_type: str,
        *,
        node: str | None = None,
        attempt: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> RunEvent:
        self._seq += 1
        event = RunEvent(self._seq, self.run_id, event_type, node, attempt, dict(data or {}))
        if self._sink is not None:
            self._sink(event)
        return event

    async def resolve_credential(self, ref: str) -> Mapping[str, str]:
        if self._credentials is None:
            raise CredentialError(
                f"credential {ref!r} is needed but this run has no credential store; "
                "run the workflow on the server, or pass `credentials=` to the engine"
            )
        return await self._credentials(ref)

    def node_context(
        self, node_id: str, attempt: int, credentials: Mapping[str, str]
    ) -> NodeRunContext:
        return NodeRunContext(self, node_id, attempt, credentials)


class NodeRunContext:
    """NodeContext for one attempt of one node."""

    def __init__(
        self, run: RunContext, node_id: str, attempt: int, credentials: Mapping[str, str]
    ) -> None:
        self._run = run
        self._node_id = node_id
        self._attempt = attempt
        self._credentials = credentials
        self._logger: logging.LoggerAdapter[Any] | None = None  # built on first use: hot path
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}

    @property
    def run_id(self) -> str:
        return self._run.run_id

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def attempt(self) -> int:
        return self._attempt

    @property
    def logger(self) -> logging.LoggerAdapter[Any]:
        if self._logger is None:
            extra = {"run_id": self._run.run_id, "node_id": self._node_id, "attempt": self._attempt}
            self._logger = logging.LoggerAdapter(_logger, extra)
        return self._logger

    async def get_credential(self, slot: str) -> Mapping[str, str]:
        ref = self._credentials.get(slot)
        if ref is None:
            bound = ", ".join(sorted(self._credentials)) or "none"
            raise CredentialError(
                f"node {self._node_id!r} has no credential in slot {slot!r} "
                f"(bound slots: {bound}); set nodes[{self._node_id}].credentials.{slot}"
            )
        return await self._run.resolve_credential(ref)

    def emit(self, event_type: str, data: Mapping[str, Any]) -> None:
        self._run.emit(
            "node.event",
            node=self._node_id,
            attempt=self._attempt,
            data={"event": event_type, **data},
        )

    def report_usage(self, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self.usage["prompt_tokens"] += prompt_tokens
        self.usage["completion_tokens"] += completion_tokens

    def is_cancelled(self) -> bool:
        return self._run.cancel_event.is_set()

    async def run_subworkflow(self, ref: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if self._run.subworkflows is None:
            raise ConfigError(
                f"node {self._node_id!r} runs a sub-workflow, but this engine was given no "
                "way to load workflows; pass `subworkflows=` (a resolver) to the engine"
            )
        return await self._run.subworkflows(ref, inputs, self._run)
