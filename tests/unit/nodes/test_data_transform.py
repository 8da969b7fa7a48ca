from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcheo_core.errors import DataError
from orcheo_core.nodes.data_transform import DataTransformNode

ORDERS = [
    {"id": "1", "price": 2.5, "qty": 2, "status": "paid", "note": "x"},
    {"id": "2", "price": 10, "qty": 1, "status": "open", "note": "y"},
    {"id": "3", "price": 1, "qty": 7, "status": "paid", "note": "z"},
]


async def transform(harness, state: dict, operations: list) -> object:
    cfg = DataTransformNode.config_model.model_validate(
        {"source": "rows", "output": "out", "operations": operations}
    )
    return (await DataTransformNode(cfg).run(state, harness.ctx()))["out"]


async def test_pipeline_of_operations_applies_in_order(harness) -> None:
    ops = [
        {"op": "filter", "conditions": [{"left": "{{ item.status }}", "right": "paid"}]},
        {
            "op": "map",
            "fields": {
                "total": "{{ item.price * item.qty }}",
                "n": "{{ index }}",
                "cur": "{{ state.currency }}",
            },
        },
        {"op": "rename", "fields": {"id": "order_id"}},
        {"op": "drop", "fields": ["note", "status"]},
        {"op": "convert", "fields": {"order_id": "int"}},
        {"op": "pick", "fields": ["order_id", "total", "n", "cur"]},
    ]
    result = await transform(harness, {"rows": ORDERS, "currency": "EUR"}, ops)
    assert result == [
        {"order_id": 1, "total": 5.0, "n": 0, "cur": "EUR"},
        {"order_id": 3, "total": 7, "n": 1, "cur": "EUR"},
    ]


async def test_filter_with_any_keeps_records_matching_one_condition(harness) -> None:
    ops = [
        {
            "op": "filter",
            "combine": "any",
            "conditions": [
                {"left": "{{ item.qty }}", "operator": "gt", "right": 5},
                {"left": "{{ item.id }}", "operator": "eq", "right": "2"},
            ],
        }
    ]
    assert [r["id"] for r in await transform(harness, {"rows": ORDERS}, ops)] == ["2", "3"]


async def test_one_record_in_one_record_out(harness) -> None:
    ops = [{"op": "map", "fields": {"full": "{{ item.first }} {{ item.last }}"}}]
    result = await transform(harness, {"rows": {"first": "Ada", "last": "Lovelace"}}, ops)
    assert result == {"first": "Ada", "last": "Lovelace", "full": "Ada Lovelace"}


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        ("int", " 42 ", 42),
        ("int", 3.0, 3),
        ("float", "2.5", 2.5),
        ("str", 7, "7"),
        ("str", {"a": 1}, '{"a": 1}'),
        ("bool", "Yes", True),
        ("bool", "off", False),
        ("bool", 0, False),
        ("json", '{"k": [1]}', {"k": [1]}),
        ("datetime", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00+00:00"),
        ("datetime", 0, "1970-01-01T00:00:00+00:00"),
        ("int", None, None),
    ],
)
async def test_convert(harness, target: str, value: object, expected: object) -> None:
    ops = [{"op": "convert", "fields": {"v": target}}]
    assert await transform(harness, {"rows": [{"v": value}]}, ops) == [{"v": expected}]


@pytest.mark.parametrize(
    ("target", "value"),
    [
        ("int", "4.5"),
        ("int", "abc"),
        ("float", "ten"),
        ("bool", "maybe"),
        ("json", "{x"),
        ("datetime", "yesterday"),
    ],
)
async def test_convert_failure_names_record_field_and_value(harness, target, value) -> None:
    rows = [{"v": "1" if target != "bool" else "yes"}, {"v": value}]
    if target in ("json", "datetime"):
        rows[0] = {"v": None}
    ops = [{"op": "convert", "fields": {"v": target}}]
    with pytest.raises(
        DataError, match=rf"record 1, field 'v': cannot convert {value!r} to {target}"
    ):
        await transform(harness, {"rows": rows}, ops)


async def test_bad_input_shapes_are_clear_errors(harness) -> None:
    with pytest.raises(DataError, match="'rows' has no value"):
        await transform(harness, {}, [])
    with pytest.raises(DataError, match="holds a str"):
        await transform(harness, {"rows": "text"}, [])
    with pytest.raises(
        DataError, match=r"record 1 of 'rows' is not an object with fields \(it is of type 'int'\)"
    ):
        await transform(harness, {"rows": [{}, 5]}, [])


def test_operations_are_checked_and_kept_raw_for_per_record_rendering() -> None:
    with pytest.raises(ValidationError, match="op"):
        DataTransformNode.config_model.model_validate(
            {"source": "r", "output": "o", "operations": [{"op": "explode"}]}
        )
    with pytest.raises(ValidationError, match="money"):
        DataTransformNode.config_model.model_validate(
            {
                "source": "r",
                "output": "o",
                "operations": [{"op": "convert", "fields": {"a": "money"}}],
            }
        )
    assert DataTransformNode.raw_fields == frozenset({"operations"})
