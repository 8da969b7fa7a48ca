"""The OS boundary on its own: with the static check and the in-process layers switched
off (``check=False, audit=False``), a job is plain Python, and only the kernel
(bubblewrap, then namespaces of the job's own) stands between it and the server.

Each probe runs at load time (module level) and hands what it saw back through the graph.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from orcheo_core.sandbox import SandboxLimits, ScriptSandbox

pytestmark = pytest.mark.skipif(
    os.environ.get("ORCHEO_SANDBOX") == "process", reason="the namespaces boundary is off"
)

REPO = Path(__file__).parents[3]
_GRAPH = """
from typing import TypedDict
from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    seen: dict


def report(state: S) -> S:
    return {"seen": SEEN}


builder = StateGraph(S)
builder.add_node("report", report)
builder.add_edge(START, "report")
builder.add_edge("report", END)
graph = builder.compile()
"""


def _script(probe: str) -> str:
    """A script whose module-level ``probe`` fills ``SEEN``, returned as the state."""
    return "SEEN = {}\n" + textwrap.dedent(probe) + _GRAPH


async def _seen(probe: str, limits: SandboxLimits | None = None) -> dict[str, Any]:
    sandbox = ScriptSandbox(check=False, audit=False)
    run = await sandbox.run(_script(probe), {}, limits=limits)
    assert run.status == "succeeded", run.error
    assert run.state is not None
    seen: dict[str, Any] = run.state["seen"]
    return seen


def _attempt(name: str, expression: str) -> str:
    """Probe lines that record ``expression``'s value, or the error it raised."""
    return (
        f"try:\n    SEEN[{name!r}] = repr({expression})\n"
        f"except BaseException as exc:\n    SEEN[{name!r}] = 'refused: ' + repr(exc)\n"
    )


async def test_a_job_cannot_read_server_files(tmp_path: Path) -> None:
    canary = tmp_path / "vault.key"
    canary.write_text("canary-secret")
    repo_file = REPO / "pyproject.toml"
    probe = "".join(
        [
            _attempt("canary", f"open({str(canary)!r}).read()"),
            _attempt("repo", f"open({str(repo_file)!r}).read()"),
            _attempt("home", "os.listdir(os.path.expanduser('~root'))"),
            _attempt("etc", "open('/etc/passwd').read()"),
            _attempt("write_usr", "open('/usr/orcheo-pwned', 'w')"),
            _attempt("write_tmp", "open('/tmp/mine', 'w').write('ok')"),
        ]
    )
    seen = await _seen("import os\n" + probe)
    for key in ("canary", "repo", "etc", "home"):
        assert seen[key].startswith("refused: FileNotFoundError"), (key, seen[key])
    assert seen["write_usr"].startswith("refused: OSError(30"), seen  # read-only file system
    assert seen["write_tmp"] == "2"  # its own /tmp works
    assert "canary-secret" not in repr(seen)
    assert not Path("/tmp/mine").exists() or Path("/tmp/mine").read_text() != "ok"


