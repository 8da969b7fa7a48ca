"""Switch: route to the first case that matches a value or whose conditions hold."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orcheo_core.errors import DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.conditions import Condition, evaluate_all

__all__ = ["SwitchCase", "SwitchConfig", "SwitchNode"]


class SwitchCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(description="Name of this route; it becomes an outgoing handle on the node.")
    equals: Any = Field(
        None,
        description="Follow this route when the switch value equals this (used when the case "
        "has no conditions).",
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Instead of `equals`: follow this route when these comparisons hold.",
    )
    combine: Literal["all", "any"] = Field(
        "all", description="Whether all of the conditions must hold, or any one of them."
    )


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; on the canvas a yes/no value never matches a number.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


class SwitchConfig(NodeConfig):
    value: Any = Field(
        None,
        description="The value to compare with each case, usually a template such as "
        "'{{ state.status }}'.",
    )
    cases: list[SwitchCase] = Field(
        default_factory=list,
        description="Routes, checked top to bottom; the first one that matches is followed.",
    )
    default_label: str = Field("default", description="Route to follow when no case matches.")

    @model_validator(mode="after")
    def _labels_are_unique(self) -> SwitchConfig:
        seen: set[str] = set()
        for i, case in enumerate(self.cases):
            label = case.label.strip()
            if not label:
                raise ValueError(f"case {i + 1} has an empty label; give every case a name")
            if label in seen:
                raise ValueError(f"two cases are labelled {label!r}; case labels must be unique")
            seen.add(label)
        if not self.default_label.strip():
            raise ValueError("default_label is empty; name the route taken when nothing matches")
        if self.default_label in seen:
            raise ValueError(
                f"default_label {self.default_label!r} is also a case label; rename one of them"
            )
        return self


class SwitchNode(Node[SwitchConfig]):
    type = "switch"
    display_name = "Switch"
    category = "flow"
    icon = "split"
    description = "Follow one of several routes depending on a value or on conditions."
    output_description = "No state change; routes to the first matching case, else the default."
    config_model = SwitchConfig
    is_router = True

    async def run(self, state: State, ctx: NodeContext) -> Update:
        return {}

    def route(self, state: State) -> str:
        for case in self.config.cases:
            if case.conditions:
                try:
                    holds = evaluate_all(case.conditions, case.combine)
                except TypeError as exc:
                    raise DataError(f"case {case.label!r}: {exc}", case=case.label) from None
                if holds:
                    return case.label
            elif _same(case.equals, self.config.value):
                return case.label
        return self.config.default_label

    @classmethod
    def route_labels(cls, config: SwitchConfig) -> list[str]:
        return [case.label for case in config.cases] + [config.default_label]
