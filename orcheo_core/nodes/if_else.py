"""If/Else: route on a condition over the state."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.conditions import Condition, evaluate_all

__all__ = ["IfElseConfig", "IfElseNode"]


class IfElseConfig(NodeConfig):
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Comparisons; `left`/`right` may be templates such as '{{ state.amount }}'.",
    )
    combine: Literal["all", "any"] = "all"
    expression: Any = Field(
        None,
        description="Alternative to `conditions`: one template whose truth decides, "
        "e.g. '{{ state.amount > 100 }}'.",
    )


class IfElseNode(Node[IfElseConfig]):
    type = "if_else"
    display_name = "If / Else"
    category = "flow"
    icon = "git-branch"
    description = "Follow the `true` route when the condition holds, else the `false` route."
    output_description = "No state change; routes to `true` or `false`."
    config_model = IfElseConfig
    is_router = True

    async def run(self, state: State, ctx: NodeContext) -> Update:
        return {}

    def route(self, state: State) -> str:
        if self.config.expression is not None:
            return "true" if self.config.expression else "false"
        return "true" if evaluate_all(self.config.conditions, self.config.combine) else "false"

    @classmethod
    def route_labels(cls, config: IfElseConfig) -> list[str]:
        return ["true", "false"]
