"""Child side of the script sandbox: ``python -I -B -m orcheo_core.sandbox._worker FD``.

A fork server: it imports LangGraph once (~1 s), then forks one process per job, so a
job starts in milliseconds with nothing of an earlier job in it. Each job process puts
itself in a session of its own, applies the in-process layers of
:mod:`orcheo_core.sandbox._policy` (limits, audit hook, restricted builtins), executes
the script as a module and finds its graph, then extracts the graph, runs it, compiles
it to a Step Functions definition (``compile``) or carries out one Task of that
definition (``task``: :func:`orcheo_core.compile.runtime.handle_task`), and exits.

A job answers in JSON lines on its reply pipe (its stdout and stderr both go to the
stderr pipe, so nothing the user or a C library prints can forge a message):
``{"type": "event", ...}`` for each node lifecycle event, then exactly one of
``{"type": "result", ...}``, ``{"type": "error", "error": ...}`` or
``{"type": "violation", "message": ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import os
import resource
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
import types
from typing import TYPE_CHECKING, Any, NoReturn, cast

# The slow part, done before the job arrives.
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel

from orcheo_core.errors import NodeExecutionError, OrcheoError
from orcheo_core.sandbox import _boundary, _policy
from orcheo_core.sandbox.errors import SandboxUnavailableError, ScriptError

if TYPE_CHECKING:
    from collections.abc import Callable

    from orcheo_core.engine.events import RunEvent

FILENAME = "<script>"
MODULE_NAME = "orcheo_script"
GRAPH_NAMES = ("graph", "workflow", "app")
"""Module-level names looked at first, in this order, for the graph to use."""
_START, _END = "__start__", "__end__"
_MAX_PRINTED = 64 * 1024


class _Channel:
    """The private reply pipe: one JSON object per line, whole lines only."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self.lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, default=_jsonable, separators=(",", ":"))
        if len(line) > self.limit and message.get("type") == "event":
            cut = {"truncated": True, "size": len(line)}
            line = json.dumps({**message, "data": cut}, separators=(",", ":"))
        if len(line) > self.limit:
            size = len(line)
            error = OrcheoError(
                f"the script's result is {size} bytes, over the sandbox's limit of "
                f"{self.limit} bytes; keep large data out of the state",
                size=size,
            )
            line = json.dumps({"type": "error", "error": error.to_dict()})
        data = (line + "\n").encode("utf-8", errors="surrogatepass")
        with self.lock:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return repr(value)


def _user_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    return line


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- finding and describing the graph --------------------------------------------------


def _find_graph(namespace: dict[str, Any]) -> tuple[str, Any]:
    for name in GRAPH_NAMES:
        if isinstance(namespace.get(name), StateGraph | CompiledStateGraph):
            return name, namespace[name]
    found: dict[int, tuple[str, Any]] = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        if isinstance(value, CompiledStateGraph):
            found[id(value.builder)] = (name, value)  # a compiled graph wins over its builder
        elif isinstance(value, StateGraph):
            found.setdefault(id(value), (name, value))
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise ScriptError(
            "the script defines no LangGraph graph at module level",
            hint="assign your StateGraph (or its compiled form) to a module-level variable "
            "named `graph`, e.g. `graph = builder.compile()`",
            reason="no_graph",
        )
    names = ", ".join(sorted(name for name, _ in found.values()))
    raise ScriptError(
        f"the script defines several graphs ({names}) and none is named `graph`",
        hint="name the one Orcheo should use `graph` (or `workflow`)",
        reason="no_graph",
    )


def _builder(value: Any) -> Any:
    return value.builder if isinstance(value, CompiledStateGraph) else value


def _node_ends(spec: Any) -> list[str]:
    ends = getattr(spec, "ends", None) or ()
    return [str(end) for end in ends]


