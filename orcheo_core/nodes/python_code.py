"""Python Code: run a short piece of the user's Python in a separate, limited process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from orcheo_core.errors import CancelledRunError, CodeExecutionError, DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["PythonCodeConfig", "PythonCodeNode", "run_code"]

RUNNER = str(Path(__file__).with_name("_sandbox_runner.py"))
_POLL = 0.05
"""Seconds between cancellation checks while the code runs."""

_EXAMPLE = "def main(state):\n    return {'total': sum(state['amounts'])}\n"


class PythonCodeConfig(NodeConfig):
    code: str = Field(
        description="Python that defines `def main(state):` and returns the result (numbers, "
        "text, true/false, lists and objects). `state` holds the workflow's values.",
        json_schema_extra={"format": "python", "examples": [_EXAMPLE]},
    )
    output: str = Field("result", description="State channel that receives what `main` returns.")
    timeout: float = Field(
        10, gt=0, le=300, description="Seconds the code may run before it is stopped."
    )
    memory_mb: int = Field(
        256, ge=64, le=8192, description="Memory the code may use, in megabytes."
    )
    cpu_seconds: int | None = Field(
        None,
        ge=1,
        le=300,
        description="Processor time the code may use, in seconds; empty = the timeout, rounded up.",
    )

    @model_validator(mode="after")
    def _default_cpu(self) -> PythonCodeConfig:
        if self.cpu_seconds is None:
            self.cpu_seconds = max(1, math.ceil(self.timeout))
        return self


def _state_json(state: State) -> str:
    try:
        return json.dumps(dict(state))
    except (TypeError, ValueError):
        pass
    for key, value in state.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"state channel {key!r} holds a value of type {type(value).__name__!r}, which "
                f"cannot be passed to Python Code (only JSON values can): {exc}",
                channel=key,
            ) from None
    raise DataError("the state cannot be passed to Python Code (only JSON values can)")


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _communicate(
    proc: asyncio.subprocess.Process, payload: bytes, timeout: float, ctx: NodeContext | None
) -> tuple[bytes, bytes]:
    task = asyncio.ensure_future(proc.communicate(payload))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise CodeExecutionError(
                    f"the code timed out after {timeout:g}s and was stopped "
                    "(look for an endless loop, or raise `timeout`)",
                    reason="timeout",
                )
            done, _ = await asyncio.wait({task}, timeout=min(_POLL, remaining))
            if done:
                return task.result()
            if ctx is not None and ctx.is_cancelled():
                raise CancelledRunError("run cancelled while Python Code was running")
    finally:
        if not task.done():
            _kill(proc)
            with contextlib.suppress(BaseException):
                await task


def _failure(outcome: dict[str, Any], code: str, memory_mb: int) -> CodeExecutionError:
    kind = outcome.get("kind")
    line = outcome.get("line")
    if kind == "syntax":
        return CodeExecutionError(
            f"the code has a syntax error at line {line}, column {outcome.get('column')}: "
            f"{outcome.get('message')}",
            reason="syntax",
            line=line,
        )
    if kind == "no_main":
        return CodeExecutionError(
            "the code defines no `main` function; add `def main(state):` that returns the result",
            reason="no_main",
        )
    if kind == "memory":
        return _memory_error(memory_mb)
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


def _memory_error(memory_mb: int) -> CodeExecutionError:
    return CodeExecutionError(
        f"the code exceeded the memory limit of {memory_mb} MB (raise `memory_mb`, or work "
        "on less data at a time)",
        reason="memory",
    )


def _crash(returncode: int, stderr: str, memory_mb: int, cpu_seconds: int) -> CodeExecutionError:
    if "MemoryError" in stderr:
        return _memory_error(memory_mb)
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL) and not stderr.strip():
        return CodeExecutionError(
            f"the code used more than {cpu_seconds}s of processor time and was stopped "
            "(raise `cpu_seconds`)",
            reason="cpu",
        )
    detail = ""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            detail = f" (killed by {signal.Signals(-returncode).name})"
    tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
    last = f": {tail[0]}" if tail else ""
    return CodeExecutionError(
        f"the code's process exited with code {returncode}{detail}{last}",
        reason="crash",
        exit_code=returncode,
    )


async def run_code(
    code: str,
    state: State,
    *,
    timeout: float = 10,
    memory_mb: int = 256,
    cpu_seconds: int | None = None,
    ctx: NodeContext | None = None,
) -> tuple[Any, str]:
    """Run ``main(state)`` from ``code`` in a child process; return (result, printed text)."""
    cpu = cpu_seconds or max(1, math.ceil(timeout))
    payload = json.dumps({"code": code, "state": json.loads(_state_json(state))}).encode()
    with tempfile.TemporaryDirectory(prefix="orcheo-code-") as workdir:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            RUNNER,
            str(memory_mb),
            str(cpu),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so a kill takes any children too
            cwd=workdir,
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},  # no engine secrets in the child
        )
        try:
            out, err = await _communicate(proc, payload, timeout, ctx)
        finally:
            _kill(proc)  # reap anything the code left running in its group
    stderr = err.decode("utf-8", errors="replace")
    try:
        outcome = json.loads(out) if out else None
    except json.JSONDecodeError:
        outcome = None
    if not isinstance(outcome, dict):
        return_code = proc.returncode if proc.returncode is not None else -1
        raise _crash(return_code, stderr, memory_mb, cpu)
    if not outcome.get("ok"):
        raise _failure(outcome, code, memory_mb)
    return json.loads(outcome["result_json"]), str(outcome.get("stdout", ""))


class PythonCodeNode(Node[PythonCodeConfig]):
    type = "python_code"
    display_name = "Python Code"
    category = "code"
    icon = "code"
    description = "Compute something with a few lines of Python, run safely in a separate process."
    output_description = "What `main(state)` returns, in the `output` channel."
    config_model = PythonCodeConfig
    raw_fields = frozenset({"code"})

    async def run(self, state: State, ctx: NodeContext) -> Update:
        cfg = self.config
        result, printed = await run_code(
            cfg.code,
            state,
            timeout=cfg.timeout,
            memory_mb=cfg.memory_mb,
            cpu_seconds=cfg.cpu_seconds,
            ctx=ctx,
        )
        if printed:
            ctx.emit("code.stdout", {"text": printed})
        return {cfg.output: result}

    @classmethod
    def writes(cls, config: PythonCodeConfig) -> set[str]:
        return {config.output}
