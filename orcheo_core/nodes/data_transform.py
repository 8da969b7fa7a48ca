"""Data Transform: reshape a list of records step by step (map, rename, filter, convert...)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orcheo_core.errors import DataError
from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.conditions import Condition, evaluate_all
from orcheo_core.nodes.template import render_value

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DataTransformConfig", "DataTransformNode", "Operation"]

Item = dict[str, Any]
TargetType = Literal["int", "float", "str", "bool", "json", "datetime"]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MapOp(_Op):
    op: Literal["map"]
    fields: dict[str, Any] = Field(
        description="Field -> value to set on each record; templates see `item`, `index` and "
        "`state`, e.g. '{{ item.price * item.qty }}'."
    )


class RenameOp(_Op):
    op: Literal["rename"]
    fields: dict[str, str] = Field(description="Old field name -> new field name.")


class PickOp(_Op):
    op: Literal["pick"]
    fields: list[str] = Field(description="Fields to keep; every other field is removed.")


class DropOp(_Op):
    op: Literal["drop"]
    fields: list[str] = Field(description="Fields to remove.")


class FilterOp(_Op):
    op: Literal["filter"]
    conditions: list[Condition] = Field(
        description="Keep only the records for which these hold; templates see `item`, "
        "e.g. left '{{ item.status }}'."
    )
    combine: Literal["all", "any"] = Field(
        "all", description="Whether all of the conditions must hold, or any one of them."
    )


class ConvertOp(_Op):
    op: Literal["convert"]
    fields: dict[str, TargetType] = Field(
        description="Field -> type to convert it to: int, float, str, bool, json (parse JSON "
        "text) or datetime (an ISO 8601 date-time text)."
    )


Operation = Annotated[
    MapOp | RenameOp | PickOp | DropOp | FilterOp | ConvertOp, Field(discriminator="op")
]


class DataTransformConfig(NodeConfig):
    source: str = Field(description="State channel holding the records (a list, or one record).")
    operations: list[Operation] = Field(
        default_factory=list, description="Steps applied to the records, top to bottom."
    )
    output: str = Field(description="State channel that receives the transformed records.")


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0", ""}


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("has a fractional part")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if not number.is_integer():
                raise ValueError("has a fractional part") from None
            return int(number)
    if isinstance(value, int):
        return value
    raise ValueError(f"cannot make a whole number from a {type(value).__name__}")


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"cannot make a number from a {type(value).__name__}")
    return float(value.strip() if isinstance(value, str) else value)


def _to_str(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("expected true/false, yes/no, on/off or 1/0")


def _to_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None


def _to_datetime(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a date")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).isoformat()
    if isinstance(value, str):
        return datetime.fromisoformat(value.strip()).isoformat()
    raise ValueError(f"cannot make a date from a {type(value).__name__}")


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "bool": _to_bool,
    "json": _to_json,
    "datetime": _to_datetime,
}


def _convert(items: list[Item], op: ConvertOp, step: int) -> list[Item]:
    out = []
    for index, item in enumerate(items):
        new = dict(item)
        for name, target in op.fields.items():
            value = new.get(name)
            if value is None:
                continue
            try:
                new[name] = _CONVERTERS[target](value)
            except (ValueError, TypeError, OverflowError, OSError) as exc:
                raise DataError(
                    f"operations[{step}] convert: record {index}, field {name!r}: cannot "
                    f"convert {value!r} to {target} ({exc})",
                    index=index,
                    field=name,
                ) from None
        out.append(new)
    return out


def _apply(op: _Op, items: list[Item], state: State, step: int) -> list[Item]:
    loc = f"operations[{step}]"
    if isinstance(op, MapOp):
        return [
            {
                **item,
                **render_value(op.fields, state, f"{loc}.fields", names={"item": item, "index": i}),
            }
            for i, item in enumerate(items)
        ]
    if isinstance(op, RenameOp):
        return [{op.fields.get(k, k): v for k, v in item.items()} for item in items]
    if isinstance(op, PickOp):
        return [{k: item[k] for k in op.fields if k in item} for item in items]
    if isinstance(op, DropOp):
        drop = set(op.fields)
        return [{k: v for k, v in item.items() if k not in drop} for item in items]
    if isinstance(op, FilterOp):
        raw = [c.model_dump() for c in op.conditions]
        kept = []
        for i, item in enumerate(items):
            rendered = render_value(
                raw, state, f"{loc}.conditions", names={"item": item, "index": i}
            )
            conditions = [Condition.model_validate(c) for c in rendered]
            try:
                keep = evaluate_all(conditions, op.combine)
            except TypeError as exc:
                raise DataError(f"{loc} filter: record {i}: {exc}", index=i) from None
            if keep:
                kept.append(item)
        return kept
    assert isinstance(op, ConvertOp)
    return _convert(items, op, step)


class DataTransformNode(Node[DataTransformConfig]):
    type = "data_transform"
    display_name = "Data Transform"
    category = "data"
    icon = "table-properties"
    description = "Add, rename, keep, remove, filter and convert fields of a list of records."
    output_description = (
        "The transformed records in the `output` channel (one record in, one record out)."
    )
    config_model = DataTransformConfig
    raw_fields = frozenset({"operations"})

    async def run(self, state: State, ctx: NodeContext) -> Update:
        value = state.get(self.config.source)
        single = isinstance(value, dict)
        if value is None:
            raise DataError(
                f"source channel {self.config.source!r} has no value; "
                "point `source` at a channel that holds records"
            )
        items: list[Any] = [value] if single else value
        if not isinstance(items, list):
            raise DataError(
                f"source channel {self.config.source!r} holds a {type(value).__name__}; "
                "Data Transform needs a list of records or one record"
            )
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError(
                    f"record {i} of {self.config.source!r} is not an object with fields "
                    f"(it is of type {type(item).__name__!r})",
                    index=i,
                )
        for step, op in enumerate(self.config.operations):
            items = _apply(op, items, state, step)
        if single:
            return {self.config.output: items[0] if items else None}
        return {self.config.output: items}

    @classmethod
    def writes(cls, config: DataTransformConfig) -> set[str]:
        return {config.output}