def _describe_graph(name: str, value: Any) -> dict[str, Any]:
    builder = _builder(value)
    nodes = [{"id": node, "ends": _node_ends(spec)} for node, spec in builder.nodes.items()]
    edges: list[dict[str, Any]] = [
        {"source": source, "target": target} for source, target in sorted(builder.edges)
    ]
    for sources, target in sorted(builder.waiting_edges):
        edges.extend({"source": source, "target": target, "join": True} for source in sources)
    routes: list[dict[str, Any]] = []
    for source, branches in builder.branches.items():
        for route_name, branch in branches.items():
            ends = branch.ends
            routes.append(
                {
                    "source": source,
                    "name": route_name,
                    "targets": sorted({str(v) for v in ends.values()}) if ends else None,
                    "path_map": {str(k): str(v) for k, v in ends.items()} if ends else None,
                }
            )
    entry = {t for s, t in builder.edges if s == _START}
    entry.update(t for r in routes if r["source"] == _START for t in r["targets"] or ())
    finish = {s for s, t in builder.edges if t == _END}
    finish.update(r["source"] for r in routes if _END in (r["targets"] or ()))
    finish.discard(_START)
    return {
        "graph": name,
        "compiled": isinstance(value, CompiledStateGraph),
        "nodes": nodes,
        "edges": edges,
        "routes": routes,
        "entry": sorted(entry),
        "finish": sorted(finish),
        "state": [key for key in builder.channels if not key.startswith("__")],
    }


# --- the job ---------------------------------------------------------------------------


class _Printed(io.TextIOBase):
    """What the script prints: the first ``limit`` characters are kept, the rest dropped."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.room = limit

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.room > 0:
            kept = str(text)[: self.room]
            self.parts.append(kept)
            self.room -= len(kept)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


class _Job:
    def __init__(self, channel: _Channel, request: dict[str, Any]) -> None:
        self.channel = channel
        self.request = request
        self.printed = _Printed(_MAX_PRINTED)

    def violation(self, message: str) -> NoReturn:
        line = _caller_line()
        if line is not None and not message.startswith("line "):
            message = f"line {line}: {message}"
        try:
            self.channel.send({"type": "violation", "message": message, "line": line})
        finally:
            os._exit(3)

    def event(self, kind: str, node: str, data: dict[str, Any]) -> None:
        self.channel.send({"type": "event", "event": kind, "node": node, "data": data})

    def fail(self, error: OrcheoError) -> None:
        self.channel.send({"type": "error", "error": error.to_dict(), "stdout": self.stdout()})

    def stdout(self) -> str:
        return self.printed.getvalue()

    def load(self, source: str) -> tuple[str, Any]:
        """Execute the script as module ``orcheo_script``; its graph."""
        code = compile(source, FILENAME, "exec", dont_inherit=True)
        policy = _policy.Policy(
            user_filenames={FILENAME},
            on_violation=self.violation,
            read_roots=_policy.read_roots(replace=_package_roots()),
            write_root=os.getcwd(),  # noqa: PTH109 - the parent made it, private to this job
        )
        audit = self.request.get("audit", True) is not False
        module = types.ModuleType(MODULE_NAME)
        if audit:
            module.__dict__["__builtins__"] = _policy.restricted_builtins(policy)
        module.__dict__["__file__"] = FILENAME
        sys.modules[MODULE_NAME] = module  # typing and pydantic resolve annotations through it
        limits = self.request["limits"]
        _policy.apply_limits(
            memory_bytes=limits["memory_bytes"],
            cpu_seconds=limits["cpu_seconds"],
            file_bytes=limits["file_bytes"],
            open_files=limits["open_files"],
            processes=limits.get("processes") if limits.get("isolated") else None,
        )
        if audit:
            _policy.install_audit_hook(policy)
        sys.stdout = self.printed
        try:
            exec(code, module.__dict__)
        except MemoryError:
            raise
        except Exception as exc:
            raise _load_error(exc) from None
        return _find_graph(module.__dict__)

    async def run(self, value: Any, inputs: dict[str, Any], run_id: str) -> dict[str, Any]:
        graph = value.compile() if isinstance(value, StateGraph) else value
        config: Any = {"configurable": {"thread_id": run_id}}
        modes: Any = ["tasks", "values"]
        started: dict[str, tuple[str, float]] = {}
        state: Any = None
        try:
            async for part in graph.astream(inputs, config, stream_mode=modes):
                mode, chunk = cast("tuple[str, Any]", part)
                if mode == "values":
                    state = chunk
                elif "input" in chunk:
                    started[chunk["id"]] = (chunk["name"], time.perf_counter())
                    self.event("node.started", chunk["name"], {"input": chunk["input"]})
                else:
                    _, since = started.pop(chunk["id"], (None, time.perf_counter()))
                    duration = time.perf_counter() - since
                    if chunk.get("error") is None:
                        data = {"output": chunk.get("result"), "duration": duration}
                        self.event("node.succeeded", chunk["name"], data)
        except MemoryError:
            raise
        except Exception as exc:
            # the node still running is the one that raised
            node, since = next(iter(started.values()), (_outer_function(exc), time.perf_counter()))
            error = _node_error(exc, node)
            if node is not None:
                data = {"error": error.to_dict(), "duration": time.perf_counter() - since}
                self.event("node.failed", node, data)
            raise error from None
        return dict(state) if isinstance(state, dict) else {"value": state}


def _package_roots() -> dict[str, str]:
    """An editable install puts the repository on sys.path: narrow it to the package."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120
    return {os.path.dirname(here): here}  # noqa: PTH120


