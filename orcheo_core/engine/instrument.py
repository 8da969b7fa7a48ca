"""Wrap a graph node with Orcheo's per-node behaviour: events, retries, timeout.

The same wrapper runs in the local engine and in the single-node step that the
AWS node runner calls, so both engines see identical node semantics.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig  # noqa: TC002 - LangGraph reads it at run time
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command, RetryPolicy

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

__all__ = [
    "RUN_KEY",
    "NodeCall",
    "NodeOptions",
    "graph_retry_policies",
    "instrument",
    "run_context",
]

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
    # A script node's own LangGraph RetryPolicy (or policies), applied here with
    # LangGraph's semantics so that ``retry_on`` sees the node's exception, not ours.
    graph_retry: tuple[RetryPolicy, ...] = ()


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


def graph_retry_policies(policy: Any) -> tuple[RetryPolicy, ...]:
    """A node's ``retry_policy`` as LangGraph accepts it (one, a sequence, None) -> a tuple."""
    if policy is None:
        return ()
    if isinstance(policy, RetryPolicy):
        return (policy,)
    return tuple(policy)


def _graph_retry_on(policy: RetryPolicy, exc: Exception) -> bool:
    """LangGraph's own test of ``retry_on`` (langgraph/pregel/_retry.py)."""
    retry_on = policy.retry_on
    if isinstance(retry_on, Sequence):
        return isinstance(exc, tuple(retry_on))
    if isinstance(retry_on, type) and issubclass(retry_on, Exception):
        return isinstance(exc, retry_on)
    return bool(retry_on(exc))  # type: ignore[call-arg]


def _graph_retry_delay(
    policies: tuple[RetryPolicy, ...], exc: Exception, attempt: int
) -> float | None:
    """Seconds before the next attempt under LangGraph's rules, or None: do not retry.

    As LangGraph does: the first policy whose ``retry_on`` accepts the exception
    applies; its interval grows by ``backoff_factor``, is capped at ``max_interval``,
    and gets up to a second of jitter.
    """
    for policy in policies:
        if not _graph_retry_on(policy, exc):
            continue
        if attempt >= policy.max_attempts:
            return None
        delay = min(
            policy.max_interval, policy.initial_interval * policy.backoff_factor ** (attempt - 1)
        )
        return delay + random.uniform(0, 1) if policy.jitter else delay
    return None


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
                delay: float | None = None
                if attempt < attempts and policy is not None and _retryable(exc, policy):
                    delay = backoff_delay(policy, attempt)
                elif options.graph_retry and not isinstance(exc, _NEVER_RETRY):
                    delay = _graph_retry_delay(options.graph_retry, exc, attempt)
                if delay is not None:
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
