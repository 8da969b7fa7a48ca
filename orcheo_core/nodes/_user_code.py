"""What the code nodes share: run ``main(state)`` through the sandbox, explain failures.

Python Code and JavaScript Code both run in the one user-code runner
(:meth:`orcheo_core.sandbox.ScriptSandbox.run_code`): a job forked from the sandbox's
fork server, behind its OS boundary, with the node's time, processor and memory limits.
This module turns how a job ended into a :class:`CodeExecutionError` a user can act on.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
from typing import TYPE_CHECKING, Any, Literal

from orcheo_core.errors import CodeExecutionError, DataError, OrcheoError

if TYPE_CHECKING:
    from orcheo_core.nodes.base import NodeContext, State
    from orcheo_core.sandbox import ScriptSandbox

__all__ = ["run_user_code"]

Language = Literal["python", "javascript"]
_LABEL = {"python": "Python Code", "javascript": "JavaScript Code"}
_SANDBOX: ScriptSandbox | None = None


def _sandbox() -> ScriptSandbox:
    global _SANDBOX
    if _SANDBOX is None:
        from orcheo_core.sandbox import ScriptSandbox

        _SANDBOX = ScriptSandbox(check=False)
    return _SANDBOX


def _state_json(state: State, language: Language) -> Any:
    try:
        return json.loads(json.dumps(dict(state)))
    except (TypeError, ValueError):
        pass
    for key, value in state.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"state channel {key!r} holds a value of type {type(value).__name__!r}, which "
                f"cannot be passed to {_LABEL[language]} (only JSON values can): {exc}",
                channel=key,
            ) from None
    raise DataError(f"the state cannot be passed to {_LABEL[language]} (only JSON values can)")


async def run_user_code(
    language: Language,
    code: str,
    state: State,
    *,
    timeout: float = 10,
    memory_mb: int = 256,
    cpu_seconds: int | None = None,
    ctx: NodeContext | None = None,
) -> tuple[Any, str]:
    """Run ``main(state)`` from ``code``; return (result, printed text)."""
    from orcheo_core.sandbox import (
        SandboxLimits,
        ScriptCrashedError,
        ScriptMemoryError,
        ScriptTimeoutError,
    )

    cpu = cpu_seconds or max(1, math.ceil(timeout))
    limits = SandboxLimits(memory_mb=memory_mb, cpu_seconds=cpu, wall_seconds=timeout)
    payload = _state_json(state, language)
    cancelled = ctx.is_cancelled if ctx is not None else None
    try:
        run = await _sandbox().run_code(language, code, payload, limits=limits, cancelled=cancelled)
    except ScriptTimeoutError as exc:
        if exc.details.get("limit") == "cpu":
            raise _cpu_error(cpu) from None
        raise _timeout_error(timeout) from None
    except ScriptMemoryError:
        raise _memory_error(memory_mb) from None
    except ScriptCrashedError as exc:
        raise _crash(exc) from None
    outcome = run.outcome
    if not outcome.get("ok"):
        raise _failure(outcome, code, memory_mb, timeout)
    return json.loads(outcome["result_json"]), run.stdout


def _timeout_error(timeout: float) -> CodeExecutionError:
    return CodeExecutionError(
        f"the code timed out after {timeout:g}s and was stopped "
        "(look for an endless loop, or raise `timeout`)",
        reason="timeout",
    )


def _cpu_error(cpu_seconds: int) -> CodeExecutionError:
    return CodeExecutionError(
        f"the code used more than {cpu_seconds}s of processor time and was stopped "
        "(raise `cpu_seconds`)",
        reason="cpu",
    )


def _memory_error(memory_mb: int) -> CodeExecutionError:
    return CodeExecutionError(
        f"the code exceeded the memory limit of {memory_mb} MB (raise `memory_mb`, or work "
        "on less data at a time)",
        reason="memory",
    )


def _crash(exc: OrcheoError) -> CodeExecutionError:
    code = exc.details.get("exit_code")
    detail = ""
    if isinstance(code, int) and code < 0:
        with contextlib.suppress(ValueError):
            detail = f" (killed by {signal.Signals(-code).name})"
    return CodeExecutionError(
        f"the code's process exited with code {code}{detail}",
        reason="crash",
        exit_code=code,
    )


def _failure(
    outcome: dict[str, Any], code: str, memory_mb: int, timeout: float
) -> CodeExecutionError:
    kind = outcome.get("kind")
    line = outcome.get("line")
    if kind == "syntax":
        column = outcome.get("column")
        where = f"line {line}" + (f", column {column}" if column is not None else "")
        return CodeExecutionError(
            f"the code has a syntax error at {where}: {outcome.get('message')}",
            reason="syntax",
            line=line,
        )
    if kind == "no_main":
        return CodeExecutionError(
            "the code defines no `main` function; add a `main(state)` that returns the result",
            reason="no_main",
        )
    if kind == "memory":
        return _memory_error(memory_mb)
    if kind == "timeout":
        return _timeout_error(timeout)
    if kind == "result":
        return CodeExecutionError(
            f"`main` returned a value that cannot be stored in the state ({outcome['message']}); "
            "return numbers, text, true/false, lists and objects only",
            reason="result",
        )
    where = ""
    if isinstance(line, int):
        lines = code.splitlines()
        source = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        where = f" at line {line}" + (f" ({source})" if source else "")
    message = outcome.get("message") or ""
    return CodeExecutionError(
        f"the code raised {outcome.get('type')}{where}: {message}".rstrip(": "),
        reason="exception",
        error_type=outcome.get("type"),
        line=line,
    )
