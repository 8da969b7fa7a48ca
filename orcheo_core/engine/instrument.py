"""Wrap a graph node with Orcheo's per-node behaviour: events, retries, timeout.

The same wrapper runs in the local engine and in the single-node step that the
AWS node runner calls, so both engines see identical node semantics.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig  # noqa: TC002 - LangGraph reads it at run time
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command

from orcheo_core.engine.context import NodeRunContext, RunContext
from orcheo_core.errors import (
    CancelledRunError,
    ConfigError,
    CredentialError,
    InputError,
    NodeExecutionError,
    NodeTimeoutError,
    OrcheoError,
    TemplateError,
)

if TYPE_CHECKING:
    from orcheo_core.spec.models import RetryPolicySpec

__all__ = ["RUN_KEY", "NodeCall", "NodeOptions", "instrument", "run_context"]

RUN_KEY = "orcheo_run"
"""Key under ``config["configurable"]`` that carries the RunContext."""

NodeCall = Callable[[Any, NodeRunContext, Any], Awaitable[Any]]
"""(state, node context, LangGraph config) -> the node's return value."""

_NEVER_RETRY = (ConfigError, TemplateError, InputError, CredentialError, CancelledRunError)


@dataclass(frozen=True)
class NodeOptions:
    retry: RetryPolicySpec | None = None
    timeout: float | None = None
    credentials: Mapping[str, str] = field(default_factory=dict)


def run_context(config: Mapping[str, Any] | None) -> RunContext:
    """The RunContext of the current run, or a private one when called outside an engine."""
    configurable = (config or {}).get("configurable") or {}
    ctx = configurable.get(RUN_KEY)
    return ctx if isinstance(ctx, RunContext) else RunContext()


def _retryable(exc: BaseException, policy: RetryPolicySpec) -> bool:
    if isinstance(exc, _NEVER_RETRY):
        return False
    if not policy.retry_on:
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, NodeExecutionError):
        names.add(exc.error_type)
    return bool(names & set(policy.retry_on))


def backoff_delay(policy: RetryPolicySpec, attempt: int) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): exponential, capped, jittered."""
    delay = min(
        policy.initial_interval * policy.backoff_factor ** (attempt - 1), policy.max_interval
    )
    if policy.jitter:
        delay *= random.uniform(0.75, 1.25)
    return delay


def _as_node_error(name: str, exc: BaseException, attempt: int) -> OrcheoError:
    if isinstance(exc, NodeExecutionError):
        return exc
    if isinstance(exc, OrcheoError):
        exc.details.setdefault("node", name)
        if not exc.message.startswith(f"node {name!r}"):
            exc.message = f"node {name!r}: {exc.message}"
            exc.args = (exc.message,)
        return exc
    cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return NodeExecutionError(name, cause, error_type=type(exc).__name__, attempt=attempt)


def _output_for_event(update: Any) -> Any:
    if isinstance(update, Command):
        return {"update": update.update, "goto": update.goto}
    return update


def instrument(name: str, call: NodeCall, options: NodeOptions) -> Callable[..., Awaitable[Any]]:
    """A LangGraph node function that runs ``call`` with events, retries and a timeout."""

    async def node(state: Any, config: RunnableConfig) -> Any:
        run = run_context(config)
        policy = options.retry if run.retries_enabled else None
        attempts = policy.max_attempts if policy else 1
        attempt = 1
        while True:
            ctx = run.node_context(name, attempt, options.credentials)
            run.emit("node.started", node=name, attempt=attempt, data={"input": state})
            started = time.perf_counter()
            try:
                if options.timeout is None:
                    update = await call(state, ctx, config)
                else:
                    update = await _with_timeout(
                        name, call(state, ctx, config), options.timeout, attempt
                    )
            except (asyncio.CancelledError, GraphBubbleUp):
                raise
            except Exception as exc:
                duration = time.perf_counter() - started
                error = _as_node_error(name, exc, attempt)
                if attempt < attempts and policy is not None and _retryable(exc, policy):
                    delay = backoff_delay(policy, attempt)
                    run.emit(
                        "node.retrying",
                        node=name,
                        attempt=attempt,
                        data={"error": error.to_dict(), "duration": duration, "delay": delay},
                    )
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
                run.emit(
                    "node.failed",
                    node=name,
                    attempt=attempt,
                    data={"error": error.to_dict(), "duration": duration},
                )
                raise error from exc
            data: dict[str, Any] = {
                "output": _output_for_event(update),
                "duration": time.perf_counter() - started,
            }
            if ctx.usage["prompt_tokens"] or ctx.usage["completion_tokens"]:
                data["usage"] = dict(ctx.usage)
            run.emit("node.succeeded", node=name, attempt=attempt, data=data)
            return update

    node.__name__ = name
    node.__orcheo_call__ = (call, options)  # type: ignore[attr-defined]
    return node


async def _with_timeout(name: str, awaitable: Awaitable[Any], timeout: float, attempt: int) -> Any:
    try:
        async with asyncio.timeout(timeout) as scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise NodeTimeoutError(name, timeout, attempt=attempt) from None
        raise