def _load_error(exc: BaseException) -> ScriptError:
    line = _user_line(exc)
    where = f"line {line}: " if line else ""
    return ScriptError(
        f"{where}the script raised {_describe(exc)} while being loaded",
        line=line,
        hint="the module-level code must run without errors (as `python script.py` does); "
        "move work that needs inputs into a node",
        reason="load",
        error_type=type(exc).__name__,
    )


def _outer_function(exc: BaseException) -> str | None:
    """The outermost function of the script in the traceback: the node's own function."""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME and frame.name != "<module>":
            return frame.name
    return None


def _caller_line() -> int | None:
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == FILENAME:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _node_error(exc: BaseException, function: str | None) -> OrcheoError:
    if isinstance(exc, OrcheoError):
        return exc
    line = _user_line(exc)
    where = f" at line {line}" if line else ""
    if type(exc).__name__ == "GraphRecursionError":
        return OrcheoError(
            "the graph took more steps than LangGraph's recursion limit (25): a loop "
            "probably never reaches its exit",
            line=line,
        )
    name = function or "graph"
    error = NodeExecutionError(name, f"{_describe(exc)}{where}", error_type=type(exc).__name__)
    error.details["line"] = line
    return error


class _TaskStore:
    """The StateStore of a ``task`` job. The job has no network: the parent put every
    ``$ref`` of the Task's input inline, and stores what the Task puts once it is over."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        self.items[key] = data.decode("utf-8")
        return {"sandbox": key}

    def get(self, ref: Any) -> bytes:
        raise OrcheoError(f"state reference {ref!r} was not resolved before the Task ran")


def _compile_job(value: Any, options: dict[str, Any]) -> dict[str, Any]:
    from orcheo_core.compile import CompileOptions, compile_state_machine

    machine = compile_state_machine(_builder(value), CompileOptions(**options))
    return {"machine": {"definition": machine.definition, "type": machine.type}}


async def _task_job(value: Any, event: dict[str, Any], run_id: str) -> dict[str, Any]:
    from orcheo_core.compile.runtime import TaskError, handle_task
    from orcheo_core.engine.context import RunContext
    from orcheo_core.graph.builder import compile_workflow

    events: list[RunEvent] = []
    store = _TaskStore()
    ctx = RunContext(run_id, sink=events.append)
    result: dict[str, Any] = {}
    try:
        result["output"] = await handle_task(compile_workflow(value), event, store=store, ctx=ctx)
    except TaskError as exc:
        result["task_error"] = {"name": exc.name, "cause": exc.cause}
    result["events"] = [e.to_dict() for e in events]
    result["stored"] = store.items
    return result


def _code_job(job: _Job) -> dict[str, Any]:
    """A code node's ``main(state)``: ``{"outcome": ..., "stdout": ...}`` (see ``_code``)."""
    from orcheo_core.sandbox import _code

    request = job.request
    limits = request["limits"]
    isolated = bool(limits.get("isolated"))
    code, state = str(request["code"]), request.get("state")
    if request.get("language") == "javascript":
        import py_mini_racer  # noqa: F401 - its library loads before the limits are in

        # V8 reserves far more address space than it uses: its heap limit bounds memory.
        _policy.apply_limits(
            memory_bytes=resource.RLIM_INFINITY,
            cpu_seconds=limits["cpu_seconds"],
            file_bytes=limits["file_bytes"],
            open_files=limits["open_files"],
            processes=limits.get("processes") if isolated else None,
        )
        timeout = float(request.get("timeout") or limits["cpu_seconds"])
        memory = int(limits["memory_bytes"])

        def bound_data() -> None:
            # ArrayBuffers live outside the V8 heap: RLIMIT_DATA bounds them (V8's own
            # reservations are not writable until used, so they do not count).
            data = _boundary.memory_status().get("VmData", 0) + 2 * memory + (64 << 20)
            resource.setrlimit(resource.RLIMIT_DATA, (data, data))

        outcome, printed = _code.run_javascript(
            code, state, timeout=timeout, memory_bytes=memory, started=bound_data
        )
        return {"outcome": outcome, "stdout": printed}
    _policy.apply_limits(  # the node's memory is on top of what the runtime has mapped
        memory_bytes=limits["memory_bytes"] + int(limits.get("baseline_bytes") or 0),
        cpu_seconds=limits["cpu_seconds"],
        file_bytes=limits["file_bytes"],
        open_files=limits["open_files"],
        processes=limits.get("processes") if isolated else None,
    )
    if not isolated and request.get("audit", True) is not False:
        # Without namespaces the audit hook is all there is between the code and the
        # server's files and network (ORCHEO_SANDBOX=process): full Python otherwise.
        policy = _policy.Policy(
            user_filenames={_code.FILENAME},
            on_violation=job.violation,
            read_roots=_policy.read_roots(replace=_package_roots()),
            write_root=os.getcwd(),  # noqa: PTH109 - the parent made it, private to this job
        )
        _policy.install_audit_hook(policy)
    sys.stdout = job.printed
    outcome = _code.run_python(code, state)
    sys.stdout = sys.__stdout__
    return {"outcome": outcome, "stdout": job.stdout()}


