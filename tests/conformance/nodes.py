"""Test-only node types the conformance corpus needs.

They are deterministic: a flaky node decides from ``ctx.attempt`` (never from a
counter kept between calls), so every engine, and every replay of one step, sees
the same failures.
"""

from __future__ import annotations

from pydantic import Field

from orcheo_core.nodes import Node, NodeConfig, NodeContext, NodeRegistry, State, Update

__all__ = ["FlakyConfig", "FlakyNode", "registry"]


class FlakyConfig(NodeConfig):
    fail_times: int = Field(ge=0, description="Attempts that fail before one succeeds.")
    output: str = Field("result", description="Channel that receives the success message.")


class FlakyNode(Node[FlakyConfig]):
    """Fails with ConnectionError on attempts 1..fail_times, then succeeds."""

    type = "test_flaky"
    display_name = "Flaky (test)"
    category = "test"
    config_model = FlakyConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        if ctx.attempt <= self.config.fail_times:
            raise ConnectionError(f"simulated connection reset on attempt {ctx.attempt}")
        return {self.config.output: f"ok on attempt {ctx.attempt}"}

    @classmethod
    def writes(cls, config: FlakyConfig) -> set[str]:
        return {config.output}


def registry() -> NodeRegistry:
    """The built-in nodes plus the test-only ones."""
    reg = NodeRegistry()
    reg.register(FlakyNode)
    return reg
