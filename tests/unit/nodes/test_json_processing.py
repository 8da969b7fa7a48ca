from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcheo_core.errors import DataError
from orcheo_core.nodes.json_processing import JsonProcessingNode


async def process(harness, state: dict, **cfg) -> object:
    config = JsonProcessingNode.config_model.model_validate({"output": "out", **cfg})
    return (await JsonProcessingNode(config).run(state, harness.ctx()))["out"]


async def test_query_picks_values_with_jmespath(harness) -> None:
    state = {"data": {"orders": [{"id": 1, "total": 50}, {"id": 2, "total": 150}]}}
    result = await process(
        harness, state, operation="query", source="data", expression="orders[?total > `100`].id"
    )
    assert result == [2]


def test_bad_or_missing_expression_is_rejected_when_the_config_is_checked() -> None:
    with pytest.raises(ValidationError, match=r"'orders\[\?' is not valid JMESPath"):
        JsonProcessingNode.config_model.model_validate(
            {"operation": "query", "source": "d", "expression": "orders[?", "output": "o"}
        )
    with pytest.raises(ValidationError, match="needs an `expression`"):
        JsonProcessingNode.config_model.model_validate(
            {"operation": "query", "source": "d", "output": "o"}
        )


async def test_parse_turns_json_text_into_data(harness) -> None:
    assert await process(harness, {"t": '{"a": [1, 2]}'}, operation="parse", source="t") == {
        "a": [1, 2]
    }


async def test_parse_error_gives_line_and_column(harness) -> None:
    with pytest.raises(DataError, match="line 2, column 8") as info:
        await process(harness, {"t": '{"a": 1,\n  "b": }'}, operation="parse", source="t")
    assert info.value.details == {"line": 2, "column": 8}
    with pytest.raises(DataError, match="holds nothing, not JSON text"):
        await process(harness, {}, operation="parse", source="t")


async def test_serialize_writes_json_text_with_optional_indent(harness) -> None:
    state = {"d": {"name": "Zoë", "n": [1]}}
    assert (
        await process(harness, state, operation="serialize", source="d")
        == '{"name": "Zoë", "n": [1]}'
    )
    pretty = await process(harness, state, operation="serialize", source="d", indent=2)
    assert pretty == '{\n  "name": "Zoë",\n  "n": [\n    1\n  ]\n}'


async def test_serialize_of_a_non_json_value_is_a_clear_error(harness) -> None:
    with pytest.raises(DataError, match="'d' cannot be written as JSON"):
        await process(harness, {"d": {1, 2}}, operation="serialize", source="d")
