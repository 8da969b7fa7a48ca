"""The hostile corpus (``hostile/*.py``): every script is refused or contained, twice.

Each file is first given to the static check, which refuses what it can see, at the
place it is. Then it is run with the static check switched off, so the runtime layers
(restricted builtins, the audit hook, the resource limits and the parent's wall-clock
kill) have to stop it on their own; each must end with its specific error, and the
worker's process group must be gone.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from orcheo_core.graph.script import find_problems
from orcheo_core.sandbox import (
    SandboxLimits,
    SandboxViolationError,
    ScriptMemoryError,
    ScriptSandbox,
    ScriptTimeoutError,
)

HOSTILE = Path(__file__).with_name("hostile")
GOOD = Path(__file__).parents[3] / "examples" / "scripts" / "hello_graph.py"
LIMITS = SandboxLimits(memory_mb=384, cpu_seconds=2, wall_seconds=3.0)

# file -> (static refusal (line, words) or None when only the runtime can tell,
#          runtime error code, words in the runtime message)
CORPUS: dict[str, tuple[tuple[int, str] | None, str, str]] = {
    # processor or wall-clock time, whichever runs out first on a busy machine
    "endless_loop.py": (None, ScriptTimeoutError.code, "and was stopped"),
    "sleep_forever.py": (None, ScriptTimeoutError.code, "3s of wall-clock time"),
    "huge_allocation.py": (None, ScriptMemoryError.code, "384 MB"),
    "recursion_bomb.py": (None, "node_failed", "RecursionError"),
    "fork_bomb.py": ((1, "'os'"), SandboxViolationError.code, "import 'os'"),
    "os_system.py": ((1, "'os'"), SandboxViolationError.code, "import 'os'"),
    "read_passwd.py": ((10, "open()"), SandboxViolationError.code, "open() is not available"),
    "open_socket.py": ((1, "'socket'"), SandboxViolationError.code, "import 'socket'"),
    "subclasses_escape.py": ((11, ".__class__"), SandboxViolationError.code, "subprocess.Popen"),
    "file_via_subclasses.py": ((11, ".__class__"), SandboxViolationError.code, "'/etc/passwd'"),
    "socket_via_subclasses.py": ((11, ".__class__"), SandboxViolationError.code, "network"),
    "generator_frame.py": ((12, ".gi_frame"), SandboxViolationError.code, "gi_frame"),
    "traceback_frame.py": ((14, ".__traceback__"), SandboxViolationError.code, "tb_frame"),
    "getattr_frame.py": ((13, ".f_back"), SandboxViolationError.code, "'gi_frame'"),
    "getattr_built_names.py": (None, SandboxViolationError.code, "'__class__'"),
    "import_by_string.py": ((11, "__builtins__"), SandboxViolationError.code, "import 'os'"),
    "module_attribute_escape.py": ((13, ".modules"), SandboxViolationError.code, "'sys'"),
}


def test_the_corpus_is_complete() -> None:
    assert sorted(CORPUS) == sorted(p.name for p in HOSTILE.glob("*.py"))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_static_check(name: str) -> None:
    static, _, _ = CORPUS[name]
    problems = find_problems((HOSTILE / name).read_text())
    if static is None:
        assert problems == []  # built at run time: the runtime layers must catch it
        return
    line, words = static
    assert problems, f"{name} passed the static check"
    assert (problems[0].line, problems[0].column is not None) == (line, True)
    assert words in problems[0].message


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process we can see."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def _my_jobs() -> list[int]:
    """Job processes still around (alive or unreaped) under this process's fork server
    (a child of ours, or the Python under bubblewrap's two processes)."""
    processes = _processes()
    mine = {os.getpid()}
    for _ in range(3):
        mine |= {pid for pid, (ppid, _) in processes.items() if ppid in mine}
    servers = {
        pid
        for pid, (_, cmdline) in processes.items()
        if pid in mine
        and b"orcheo_core.sandbox._worker" in cmdline
        and not cmdline.split(b"\0")[0].endswith(b"bwrap")
    }
    return [pid for pid, (ppid, _) in processes.items() if ppid in servers]


async def _no_jobs_left() -> bool:
    for _ in range(40):  # the fork server reaps a job as soon as it ends
        if not _my_jobs():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("name", sorted(CORPUS))
async def test_runtime_layers(name: str) -> None:
    _, code, words = CORPUS[name]
    sandbox = ScriptSandbox(check=False)
    run = await sandbox.run((HOSTILE / name).read_text(), {"n": 0}, limits=LIMITS)
    assert run.status == "failed"
    assert run.error is not None
    assert run.error["code"] == code, run.error
    assert words in run.error["message"]
    assert await _no_jobs_left(), "a job's process outlived it"
    assert not Path("/tmp/orcheo-pwned").exists()


async def test_other_scripts_complete_while_one_is_contained() -> None:
    sandbox = ScriptSandbox(check=False)
    events: list[str] = []
    hostile = asyncio.ensure_future(
        sandbox.run(
            (HOSTILE / "endless_loop.py").read_text(),
            {"n": 0},
            run_id="spin",
            on_event=lambda e: events.append(e.type),
            limits=LIMITS.replace(cpu_seconds=30, wall_seconds=30.0),
        )
    )
    while "node.started" not in events:  # the loop is spinning
        await asyncio.sleep(0.05)
    other = ScriptSandbox()
    source = GOOD.read_text()
    shape = await other.extract(source)
    run = await other.run(source, {"name": "Ada"})
    assert not hostile.done(), "the good script should not have waited for the hostile one"
    assert [n["id"] for n in shape.nodes] == ["greet", "louder"]
    assert run.state == {"name": "Ada", "greeting": "Hello, Ada!", "log": ["greet"]}
    assert sandbox.cancel("spin")
    assert (await hostile).status == "cancelled"
    assert await _no_jobs_left()


async def test_cancel_kills_the_worker() -> None:
    sandbox = ScriptSandbox()
    events: list[str] = []
    source = (HOSTILE / "sleep_forever.py").read_text()
    task = asyncio.ensure_future(
        sandbox.run(source, {"n": 0}, run_id="r1", on_event=lambda e: events.append(e.type))
    )
    while "node.started" not in events:
        await asyncio.sleep(0.05)
    began = time.perf_counter()
    assert sandbox.cancel("r1")
    run = await task
    assert run.status == "cancelled"
    assert time.perf_counter() - began < 1.0
    assert events[-1] == "run.cancelled"
    assert not sandbox.cancel("r1")
    assert await _no_jobs_left()
