from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcheo_core.errors import DataError
from orcheo_core.nodes.merge import MergeNode


async def merge(harness, state: dict, **cfg) -> object:
    n = MergeNode(MergeNode.config_model.model_validate({"output": "out", **cfg}))
    return (await n.run(state, harness.ctx()))["out"]


async def test_append_concatenates_lists_and_wraps_single_values(harness) -> None:
    state = {"a": [1, 2], "b": 3, "c": None, "d": [4]}
    assert await merge(harness, state, sources=["a", "b", "c", "missing", "d"]) == [1, 2, 3, 4]


async def test_merge_combines_objects_later_sources_win(harness) -> None:
    state = {"a": {"x": 1, "y": 1}, "b": {"y": 2, "z": 3}}
    assert await merge(harness, state, sources=["a", "b"], mode="merge") == {"x": 1, "y": 2, "z": 3}


async def test_merge_names_a_source_that_is_not_an_object(harness) -> None:
    with pytest.raises(DataError, match="source 'b' holds a list"):
        await merge(harness, {"a": {"x": 1}, "b": [1]}, sources=["a", "b"], mode="merge")


async def test_zip_pairs_up_items_by_position(harness) -> None:
    state = {"names": ["ann", "bob"], "ages": [30, 40]}
    assert await merge(harness, state, sources=["names", "ages"], mode="zip") == [
        {"names": "ann", "ages": 30},
        {"names": "bob", "ages": 40},
    ]


async def test_zip_of_unequal_lists_reports_the_lengths(harness) -> None:
    state = {"names": ["ann", "bob"], "ages": [30]}
    with pytest.raises(DataError, match="names=2, ages=1"):
        await merge(harness, state, sources=["names", "ages"], mode="zip")
    with pytest.raises(DataError, match="source 'x' holds nothing"):
        await merge(harness, state, sources=["names", "x"], mode="zip")


async def test_first_takes_the_first_source_with_a_value(harness) -> None:
    state = {"a": None, "b": 0, "c": 5}
    assert await merge(harness, state, sources=["missing", "a", "b", "c"], mode="first") == 0
    assert await merge(harness, {}, sources=["a"], mode="first") is None


def test_needs_at_least_one_source_and_declares_its_output() -> None:
    with pytest.raises(ValidationError, match="sources"):
        MergeNode.config_model.model_validate({"sources": [], "output": "o"})
    cfg = MergeNode.config_model.model_validate({"sources": ["a"], "output": "o"})
    assert MergeNode.writes(cfg) == {"o"}
