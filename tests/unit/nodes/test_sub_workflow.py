from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcheo_core.engine.context import RunContext
from orcheo_core.errors import ConfigError, DataError
from orcheo_core.nodes.sub_workflow import SubWorkflowNode


def node(cfg: dict) -> SubWorkflowNode:
    return SubWorkflowNode(SubWorkflowNode.config_model.model_validate(cfg))


async def test_runs_the_child_with_inputs_and_maps_its_outputs(harness) -> None:
    harness.sub_result = {"total": 42, "log": ["x"]}
    n = node(
        {"workflow": "billing", "inputs": {"amount": 40}, "outputs": {"invoice_total": "total"}}
    )
    assert await n.run({}, harness.ctx()) == {"invoice_total": 42}
    assert harness.sub_calls == [("billing", {"amount": 40})]


async def test_inline_spec_is_passed_through_untouched(harness) -> None:
    spec = {"nodes": [{"id": "a", "type": "set_variable"}], "edges": []}
    await node({"workflow": spec}).run({}, harness.ctx())
    assert harness.sub_calls[0][0] == spec


async def test_missing_child_key_names_it_and_what_exists(harness) -> None:
    harness.sub_result = {"total": 1}
    n = node({"workflow": "w", "outputs": {"a": "totl"}})
    with pytest.raises(DataError, match=r"no 'totl' \(available: total\)"):
        await n.run({}, harness.ctx())


async def test_engine_without_a_workflow_loader_gives_a_clear_error() -> None:
    ctx = RunContext("r").node_context("sub", attempt=1, credentials={})
    with pytest.raises(ConfigError, match="no way to load workflows"):
        await node({"workflow": "w"}).run({}, ctx)


def test_config_contract() -> None:
    with pytest.raises(ValidationError, match="workflow id or name"):
        SubWorkflowNode.config_model.model_validate({"workflow": "  "})
    cfg = SubWorkflowNode.config_model.model_validate(
        {"workflow": "w", "outputs": {"a": "b", "c": "d"}}
    )
    assert SubWorkflowNode.writes(cfg) == {"a", "c"}
    assert "workflow" in SubWorkflowNode.raw_fields
