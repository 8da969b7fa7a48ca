"""Merge: combine several state channels into one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from orcheo_core.errors import DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update

__all__ = ["MergeConfig", "MergeNode"]


class MergeConfig(NodeConfig):
    sources: list[str] = Field(
        min_length=1,
        description="Names of the state channels to combine, in order.",
    )
    mode: Literal["append", "merge", "zip", "first"] = Field(
        "append",
        description="append: one list with the items of every source; merge: one object "
        "with the fields of every source (later sources win); zip: pair up the items of "
        "equal-length lists; first: the first source that has a value.",
    )
    output: str = Field(description="State channel that receives the combined value.")


def _append(named: list[tuple[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for _, value in named:
        if isinstance(value, list):
            out.extend(value)
        elif value is not None:
            out.append(value)
    return out


def _merge(named: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in named:
        if value is None:
            continue
        if not isinstance(value, dict):
            raise DataError(
                f"merge: source {name!r} holds a {type(value).__name__}, not an object; "
                "mode 'merge' combines objects only (use 'append' for lists)",
                source=name,
            )
        out.update(value)
    return out


def _zip(named: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    for name, value in named:
        if not isinstance(value, list):
            got = "nothing" if value is None else f"a {type(value).__name__}"
            raise DataError(
                f"zip: source {name!r} holds {got}, not a list; mode 'zip' pairs up lists",
                source=name,
            )
    lengths = {name: len(value) for name, value in named}
    if len(set(lengths.values())) > 1:
        sizes = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise DataError(
            f"zip: the lists have different lengths ({sizes}); mode 'zip' needs equal lengths",
            lengths=lengths,
        )
    names = [name for name, _ in named]
    return [dict(zip(names, row, strict=True)) for row in zip(*(v for _, v in named), strict=True)]


class MergeNode(Node[MergeConfig]):
    type = "merge"
    display_name = "Merge"
    category = "flow"
    icon = "merge"
    description = "Combine several state channels (e.g. the results of parallel branches) into one."
    output_description = "The combined value, in the `output` channel."
    config_model = MergeConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        named = [(name, state.get(name)) for name in self.config.sources]
        mode = self.config.mode
        result: Any
        if mode == "append":
            result = _append(named)
        elif mode == "merge":
            result = _merge(named)
        elif mode == "zip":
            result = _zip(named)
        else:
            result = next((value for _, value in named if value is not None), None)
        return {self.config.output: result}

    @classmethod
    def writes(cls, config: MergeConfig) -> set[str]:
        return {config.output}
