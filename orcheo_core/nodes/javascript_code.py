"""JavaScript Code: run a short piece of the user's JavaScript in a V8 isolate.

The code is evaluated by V8 (mini-racer) in a job of the one user-code runner
(:meth:`orcheo_core.sandbox.ScriptSandbox.run_code`), so the isolate sits inside the same
OS boundary as Python Code. It is plain ECMAScript: no ``require``, ``fetch``, files or
network; JSON in (``state``), JSON out (what ``main`` returns).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator

from orcheo_core.nodes._user_code import run_user_code
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["JavaScriptCodeConfig", "JavaScriptCodeNode"]

_EXAMPLE = (
    "function main(state) {\n  return { total: state.amounts.reduce((a, b) => a + b, 0) };\n}\n"
)


class JavaScriptCodeConfig(NodeConfig):
    code: str = Field(
        description="JavaScript that defines `function main(state)` and returns the result "
        "(numbers, text, true/false, arrays and objects). `state` holds the workflow's "
        "values; `console.log` goes to the run log.",
        json_schema_extra={"format": "javascript", "examples": [_EXAMPLE]},
    )
    output: str = Field("result", description="State channel that receives what `main` returns.")
    timeout: float = Field(
        10, gt=0, le=300, description="Seconds the code may run before it is stopped."
    )
    memory_mb: int = Field(
        128, ge=16, le=4096, description="Heap the code's V8 isolate may use, in megabytes."
    )
    cpu_seconds: int | None = Field(
        None,
        ge=1,
        le=300,
        description="Processor time the code may use, in seconds; empty = the timeout, rounded up.",
    )

    @model_validator(mode="after")
    def _default_cpu(self) -> JavaScriptCodeConfig:
        if self.cpu_seconds is None:
            self.cpu_seconds = max(1, math.ceil(self.timeout))
        return self


class JavaScriptCodeNode(Node[JavaScriptCodeConfig]):
    type = "javascript_code"
    display_name = "JavaScript Code"
    category = "code"
    icon = "code"
    description = "Compute something with a few lines of JavaScript, run in a V8 isolate."
    output_description = "What `main(state)` returns, in the `output` channel."
    config_model = JavaScriptCodeConfig
    raw_fields = frozenset({"code"})

    async def run(self, state: State, ctx: NodeContext) -> Update:
        cfg = self.config
        result: Any
        result, printed = await run_user_code(
            "javascript",
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
    def writes(cls, config: JavaScriptCodeConfig) -> set[str]:
        return {config.output}
