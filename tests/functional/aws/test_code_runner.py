"""User code on AWS runs in the code-runner Lambda, never in the node runner or the API.

On the emulated stack (moto, Lambdas run in-process by the emulation's runtime) every
sandbox job goes out through ``lambda:Invoke`` of ``orcheo-code-runner``. The hostile
corpus's code programs go through it too: nothing they return carries the canaries
planted in the caller's files and environment, nothing is written, no process stays.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.emulation import AwsEmulation
from orcheo_core.nodes.python_code import run_code
from orcheo_core.sandbox import SandboxLimits, ScriptSandbox
from tests.e2e.hostile_corpus import CASES

pytestmark = pytest.mark.skipif(
    os.environ.get("ORCHEO_SANDBOX") == "process", reason="the namespaces boundary is off"
)
REPO = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def emulation() -> Iterator[AwsEmulation]:
    with AwsEmulation(prefix="coderunner-") as emulated:
        yield emulated


def _code_runner_calls(emulation: AwsEmulation) -> int:
    return sum(1 for name, _ in emulation.runtime.invocations if name == "orcheo-code-runner")


async def test_python_code_and_scripts_run_in_the_code_runner(emulation: AwsEmulation) -> None:
    before = _code_runner_calls(emulation)
    result, printed = await run_code(
        "def main(state):\n    print('hi')\n    return sum(state['n'])\n", {"n": [1, 2, 3]}
    )
    assert (result, printed) == (6, "hi\n")
    source = (REPO / "examples" / "scripts" / "hello_graph.py").read_text()
    shape = await ScriptSandbox().extract(source)
    assert [n["id"] for n in shape.nodes] == ["greet", "louder"]
    assert _code_runner_calls(emulation) == before + 2
    job = emulation.runtime.invocations[-1][1]
    assert job["mode"] == "extract" and "sandbox_limits" in job


def _alive_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def test_the_hostile_corpus_is_contained_by_the_code_runner(
    emulation: AwsEmulation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside"
    home.mkdir()
    outside.mkdir()
    canary = f"CANARY-{uuid.uuid4().hex}"
    for where in (home, outside):
        (where / "canary.txt").write_text(canary)
    (home / "admin-token").write_text(canary + "-token")
    env_secret = f"AWS-SECRET-{uuid.uuid4().hex}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", env_secret)  # what the node runner holds
    sandbox = ScriptSandbox(check=False)
    limits = SandboxLimits(memory_mb=128, cpu_seconds=2, wall_seconds=3)
    cases = [c for c in CASES if "python" in c.channels or c.language == "javascript"]
    before = _code_runner_calls(emulation)
    for case in cases:
        marker = f"orcheo-marker-{uuid.uuid4().hex}"
        values = {
            "{HOME}": str(home),
            "{OUTSIDE}": str(outside),
            "{REPO}": str(REPO),
            "{API_PORT}": "9",
            "{LISTEN_PORT}": "9",
            "{UDP_PORT}": "9",
            "{ABSTRACT}": marker,
            "{SERVER_PID}": str(os.getpid()),
            "{MARKER}": marker,
        }
        source = case.source
        for key, value in values.items():
            source = source.replace(key, value)
        if case.language == "python":
            source += "\n\ndef main(state):\n    return str(attack())[:4000]\n"
        language = "python" if case.language == "python" else "javascript"
        try:
            run = await sandbox.run_code(language, source, {}, limits=limits)
            seen = repr(run)
        except Exception as exc:  # a limit or a crash: contained, and said so
            seen = repr(exc)
        for secret in (canary, env_secret):
            assert secret not in seen, f"{case.name}: {seen[:300]}"
        assert [p.name for p in [*home.iterdir(), *outside.iterdir()] if "pwned" in p.name] == []
        for _ in range(100):
            if not _alive_with(marker):
                break
            await asyncio.sleep(0.05)
        assert _alive_with(marker) == [], case.name
    assert _code_runner_calls(emulation) == before + len(cases)
