"""Delay: wait a number of seconds, stopping early if the run is cancelled."""

from __future__ import annotations

import asyncio
import time

from pydantic import Field

from orcheo_core.errors import CancelledRunError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["DelayConfig", "DelayNode"]

_SLICE = 0.05
"""Seconds between cancellation checks: short enough that Stop feels immediate."""


class DelayConfig(NodeConfig):
    seconds: float = Field(
        ge=0, le=86400, description="How long to wait, in seconds (up to one day)."
    )


class DelayNode(Node[DelayConfig]):
    type = "delay"
    display_name = "Delay"
    category = "flow"
    icon = "timer"
    description = "Pause the workflow for a while before the next step."
    output_description = "No state change."
    config_model = DelayConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        deadline = time.monotonic() + self.config.seconds
        while True:
            if ctx.is_cancelled():
                raise CancelledRunError(
                    f"run cancelled while node {ctx.node_id!r} was waiting", node=ctx.node_id
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {}
            await asyncio.sleep(min(_SLICE, remaining))
