"""Sub-workflow: run another workflow to completion and copy values from its result."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from orcheo_core.errors import DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["SubWorkflowConfig", "SubWorkflowNode"]


class SubWorkflowConfig(NodeConfig):
    workflow: Any = Field(
        description="The workflow to run: its id or name, or a whole workflow definition."
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="Inputs of the sub-workflow -> value; values may be templates such as "
        "'{{ state.customer }}'.",
    )
    outputs: dict[str, str] = Field(
        default_factory=dict,
        description="Channel of this workflow -> value of the sub-workflow's final state to "
        "copy into it.",
    )

    @field_validator("workflow")
    @classmethod
    def _workflow_ref(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict) and value:
            return value
        raise ValueError("workflow must be a workflow id or name, or a workflow definition")


class SubWorkflowNode(Node[SubWorkflowConfig]):
    type = "sub_workflow"
    display_name = "Sub-workflow"
    category = "flow"
    icon = "workflow"
    description = "Run another workflow as one step, passing it inputs and keeping its results."
    output_description = "One channel per entry in `outputs`, copied from the sub-workflow."
    config_model = SubWorkflowConfig
    raw_fields = frozenset({"workflow"})

    async def run(self, state: State, ctx: NodeContext) -> Update:
        result = await ctx.run_subworkflow(self.config.workflow, dict(self.config.inputs))
        missing = [key for key in self.config.outputs.values() if key not in result]
        if missing:
            available = ", ".join(sorted(result)) or "none"
            raise DataError(
                f"the sub-workflow's final state has no {', '.join(map(repr, missing))} "
                f"(available: {available}); fix `outputs` on node {ctx.node_id!r}",
                missing=missing,
            )
        return {channel: result[key] for channel, key in self.config.outputs.items()}

    @classmethod
    def writes(cls, config: SubWorkflowConfig) -> set[str]:
        return set(config.outputs)