def _preload(mode: str) -> None:
    """Import what a job needs before the audit hook is in."""
    if mode in ("compile", "task"):
        import orcheo_core.compile
        import orcheo_core.compile.runtime
        import orcheo_core.engine.context
        import orcheo_core.graph.builder  # noqa: F401


def _handle(job: _Job, loop: asyncio.AbstractEventLoop) -> None:
    request = job.request
    mode = request["mode"]
    try:
        _preload(mode)
        if mode == "code":
            job.channel.send({"type": "result", **_code_job(job)})
            return
        name, value = job.load(request["source"])
        if mode == "extract":
            result: dict[str, Any] = {"graph": _describe_graph(name, value)}
        elif mode == "compile":
            result = _compile_job(value, dict(request.get("options") or {}))
        elif mode == "task":
            task = _task_job(value, dict(request["event"]), str(request.get("run_id")))
            result = loop.run_until_complete(task)
        else:
            inputs = dict(request.get("inputs") or {})
            state = loop.run_until_complete(job.run(value, inputs, str(request.get("run_id"))))
            result = {"state": state}
    except MemoryError:
        job.channel.send({"type": "error", "error": {"code": "script_memory", "message": ""}})
        return
    except OrcheoError as exc:
        job.fail(exc)
        return
    except RecursionError as exc:
        job.fail(_load_error(exc))
        return
    job.channel.send({"type": "result", **result, "stdout": job.stdout()})


_SYSCALLS: object = None
"""The jobs' seccomp filter, built once by the fork server (namespaces mode)."""


