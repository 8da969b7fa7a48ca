"""Set Variable: write fixed or templated values into state channels."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["SetVariableConfig", "SetVariableNode"]


class SetVariableConfig(NodeConfig):
    values: dict[str, Any] = Field(
        description="Channel -> value; string values may be templates such as "
        "'{{ state.count + 1 }}'.",
    )


class SetVariableNode(Node[SetVariableConfig]):
    type = "set_variable"
    display_name = "Set Variable"
    category = "data"
    icon = "variable"
    description = "Write values (literal or computed from the state) into state channels."
    output_description = "One state channel per configured key."
    config_model = SetVariableConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        return dict(self.config.values)

    @classmethod
    def writes(cls, config: SetVariableConfig) -> set[str]:
        return set(config.values)
