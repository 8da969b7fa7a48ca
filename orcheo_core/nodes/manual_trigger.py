"""Manual Trigger: the start of a run started by hand, with its typed inputs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orcheo_core.errors import InputError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["InputField", "ManualTriggerConfig", "ManualTriggerNode"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "any": (object,),
}


class InputField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["string", "number", "integer", "boolean", "object", "array", "any"] = "any"
    required: bool = False
    default: Any = None
    description: str = ""


class ManualTriggerConfig(NodeConfig):
    inputs: dict[str, InputField] = Field(
        default_factory=dict, description="Run inputs; the canvas builds its run form from them."
    )


class ManualTriggerNode(Node[ManualTriggerConfig]):
    type = "manual_trigger"
    display_name = "Manual Trigger"
    category = "trigger"
    icon = "play"
    description = "Start a run by hand; checks the declared inputs and fills in defaults."
    output_description = "Each declared input, as a state channel."
    config_model = ManualTriggerConfig
    raw_fields = frozenset({"inputs"})

    async def run(self, state: State, ctx: NodeContext) -> Update:
        update: Update = {}
        problems = []
        for name, field in self.config.inputs.items():
            value = state.get(name)
            if value is None:
                if field.required:
                    problems.append(f"{name}: required input is missing")
                elif field.default is not None:
                    update[name] = field.default
                continue
            allowed = _TYPES[field.type]
            wrong_bool = isinstance(value, bool) and field.type in ("number", "integer")
            if not isinstance(value, allowed) or wrong_bool:
                problems.append(f"{name}: expected {field.type}, got {type(value).__name__}")
        if problems:
            raise InputError("invalid run inputs: " + "; ".join(problems), problems=problems)
        return update

    @classmethod
    def writes(cls, config: ManualTriggerConfig) -> set[str]:
        return set(config.inputs)
