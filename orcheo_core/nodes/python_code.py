"""Python Code: run a short piece of the user's Python in the sandbox.

The code is full Python (the standard library and the environment's packages) in a job of
the one user-code runner (:meth:`orcheo_core.sandbox.ScriptSandbox.run_code`): its own
Linux namespaces (no server files, no network, no other processes), a seccomp filter,
and the node's time, processor and memory limits (docs/security.md).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from orcheo_core.nodes._user_code import run_user_code
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["PythonCodeConfig", "PythonCodeNode", "run_code"]

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


async def run_code(
    code: str,
    state: State,
    *,
    timeout: float = 10,
    memory_mb: int = 256,
    cpu_seconds: int | None = None,
    ctx: NodeContext | None = None,
) -> tuple[Any, str]:
    """Run ``main(state)`` from ``code`` in the sandbox; return (result, printed text)."""
    return await run_user_code(
        "python",
        code,
        state,
        timeout=timeout,
        memory_mb=memory_mb,
        cpu_seconds=cpu_seconds,
        ctx=ctx,
    )


class PythonCodeNode(Node[PythonCodeConfig]):
    type = "python_code"
    display_name = "Python Code"
    category = "code"
    icon = "code"
    description = "Compute something with a few lines of Python, run in an isolated sandbox."
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
