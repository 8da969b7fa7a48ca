"""Debug: show a snapshot of the state in the run's event stream."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["DebugConfig", "DebugNode", "json_safe"]


class DebugConfig(NodeConfig):
    label: str = Field("debug", description="Name shown next to the snapshot in the run log.")
    keys: list[str] | None = Field(
        None, description="State channels to show; leave empty to show the whole state."
    )


def json_safe(value: Any) -> Any:
    """A copy of ``value`` that ``json.dumps`` accepts: unknown objects become their repr."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return repr(value)


class DebugNode(Node[DebugConfig]):
    type = "debug"
    display_name = "Debug"
    category = "utility"
    icon = "bug"
    description = "Record what the state looks like at this point, to inspect in the run log."
    output_description = "No state change; adds a `debug.snapshot` event to the run."
    config_model = DebugConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        keys = self.config.keys
        data: dict[str, Any] = {"label": self.config.label}
        if keys is None:
            data["state"] = json_safe(state)
        else:
            data["state"] = {k: json_safe(state[k]) for k in keys if k in state}
            missing = [k for k in keys if k not in state]
            if missing:
                data["missing"] = missing
        ctx.emit("debug.snapshot", data)
        return {}
