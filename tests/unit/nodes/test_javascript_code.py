from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from orcheo_core.errors import CancelledRunError, CodeExecutionError, DataError
from orcheo_core.nodes.javascript_code import JavaScriptCodeNode
from orcheo_core.nodes.registry import default_registry


async def run(harness, code: str, state: dict | None = None, **cfg) -> dict:
    config = JavaScriptCodeNode.config_model.model_validate({"code": code, **cfg})
    return await JavaScriptCodeNode(config).run(state or {}, harness.ctx())


async def test_main_result_is_written_to_the_output_channel(harness) -> None:
    code = (
        "function main(state) {\n"
        "  console.log('summing', state.amounts.length, {n: 1});\n"
        "  return { total: state.amounts.reduce((a, b) => a + b, 0) };\n"
        "}\n"
    )
    update = await run(harness, code, {"amounts": [1, 2, 3.5]}, output="stats")
    assert update == {"stats": {"total": 6.5}}
    assert harness.node_events("code.stdout")[0]["text"] == 'summing 3 {"n":1}\n'


async def test_the_isolate_has_no_node_or_browser_apis(harness) -> None:
    code = (
        "function main() { return [typeof require, typeof fetch, typeof process, "
        "typeof XMLHttpRequest, typeof Deno]; }"
    )
    assert (await run(harness, code))["result"] == ["undefined"] * 5


async def test_an_exception_reports_type_message_and_line(harness) -> None:
    code = "function main(state) {\n  const rows = state.rows;\n  return rows.x.y;\n}\n"
    with pytest.raises(
        CodeExecutionError,
        match=r"raised TypeError at line 3 \(return rows.x.y;\): Cannot read properties",
    ):
        await run(harness, code, {"rows": [1]})


async def test_syntax_error_and_missing_main_are_clear(harness) -> None:
    with pytest.raises(CodeExecutionError, match="syntax error at line 2: SyntaxError"):
        await run(harness, "function main(state) {\n  return (1 + ;\n}")
    with pytest.raises(CodeExecutionError, match="defines no `main` function"):
        await run(harness, "var handler = 1;")


async def test_an_endless_loop_is_stopped_at_the_timeout(harness) -> None:
    start = time.monotonic()
    with pytest.raises(CodeExecutionError, match=r"timed out after 0.5s"):
        await run(harness, "function main() { while (true) {} }", timeout=0.5)
    assert time.monotonic() - start < 5


async def test_heap_and_buffer_bombs_hit_the_memory_limit(harness) -> None:
    heap = "function main() { const a = []; while (true) { a.push('x'.repeat(1e5) + a.length); } }"
    with pytest.raises(CodeExecutionError, match="exceeded the memory limit of 32 MB"):
        await run(harness, heap, memory_mb=32)
    buffers = "function main() { const b = new Uint8Array(4e9); b.fill(1); return b.length; }"
    with pytest.raises(CodeExecutionError, match=r"raised RangeError.*allocation failed"):
        await run(harness, buffers, memory_mb=32)


async def test_non_json_state_is_a_clear_error(harness) -> None:
    with pytest.raises(DataError, match="cannot be passed to JavaScript Code"):
        await run(harness, "function main() { return 1 }", {"when": object()})
    assert (await run(harness, "function main() { return undefined }"))["result"] is None


async def test_cancelling_the_run_stops_the_code(harness) -> None:
    asyncio.get_running_loop().call_later(0.3, harness.run.cancel_event.set)
    start = time.monotonic()
    with pytest.raises(CancelledRunError):
        await run(harness, "function main() { while (true) {} }", timeout=30)
    assert time.monotonic() - start < 2.0


def test_config_contract_and_catalog() -> None:
    model = JavaScriptCodeNode.config_model
    assert model.model_validate({"code": "x", "timeout": 2.5}).cpu_seconds == 3
    with pytest.raises(ValidationError, match="timeout"):
        model.model_validate({"code": "x", "timeout": 301})
    assert JavaScriptCodeNode.raw_fields == frozenset({"code"})
    assert default_registry.get("javascript_code") is JavaScriptCodeNode