async def test_a_job_cannot_connect_to_a_loopback_server() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        probe = "import socket\n" + _attempt(
            "tcp", f"socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        )
        probe += _attempt("ifaces", "socket.if_nameindex()")
        seen = await _seen(probe)
    finally:
        stop.set()
        thread.join()
        server.close()
    assert seen["tcp"].startswith("refused: OSError(101"), seen  # network is unreachable
    assert accepted == []
    assert "eth" not in seen["ifaces"]


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


async def test_children_die_with_the_job_even_in_a_session_of_their_own() -> None:
    marker = f"orcheo-canary-{uuid.uuid4().hex}"
    sleeper = f"import time; time.sleep(120)  # {marker}"
    probe = f"""
    import os, subprocess, sys
    subprocess.Popen([sys.executable, "-c", {sleeper!r}], start_new_session=True)
    if os.fork() == 0:  # a double fork, the daemon way
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", {sleeper!r}])
        os._exit(0)
    import time
    time.sleep(0.5)
    SEEN["started"] = True
    """
    seen = await _seen(probe)
    assert seen == {"started": True}
    for _ in range(100):  # the kernel tears the PID namespace down as the job ends
        if not _alive_with(marker):
            break
        await asyncio.sleep(0.05)
    assert _alive_with(marker) == []


async def test_the_parent_s_proc_is_invisible() -> None:
    probe = "import os\n" + "".join(
        [
            _attempt("pid", "os.getpid()"),
            _attempt("ppid", "os.getppid()"),
            _attempt("proc", "os.listdir('/proc')"),
            _attempt("environ", f"open('/proc/{os.getpid()}/environ', 'rb').read()"),
            _attempt("uid", "os.getuid()"),
            _attempt("kill_server", f"os.kill({os.getpid()}, 0)"),
        ]
    )
    seen = await _seen(probe)
    assert seen["pid"] == "1"  # the init of its own PID namespace
    assert seen["ppid"] == "0"
    assert seen["proc"] == "[]"
    assert seen["environ"].startswith("refused: FileNotFoundError")
    assert seen["uid"] == "1000"
    # our pid means nothing in its namespace: no such process (or not ours)
    assert seen["kill_server"].startswith("refused: ProcessLookupError"), seen


async def test_a_fork_bomb_hits_the_process_limit() -> None:
    probe = """
    import os, signal, time
    children = []
    try:
        while len(children) < 10000:
            child = os.fork()
            if child == 0:
                time.sleep(60)
                os._exit(0)
            children.append(child)
    except OSError as exc:
        SEEN["stopped"] = exc.errno
    SEEN["count"] = len(children)
    for child in children:  # room again for LangGraph's threads
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    """
    seen = await _seen(probe, SandboxLimits(processes=32))
    assert seen["stopped"] == 11  # EAGAIN: RLIMIT_NPROC in the job's own user namespace
    assert seen["count"] < 32


async def test_system_calls_a_job_never_needs_fail_with_eperm() -> None:
    probe = """
    import ctypes, os, platform, subprocess, sys, threading
    libc = ctypes.CDLL(None, use_errno=True)

    def call(result):
        return "ok" if result == 0 else os.strerror(ctypes.get_errno())

    SEEN["unshare"] = call(libc.unshare(0x10000000))  # CLONE_NEWUSER
    SEEN["ptrace"] = call(libc.ptrace(16, 1, 0, 0))  # PTRACE_ATTACH
    SEEN["mount"] = call(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
    io_uring_setup = {"x86_64": 425, "aarch64": 425}.get(platform.machine(), 425)
    params = ctypes.create_string_buffer(120)
    SEEN["io_uring"] = "ok" if libc.syscall(io_uring_setup, 8, params) >= 0 else (
        os.strerror(ctypes.get_errno())
    )
    SEEN["keyctl"] = call(libc.syscall(250 if platform.machine() == "x86_64" else 219, 0))
    # what a job does need still works: processes and threads
    SEEN["child"] = subprocess.run([sys.executable, "-c", "print(6 * 7)"],
                                   capture_output=True, text=True).stdout.strip()
    box = []
    thread = threading.Thread(target=lambda: box.append(1))
    thread.start(); thread.join()
    SEEN["thread"] = box
    """
    seen = await _seen(probe)
    denied = os.strerror(1)  # Operation not permitted
    assert {k: seen[k] for k in ("unshare", "ptrace", "mount", "io_uring", "keyctl")} == {
        "unshare": denied,
        "ptrace": denied,
        "mount": denied,
        "io_uring": denied,
        "keyctl": denied,
    }
    assert seen["child"] == "42" and seen["thread"] == [1]


def test_without_bubblewrap_user_code_is_refused_and_the_message_names_the_setting(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent(
        """
        import asyncio
        from orcheo_core.sandbox import ScriptSandbox

        async def main():
            run = await ScriptSandbox().run(open(EXAMPLE).read(), {"name": "x"})
            print(run.error["code"], "|", run.error["message"])

        asyncio.run(main())
        """
    ).replace("EXAMPLE", repr(str(REPO / "examples" / "scripts" / "hello_graph.py")))
    env = {"PATH": str(tmp_path), "ORCHEO_SANDBOX": "namespaces", "PYTHONPATH": str(REPO)}
    done = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    code_name, message = done.stdout.strip().split(" | ", 1)
    assert code_name == "sandbox_unavailable"
    assert "bwrap" in message and "ORCHEO_SANDBOX=process" in message
