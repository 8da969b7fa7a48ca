from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from orcheo_core.errors import CancelledRunError, CodeExecutionError, DataError
from orcheo_core.nodes.python_code import PythonCodeNode


async def run(harness, code: str, state: dict | None = None, **cfg) -> dict:
    config = PythonCodeNode.config_model.model_validate({"code": code, **cfg})
    return await PythonCodeNode(config).run(state or {}, harness.ctx())


async def test_main_result_is_written_to_the_output_channel(harness) -> None:
    code = (
        "def main(state):\n"
        "    print('summing', len(state['amounts']))\n"
        "    return {'total': sum(state['amounts'])}\n"
    )
    update = await run(harness, code, {"amounts": [1, 2, 3.5]}, output="stats")
    assert update == {"stats": {"total": 6.5}}
    # what the code prints goes to the run log, not into the result
    assert harness.node_events("code.stdout")[0]["text"] == "summing 3\n"


async def test_code_runs_in_a_separate_process_without_engine_secrets(harness, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    code = (
        "import os\n"
        "def main(state):\n"
        "    return [os.getpid(), os.environ.get('AWS_SECRET_ACCESS_KEY')]\n"
    )
    update = await run(harness, code)
    pid, secret = update["result"]
    assert pid != __import__("os").getpid()
    assert secret is None


async def test_user_exception_reports_type_message_and_line(harness) -> None:
    code = "def main(state):\n    rows = state['rows']\n    return rows[5]\n"
    with pytest.raises(
        CodeExecutionError,
        match=r"raised IndexError at line 3 \(return rows\[5\]\): list index out of range",
    ):
        await run(harness, code, {"rows": [1]})


async def test_syntax_error_reports_line_and_column(harness) -> None:
    with pytest.raises(CodeExecutionError, match="syntax error at line 2, column 12"):
        await run(harness, "def main(state):\n    return (1 +\n")


async def test_missing_main_is_a_clear_error(harness) -> None:
    with pytest.raises(CodeExecutionError, match="defines no `main` function"):
        await run(harness, "def handler(state):\n    return 1\n")


async def test_endless_loop_is_stopped_at_the_timeout(harness) -> None:
    start = time.monotonic()
    with pytest.raises(CodeExecutionError, match=r"timed out after 0.5s"):
        await run(harness, "def main(state):\n    while True:\n        pass\n", timeout=0.5)
    assert time.monotonic() - start < 1.5


async def test_cpu_limit_stops_busy_code_before_the_wall_timeout(harness) -> None:
    with pytest.raises(CodeExecutionError, match="more than 1s of processor time"):
        await run(
            harness, "def main(state):\n    while True:\n        pass\n", timeout=5, cpu_seconds=1
        )


async def test_memory_blow_up_reports_the_limit(harness) -> None:
    with pytest.raises(CodeExecutionError, match="exceeded the memory limit of 128 MB"):
        await run(
            harness, "def main(state):\n    return len('a' * (400 * 1024 * 1024))\n", memory_mb=128
        )
    growing = (
        "def main(state):\n    rows = []\n    while True:\n        rows.append(' ' * 100000)\n"
    )
    with pytest.raises(CodeExecutionError, match="exceeded the memory limit of 128 MB"):
        await run(harness, growing, memory_mb=128)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import os\ndef main(state):\n    os._exit(3)\n", r"exited with code 3$"),
        (
            "import ctypes\ndef main(state):\n    return ctypes.string_at(0)\n",
            r"exited with code -11 \(killed by SIGSEGV\)",
        ),
    ],
)
async def test_a_crash_reports_the_exit_code_and_the_engine_carries_on(
    harness, code, message
) -> None:
    with pytest.raises(CodeExecutionError, match=message):
        await run(harness, code)
    assert await run(harness, "def main(state):\n    return 'still fine'\n") == {
        "result": "still fine"
    }


async def test_non_json_result_and_state_are_clear_errors(harness) -> None:
    with pytest.raises(CodeExecutionError, match="returned a value that cannot be stored"):
        await run(harness, "def main(state):\n    return {1, 2}\n")
    with pytest.raises(DataError, match="state channel 'when' holds a value of type 'object'"):
        await run(harness, "def main(state):\n    return 1\n", {"ok": 1, "when": object()})


async def test_cancelling_the_run_stops_the_code(harness) -> None:
    asyncio.get_running_loop().call_later(0.2, harness.run.cancel_event.set)
    start = time.monotonic()
    with pytest.raises(CancelledRunError):
        await run(harness, "import time\ndef main(state):\n    time.sleep(30)\n", timeout=30)
    assert time.monotonic() - start < 1.0


def test_config_contract() -> None:
    model = PythonCodeNode.config_model
    assert model.model_validate({"code": "x", "timeout": 2.5}).cpu_seconds == 3
    assert model.model_validate({"code": "x", "cpu_seconds": 7}).cpu_seconds == 7
    with pytest.raises(ValidationError, match="timeout"):
        model.model_validate({"code": "x", "timeout": 301})
    assert PythonCodeNode.raw_fields == frozenset({"code"})
    assert PythonCodeNode.writes(model.model_validate({"code": "x", "output": "o"})) == {"o"}