def _run_job(job: dict[str, Any], reply: int, err: int, isolate: bool) -> NoReturn:
    """In a fresh fork: become a session of its own, wire up the pipes, run ``job``.

    With ``isolate`` the job first enters namespaces of its own
    (:func:`orcheo_core.sandbox._boundary.enter_job`) and works in its private ``/tmp``.
    """
    try:
        os.setsid()  # its own process group: the parent kills the group, forks included
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(err, 1)  # nothing printed, by Python or by C, can reach the reply pipe
        os.dup2(err, 2)
        os.closerange(3, reply)
        os.closerange(reply + 1, 1024)
        channel = _Channel(reply, int(job["limits"].get("message_bytes", 32 * 1024 * 1024)))
        workdir = str(job["workdir"])
        job["limits"]["baseline_bytes"] = _address_space()  # before /proc is hidden
        if isolate:
            limits = job["limits"]
            try:
                _boundary.enter_job(
                    tmp_bytes=int(limits.get("tmp_bytes", 64 << 20)),
                    tmp_files=int(limits.get("tmp_files", 4096)),
                    keep_fds=[reply],
                    syscalls=_SYSCALLS,
                )
            except OSError as exc:
                error = SandboxUnavailableError(_boundary.unavailable_message(str(exc)))
                channel.send({"type": "error", "error": error.to_dict()})
                os._exit(4)
            workdir = _boundary.JOB_TMP
            limits["isolated"] = True
        os.chdir(workdir)
        os.environ["HOME"] = os.environ["TMPDIR"] = workdir
        # The event loop needs a socket pair, which the audit hook refuses once it is in.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _handle(_Job(channel, job), loop)
        sys.stderr.flush()
    except BaseException:  # a bug of ours: say what on stderr, the parent reports it
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(5)
    finally:
        os._exit(0)  # no atexit, no finalisers of user objects


def _address_space() -> int:
    """This process's address space now (what the runtime itself takes), in bytes."""
    return _boundary.memory_status().get("VmSize", 0)


def _probe() -> str | None:
    """Why jobs cannot get namespaces of their own here, or None if they can."""
    global _SYSCALLS
    try:
        _SYSCALLS = _boundary.syscall_filter()
    except (OSError, RuntimeError, ImportError) as exc:
        return f"no seccomp filter: {_describe(exc)} (Debian: apt-get install libseccomp2)"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            _boundary.enter_job(
                tmp_bytes=1 << 20, tmp_files=16, keep_fds=[write], syscalls=_SYSCALLS
            )
        except BaseException as exc:  # whatever it is, this copy of the server must end
            os.write(write, _describe(exc).encode())
            os._exit(1)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reason = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return reason or f"the namespace probe ended with status {status}"


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            os._exit(0)  # the parent went away
        data += chunk
    return bytes(data)


def _reap(send: Callable[[dict[str, Any]], None], live: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        live.discard(pid)
        send({"type": "exit", "pid": pid, "status": os.waitstatus_to_exitcode(status)})


def main(argv: list[str] | None = None) -> None:
    """The fork server: import LangGraph once, then fork one process per job.

    ``argv[0]`` is the file descriptor of a Unix socket to the parent; ``argv[1]``,
    ``namespaces`` when each job must get namespaces of its own (the server itself runs
    in bubblewrap then). It first answers ``{"type": "ready", "unavailable"}`` (why jobs
    cannot be isolated, or null). A request is an 8-byte length carrying two file
    descriptors (the job's reply and stderr pipes), then the job's JSON; the answer is
    ``{"type": "started", "id", "pid"}``, and later ``{"type": "exit", "pid", "status"}``
    once that process has ended. ``{"kill": pid}`` (no descriptors) kills a job's group.
    """
    args = sys.argv[1:] if argv is None else argv
    sys.dont_write_bytecode = True
    sock = socket.socket(fileno=int(args[0]))
    isolate = args[1:2] == ["namespaces"]
    live: set[int] = set()
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with lock:
            sock.sendall((json.dumps(message) + "\n").encode())

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    send({"type": "ready", "pid": os.getpid(), "unavailable": _probe() if isolate else None})
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock:
                header, fds, _, _ = socket.recv_fds(sock, 8, 2)
                if not header:
                    os._exit(0)  # the parent went away: its jobs are its to kill
                header += _recv_exactly(sock, 8 - len(header))
                job = json.loads(_recv_exactly(sock, int.from_bytes(header, "big")))
                if "kill" in job:  # its pid means nothing outside this PID namespace
                    if int(job["kill"]) in live:  # never a reaped (reusable) pid
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(int(job["kill"]), signal.SIGKILL)
                    continue
                pid = os.fork()
                if pid == 0:
                    _run_job(job, fds[0], fds[1], isolate)
                for fd in fds:
                    os.close(fd)
                live.add(pid)
                send({"type": "started", "id": job["id"], "pid": pid})
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
        _reap(send, live)


if __name__ == "__main__":
    main()
