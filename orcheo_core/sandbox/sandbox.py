"""Parent side of the script sandbox: start workers, send them a job, police them.

Each job runs in a fresh process in a session (and process group) of its own, with an
empty environment and a private temporary directory as its working directory. It is
forked from a server process (``orcheo_core.sandbox._worker``) that imported LangGraph
once, so a job starts in milliseconds instead of the ~1 s that import takes. The parent
enforces the wall-clock limit and cancellation by killing the job's whole group (forks
included), caps what the job may send and print, and turns every way a job can end into
a typed error with a message a user can act on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from orcheo_core.errors import CancelledRunError, OrcheoError
from orcheo_core.sandbox import _boundary
from orcheo_core.sandbox.errors import (
    SandboxUnavailableError,
    SandboxViolationError,
    ScriptCrashedError,
    ScriptMemoryError,
    ScriptTimeoutError,
    error_from_dict,
)
from orcheo_core.sandbox.limits import EXTRACT_LIMITS, RUN_LIMITS, SandboxLimits

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from orcheo_core.compile.runtime import StateStore
    from orcheo_core.engine.events import RunEvent

__all__ = [
    "CodeRun",
    "ScriptGraph",
    "ScriptRun",
    "ScriptSandbox",
    "ScriptTask",
    "extract_script",
    "prestart",
    "protect",
    "serve_job",
    "use_remote",
    "run_script",
]

# -I: no environment variables, no user site, no current directory on sys.path; the
# directory holding orcheo_core is added explicitly (it may be on PYTHONPATH only).
_BOOT = (
    "import sys; sys.path.append(sys.argv[1]); "
    "from orcheo_core.sandbox._worker import main; main(sys.argv[2:])"
)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120
_PACKAGE_PARENT = os.path.dirname(_PACKAGE_DIR)  # noqa: PTH120
_POLL = 0.05


@dataclass(frozen=True)
class ScriptGraph:
    """The shape of a script's graph, for drawing it and for checking runs against it.

    ``nodes``: ``[{"id", "ends"}]`` (``ends``: where a node's ``Command`` may go);
    ``edges``: ``[{"source", "target"}]`` (``"join": True`` for an edge that waits on
    several sources); ``routes``: the conditional edges, ``[{"source", "name", "targets",
    "path_map"}]`` (``targets`` is None when neither a path map nor a ``Literal`` return
    annotation names them); ``entry``/``finish``: the nodes after ``__start__`` and before
    ``__end__``; ``state``: the state keys; ``graph``: the module-level name it was found
    under.
    """

    graph: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    routes: list[dict[str, Any]] = field(default_factory=list)
    entry: list[str] = field(default_factory=list)
    finish: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    compiled: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptGraph:
        return cls(
            graph=str(data.get("graph", "graph")),
            nodes=list(data.get("nodes") or []),
            edges=list(data.get("edges") or []),
            routes=list(data.get("routes") or []),
            entry=list(data.get("entry") or []),
            finish=list(data.get("finish") or []),
            state=list(data.get("state") or []),
            compiled=bool(data.get("compiled")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "graph": self.graph,
            "compiled": self.compiled,
            "nodes": self.nodes,
            "edges": self.edges,
            "routes": self.routes,
            "entry": self.entry,
            "finish": self.finish,
            "state": self.state,
        }


@dataclass
class ScriptRun:
    """How a script run ended: ``status``, the final ``state`` or the ``error``, and what
    the script printed."""

    run_id: str
    status: Literal["succeeded", "failed", "cancelled"]
    state: dict[str, Any] | None
    error: dict[str, Any] | None = None
    stdout: str = ""
    duration: float = 0.0


@dataclass
class CodeRun:
    """How a code node's ``main(state)`` ended in the sandbox: the ``outcome`` (see
    :mod:`orcheo_core.sandbox._code`: ``ok`` + ``result_json``, or ``kind`` and
    ``message``) and what the code printed."""

    outcome: dict[str, Any]
    stdout: str = ""


@dataclass
class ScriptTask:
    """How one Task of a script's state machine ended in the sandbox.

    ``output`` is the Task's output (its ``$ref``s already in the state store), or
    ``error`` is the Task failure as Step Functions must see it: ``(name, cause)``, the
    arguments of :class:`~orcheo_core.compile.runtime.TaskError`. ``events`` are the node
    events the Task emitted, in order.
    """

    output: dict[str, Any] | None
    error: tuple[str, dict[str, Any]] | None = None
    events: list[RunEvent] = field(default_factory=list)


def _inline_refs(value: Any, store: StateStore) -> Any:
    """``value`` with every ``{"$ref": ...}`` replaced by the JSON it refers to."""
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            return json.loads(store.get(value["$ref"]))
        return {k: _inline_refs(v, store) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline_refs(v, store) for v in value]
    return value


def _store_refs(value: Any, stored: Mapping[str, str], store: StateStore) -> Any:
    """``value`` with each of the job's ``{"$ref": {"sandbox": key}}`` put in ``store``."""
    if isinstance(value, dict):
        ref = value.get("$ref") if set(value) == {"$ref"} else None
        if isinstance(ref, dict) and set(ref) == {"sandbox"}:
            key = str(ref["sandbox"])
            return {"$ref": store.put(key, stored[key].encode("utf-8"))}
        return {k: _store_refs(v, stored, store) for k, v in value.items()}
    if isinstance(value, list):
        return [_store_refs(v, stored, store) for v in value]
    return value


class _ForkServer:
    """The process that has imported LangGraph and forks one process per job.

    One per parent process, shared by every sandbox and event loop: requests go out
    under a lock (they are small and the server reads them at once), answers come back
    on a reader thread that resolves thread-safe futures. It exits when this process
    does (its socket closes).
    """

    def __init__(self, startup_seconds: float, mode: _boundary.SandboxMode) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = {
            "PATH": os.defpath,
            "LANG": "C.UTF-8",
            # one malloc arena per thread would reserve 64 MB of address space each
            "MALLOC_ARENA_MAX": "2",
        }  # each job sets HOME and TMPDIR to its own directory
        argv = [sys.executable, "-I", "-B", "-c", _BOOT, _PACKAGE_PARENT, str(theirs.fileno())]
        self.mode = mode
        # what bwrap says if it cannot start; kept open as long as the server runs
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            if mode == "namespaces":
                argv = _boundary.bwrap_command([*argv, "namespaces"], **_bwrap_paths())
            self.proc = subprocess.Popen(  # noqa: S603 - our own module, no shell
                argv,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.errors,
                start_new_session=True,
                cwd="/",
                env=env,
            )
        except FileNotFoundError as exc:
            ours.close()
            raise SandboxUnavailableError(_boundary.unavailable_message(str(exc))) from None
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.started: dict[str, concurrent.futures.Future[int]] = {}
        self.exits: dict[int, concurrent.futures.Future[int | None]] = {}
        self.recent: OrderedDict[int, int | None] = OrderedDict()
        self.alive = True
        self.startup_seconds = startup_seconds
        threading.Thread(target=self._read, name="orcheo-sandbox", daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._dispatch(json.loads(line))
        except OSError:
            pass
        with self.lock:
            self.alive = False
            pending: list[concurrent.futures.Future[Any]] = [
                *self.started.values(),
                *self.exits.values(),
                self.ready,
            ]
        error: OrcheoError = ScriptCrashedError("the sandbox's fork server stopped")
        if not self.ready.done() and self.mode == "namespaces":
            error = SandboxUnavailableError(_boundary.unavailable_message(self._said()))
        for future in pending:
            if not future.done():
                future.set_exception(error)
        with contextlib.suppress(Exception):
            self.proc.wait(5)

    def _said(self) -> str:
        """The last line the server (bwrap, before Python) wrote on its stderr."""
        with contextlib.suppress(Exception):
            self.proc.wait(5)
        self.errors.seek(0)
        lines = self.errors.read(65536).decode(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else f"bwrap exited with status {self.proc.poll()}"

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ready":
            if message.get("unavailable"):
                reason = str(message["unavailable"])
                self.ready.set_exception(
                    SandboxUnavailableError(_boundary.unavailable_message(reason))
                )
            else:
                self.ready.set_result(None)
        elif kind == "started":
            with self.lock:
                future = self.started.pop(str(message["id"]), None)
            if future is not None:
                future.set_result(int(message["pid"]))
        elif kind == "exit":
            pid, status = int(message["pid"]), message.get("status")
            with self.lock:
                waiting = self.exits.pop(pid, None)
                if waiting is None:  # nobody asked (yet): keep the most recent few
                    self.recent[pid] = status
                    while len(self.recent) > 1024:
                        self.recent.popitem(last=False)
            if waiting is not None:
                waiting.set_result(status)

    async def fork(self, job: dict[str, Any], fds: list[int]) -> int:
        """Start ``job`` in a new process with ``fds`` as its reply and stderr pipes."""
        await asyncio.wait_for(asyncio.wrap_future(self.ready), self.startup_seconds)
        body = json.dumps(job).encode()
        started: concurrent.futures.Future[int] = concurrent.futures.Future()
        with self.lock:
            if not self.alive:
                raise ScriptCrashedError("the sandbox's fork server stopped")
            self.started[job["id"]] = started
            # Short blocking writes: the server reads every request as soon as it comes.
            socket.send_fds(self.sock, [len(body).to_bytes(8, "big")], fds)
            self.sock.sendall(body)
        return await asyncio.wait_for(asyncio.wrap_future(started), self.startup_seconds)

    async def exit_status(self, pid: int, timeout: float) -> int | None:
        """How job process ``pid`` ended (a negative number: killed by that signal)."""
        with self.lock:
            if pid in self.recent:
                return self.recent.pop(pid)
            future = self.exits.setdefault(pid, concurrent.futures.Future())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except (TimeoutError, ScriptCrashedError):
            return None
        finally:
            with self.lock:
                self.exits.pop(pid, None)

    def kill(self, pid: int) -> None:
        """Kill job ``pid``'s process group (the server's pids are those of its namespace)."""
        if self.mode == "process":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            return
        body = json.dumps({"kill": pid}).encode()
        with self.lock, contextlib.suppress(OSError):
            if self.alive:
                self.sock.sendall(len(body).to_bytes(8, "big") + body)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


_SERVERS: dict[str, _ForkServer] = {}
"""One fork server per sandbox mode, shared by every sandbox of this process."""
_SERVER_LOCK = threading.Lock()


_PROTECTED: list[str] = []
_REMOTE: list[Callable[[dict[str, Any]], dict[str, Any]]] = []


def use_remote(invoke: Callable[[dict[str, Any]], dict[str, Any]] | None) -> None:
    """Send every job of this process to ``invoke`` instead of a local fork server (None:
    local again). On AWS the node runner and the API hand user code to the code-runner
    Lambda this way (``functions/code_runner``): ``invoke`` gets the job (JSON) and
    returns what :func:`serve_job` answered there. It blocks; it runs in a thread.
    Remote jobs cannot be cancelled midway and stream no events."""
    _REMOTE.clear()
    if invoke is not None:
        _REMOTE.append(invoke)


async def serve_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run a job sent by :func:`use_remote`'s caller here, in this process's sandbox
    (``ORCHEO_SANDBOX``); the answer is the job's last message (``result``, ``error`` or
    ``violation``), never an exception for the job's own failures."""
    limits = SandboxLimits(**job.pop("sandbox_limits"))
    sandbox = ScriptSandbox(check=False, audit=job.get("audit", True) is not False)
    try:
        outcome = await sandbox._job(job, limits, None, None, local=True)
    except OrcheoError as exc:
        return {"type": "error", "error": exc.to_dict()}
    return {"type": "result", **outcome}


def protect(path: str | os.PathLike[str]) -> None:
    """Keep ``path`` (the server's data directory) out of every job, even should it lie
    inside a directory jobs see (a virtualenv, say): masked with an empty tmpfs. Takes
    effect for fork servers started afterwards."""
    if os.fspath(path) not in _PROTECTED:
        _PROTECTED.append(os.fspath(path))


def _bwrap_paths() -> dict[str, list[str]]:
    """What the bubblewrapped server must see (besides the runtime), and must not."""
    code = [_PACKAGE_DIR]
    if os.path.isdir(os.path.join(_PACKAGE_PARENT, "langgraph")):  # noqa: PTH112, PTH118
        code = [_PACKAGE_PARENT]  # dependencies installed beside the package (a Lambda)
    home = os.environ.get("ORCHEO_HOME") or os.path.expanduser("~/.orcheo")  # noqa: PTH111
    return {"code_roots": code, "hide": [home, *_PROTECTED]}


def _fork_server(startup_seconds: float, mode: _boundary.SandboxMode) -> _ForkServer:
    with _SERVER_LOCK:
        server = _SERVERS.get(mode)
        if server is None or not server.alive or server.proc.poll() is not None:
            if server is not None:
                server.stop()
            server = _SERVERS[mode] = _ForkServer(startup_seconds, mode)
        return server


def _forget_server() -> None:
    _SERVERS.clear()  # a forked copy of this process must start servers of its own


os.register_at_fork(after_in_child=_forget_server)


def prestart() -> None:
    """Start the fork server now (importing LangGraph takes ~1 s) rather than at the
    first job."""
    _fork_server(RUN_LIMITS.startup_seconds, _boundary.mode_from_env())


def _protocol_for(reader: asyncio.StreamReader) -> Callable[[], asyncio.StreamReaderProtocol]:
    return lambda: asyncio.StreamReaderProtocol(reader)


class _Worker:
    """One job's process: its pid (and process group), its pipes and its directory."""

    def __init__(
        self, server: _ForkServer, pid: int, workdir: str | None, limits: SandboxLimits
    ) -> None:
        self.server = server
        self.pid = pid
        self.workdir = workdir
        self.stderr = bytearray()
        self.stderr_limit = limits.output_bytes
        self.reply = asyncio.StreamReader(limit=limits.message_bytes + 1024)
        self.errors = asyncio.StreamReader()
        self.transports: list[asyncio.BaseTransport] = []
        self.drain: asyncio.Future[None] | None = None
        self.killed = False

    @classmethod
    async def start(
        cls, job: dict[str, Any], limits: SandboxLimits, mode: _boundary.SandboxMode
    ) -> _Worker:
        server = _fork_server(limits.startup_seconds, mode)
        # With namespaces the job has a private tmpfs of its own; else a directory here.
        workdir = tempfile.mkdtemp(prefix="orcheo-script-") if mode == "process" else None
        reply_r, reply_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            job = {**job, "id": uuid.uuid4().hex, "workdir": workdir or _boundary.JOB_TMP}
            pid = await server.fork(job, [reply_w, err_w])
        except BaseException:
            for fd in (reply_r, err_r):
                os.close(fd)
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            os.close(reply_w)
            os.close(err_w)
        worker = cls(server, pid, workdir, limits)
        loop = asyncio.get_running_loop()
        for fd, reader in ((reply_r, worker.reply), (err_r, worker.errors)):
            pipe = os.fdopen(fd, "rb", buffering=0)
            transport, _ = await loop.connect_read_pipe(_protocol_for(reader), pipe)
            worker.transports.append(transport)
        worker.drain = asyncio.ensure_future(worker._drain())
        return worker

    async def _drain(self) -> None:
        while chunk := await self.errors.read(65536):
            room = self.stderr_limit - len(self.stderr)
            if room > 0:
                self.stderr += chunk[:room]

    async def read(self) -> dict[str, Any] | None:
        try:
            line = await self.reply.readline()
        except ValueError:  # a line over the StreamReader limit
            raise ScriptCrashedError(
                "the script sent a message larger than the sandbox allows; keep large "
                "data out of the state"
            ) from None
        if not line:
            return None
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            raise ScriptCrashedError("the sandbox worker sent a malformed message") from None
        return message if isinstance(message, dict) else None

    async def exit_status(self) -> int | None:
        return await self.server.exit_status(self.pid, 2.0)

    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            self.server.kill(self.pid)

    async def close(self) -> None:
        self.kill()
        if self.drain is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self.drain), 1.0)
        for transport in self.transports:
            transport.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


class ScriptSandbox:
    """Runs LangGraph scripts out of this process.

    Example::

        sandbox = ScriptSandbox()
        shape = await sandbox.extract(source)            # ScriptGraph
        run = await sandbox.run(source, {"name": "Ada"})  # ScriptRun

    Every job runs in a process of its own, forked from a server process that imported
    LangGraph once (shared by every sandbox of this process; :func:`prestart` starts it
    ahead of the first job). ``extract_limits``/``run_limits`` are the limits used when
    a call names none; ``check=False`` skips the static check (to test the runtime
    layers on their own), ``audit=False`` the in-process layers too (restricted builtins,
    the audit hook: to test the OS boundary on its own). ``mode`` is the OS boundary:
    ``namespaces`` (bubblewrap, then namespaces of its own per job: see
    :mod:`orcheo_core.sandbox._boundary`) or ``process`` (weaker); by default
    ``ORCHEO_SANDBOX``, else ``namespaces``.
    """

    def __init__(
        self,
        *,
        check: bool = True,
        extract_limits: SandboxLimits = EXTRACT_LIMITS,
        run_limits: SandboxLimits = RUN_LIMITS,
        mode: _boundary.SandboxMode | None = None,
        audit: bool = True,
    ) -> None:
        self.mode = mode or _boundary.mode_from_env()
        self._audit = audit
        self.extract_limits = extract_limits
        self.run_limits = run_limits
        self._check = check
        self._cancels: dict[str, asyncio.Event] = {}

    async def close(self) -> None:
        """Nothing to release: running jobs end by themselves, by cancel() or by a limit."""

    # -- jobs

    def _static_check(self, source: str, limits: SandboxLimits) -> None:
        # check=False (tests of the runtime layers) still refuses an oversized script
        from orcheo_core.graph.script import check_script  # it imports this package

        size = len(source.encode("utf-8", errors="surrogatepass"))
        if self._check or size > limits.source_bytes:
            check_script(source, max_bytes=limits.source_bytes)

    async def extract(self, source: str, *, limits: SandboxLimits | None = None) -> ScriptGraph:
        """Check ``source``, load it in a worker and describe its graph.

        Raises ScriptError (with line, column and hint) for a script that cannot become a
        workflow, or a SandboxError when loading it broke a limit or a rule.
        """
        limits = limits or self.extract_limits
        self._static_check(source, limits)
        outcome = await self._job({"mode": "extract", "source": source}, limits, None, None)
        return ScriptGraph.from_dict(outcome["graph"])

    async def run(
        self,
        source: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        limits: SandboxLimits | None = None,
    ) -> ScriptRun:
        """Run the script's graph with ``inputs`` in a worker. Never raises for a failing
        script: see ``status`` and ``error``.

        ``on_event`` receives the run's events as the local engine emits them:
        ``run.started``, ``node.started`` (``input``), ``node.succeeded`` (``output``,
        ``duration``) / ``node.failed`` (``error``), and ``run.succeeded`` (``state``) /
        ``run.failed`` / ``run.cancelled`` (``error``). :meth:`cancel` stops the run and
        kills its worker.
        """
        from orcheo_core.engine.events import RunEvent

        run_id = run_id or uuid.uuid4().hex
        limits = limits or self.run_limits
        seq = 0

        def emit(kind: str, node: str | None = None, data: dict[str, Any] | None = None) -> None:
            nonlocal seq
            seq += 1
            event = RunEvent(seq, run_id, kind, node, 1 if node else None, data or {})
            if on_event is not None:
                on_event(event)

        emit("run.started", data={"inputs": dict(inputs or {})})
        started = time.perf_counter()
        cancel = self._cancels.setdefault(run_id, asyncio.Event())
        stdout = ""
        try:
            self._static_check(source, limits)
            job = {"mode": "run", "source": source, "inputs": dict(inputs or {}), "run_id": run_id}
            outcome = await self._job(job, limits, emit, cancel.is_set)
            stdout = str(outcome.get("stdout") or "")
        except CancelledRunError as exc:
            return self._end(emit, run_id, "cancelled", None, exc, started, stdout)
        except OrcheoError as exc:
            stdout = str(exc.details.pop("stdout", "") or "")
            return self._end(emit, run_id, "failed", None, exc, started, stdout)
        finally:
            self._cancels.pop(run_id, None)
        state = dict(outcome.get("state") or {})
        return self._end(emit, run_id, "succeeded", state, None, started, stdout)

    @staticmethod
    def _end(
        emit: Callable[..., None],
        run_id: str,
        status: Literal["succeeded", "failed", "cancelled"],
        state: dict[str, Any] | None,
        error: OrcheoError | None,
        started: float,
        stdout: str,
    ) -> ScriptRun:
        duration = time.perf_counter() - started
        if error is None:
            emit("run.succeeded", data={"state": state, "duration": duration})
            return ScriptRun(run_id, status, state, None, stdout, duration)
        emit(f"run.{status}", data={"error": error.to_dict(), "duration": duration})
        return ScriptRun(run_id, status, None, error.to_dict(), stdout, duration)

    async def compile_machine(
        self,
        source: str,
        options: Mapping[str, Any] | None = None,
        *,
        limits: SandboxLimits | None = None,
    ) -> dict[str, Any]:
        """Load the script in a worker and compile its graph to a Step Functions state
        machine: ``{"definition", "type"}`` (see :func:`orcheo_core.compile.compile_state_machine`).

        ``options`` are the fields of :class:`~orcheo_core.compile.CompileOptions`, as
        JSON. Raises like :meth:`extract`, and a CompileError for a graph that cannot be
        compiled.
        """
        limits = limits or self.extract_limits
        self._static_check(source, limits)
        job = {"mode": "compile", "source": source, "options": dict(options or {})}
        outcome = await self._job(job, limits, None, None)
        return dict(outcome["machine"])

    async def run_task(
        self,
        source: str,
        event: Mapping[str, Any],
        *,
        store: StateStore,
        run_id: str,
        limits: SandboxLimits | None = None,
    ) -> ScriptTask:
        """Carry out one Task of the script's state machine in a worker. Never raises for
        a failing Task: see :attr:`ScriptTask.error`.

        ``event`` is the Task's input (docs/compiler.md); state it carries by reference is
        read from ``store`` here and sent to the worker inline, and state the Task puts by
        reference is written to ``store`` after it (the worker has no network). The node
        runs with the run limits and the worker's audit layers, like a whole script run;
        it has no credentials and no sub-workflows by id.
        """
        from orcheo_core.engine.events import RunEvent

        limits = limits or self.run_limits
        try:
            self._static_check(source, limits)
            job = {
                "mode": "task",
                "source": source,
                "event": _inline_refs(dict(event), store),
                "run_id": run_id,
            }
            outcome = await self._job(job, limits, None, None)
        except OrcheoError as exc:
            exc.details.pop("stdout", None)
            return ScriptTask(None, (type(exc).__name__, exc.to_dict()), _failed(event, exc))
        events = [RunEvent(**item) for item in outcome.get("events") or []]
        failure = outcome.get("task_error")
        if failure is not None:
            return ScriptTask(None, (str(failure["name"]), dict(failure["cause"])), events)
        output = _store_refs(outcome["output"], outcome.get("stored") or {}, store)
        return ScriptTask(dict(output), None, events)

    async def run_code(
        self,
        language: Literal["python", "javascript"],
        code: str,
        state: Any,
        *,
        limits: SandboxLimits,
        cancelled: Callable[[], bool] | None = None,
    ) -> CodeRun:
        """Run a code node's ``main(state)`` (``state``: JSON values) in a job of its own.

        This is the one entry point for user code that is not a LangGraph script (the
        Python Code and JavaScript Code nodes): the same fork server, OS boundary and
        limits. ``limits.memory_mb`` is what the code may use on top of the runtime;
        ``limits.wall_seconds`` is the node's timeout. Raises ScriptTimeoutError
        (``details["limit"]``: ``wall``/``cpu``), ScriptMemoryError, ScriptCrashedError
        (``exit_code``), SandboxUnavailableError, or CancelledRunError when
        ``cancelled()`` turns true; the code's own failures are in the outcome.
        """
        job = {
            "mode": "code",
            "language": language,
            "code": code,
            "state": state,
            "timeout": limits.wall_seconds,
        }
        outcome = await self._job(job, limits, None, cancelled)
        return CodeRun(dict(outcome.get("outcome") or {}), str(outcome.get("stdout") or ""))

    def cancel(self, run_id: str) -> bool:
        """Stop a running script run (its worker is killed); True if it was running here."""
        event = self._cancels.get(run_id)
        if event is None:
            return False
        event.set()
        return True

    async def _job(
        self,
        job: dict[str, Any],
        limits: SandboxLimits,
        emit: Callable[..., None] | None,
        cancelled: Callable[[], bool] | None,
        *,
        local: bool = False,
    ) -> dict[str, Any]:
        job["limits"] = {**limits.job_fields(), "message_bytes": limits.message_bytes}
        job["audit"] = self._audit
        if _REMOTE and not local:
            job["sandbox_limits"] = dataclasses.asdict(limits)
            message = await asyncio.to_thread(_REMOTE[0], job)
            return self._answer(message, limits)
        worker = await _Worker.start(job, limits, self.mode)
        try:
            return await self._follow(worker, limits, emit, cancelled)
        finally:
            await worker.close()

    async def _follow(
        self,
        worker: _Worker,
        limits: SandboxLimits,
        emit: Callable[..., None] | None,
        cancelled: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.wall_seconds
        reader: asyncio.Task[dict[str, Any] | None] | None = None
        try:
            while True:
                if reader is None:
                    reader = asyncio.ensure_future(worker.read())
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise ScriptTimeoutError(
                        f"the script ran longer than {limits.wall_seconds:g}s of wall-clock "
                        "time and was stopped (look for an endless loop or a long wait)",
                        limit_seconds=limits.wall_seconds,
                        limit="wall",
                    )
                done, _ = await asyncio.wait({reader}, timeout=min(_POLL, remaining))
                if cancelled is not None and cancelled():
                    raise CancelledRunError("run was cancelled")
                if not done:
                    continue
                message, reader = reader.result(), None
                if message is None:
                    raise await self._ended(worker, limits)
                kind = message.get("type")
                if kind == "event" and emit is not None:
                    emit(str(message.get("event")), message.get("node"), message.get("data"))
                elif kind == "result":
                    return message
                elif kind == "violation":
                    raise SandboxViolationError(
                        f"refused: {message.get('message')}",
                        line=message.get("line"),
                        hint="scripts run without network, processes, files or interpreter "
                        "internals; keep to LangGraph and the allowed modules",
                    )
                elif kind == "error":
                    raise self._error(message, limits)
        finally:
            worker.kill()
            if reader is not None and not reader.done():
                reader.cancel()

    def _answer(self, message: dict[str, Any], limits: SandboxLimits) -> dict[str, Any]:
        """The outcome of a remote job from its last message, or the error it ended with."""
        kind = message.get("type")
        if kind == "result":
            return message
        if kind == "violation":
            raise SandboxViolationError(f"refused: {message.get('message')}")
        if kind == "error":
            raise self._error(message, limits)
        raise ScriptCrashedError(f"the code runner sent no answer: {message!r:.300}")

    @staticmethod
    def _error(message: dict[str, Any], limits: SandboxLimits) -> OrcheoError:
        data = message.get("error")
        if isinstance(data, dict) and data.get("code") == ScriptMemoryError.code:
            return _memory_error(limits)
        error = error_from_dict(data)
        if message.get("stdout"):
            error.details["stdout"] = message["stdout"]
        return error

    async def _ended(self, worker: _Worker, limits: SandboxLimits) -> OrcheoError:
        """The error for a worker that closed its channel without an answer."""
        code = await worker.exit_status()
        if worker.drain is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(worker.drain), 1.0)
        stderr = worker.stderr_text()
        if "MemoryError" in stderr or code == -signal.SIGSEGV and "Cannot allocate" in stderr:
            return _memory_error(limits)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return ScriptTimeoutError(
                f"the script used more than {limits.cpu_seconds}s of processor time and was "
                "stopped (look for an endless loop, or do less work per run)",
                limit_seconds=limits.cpu_seconds,
                limit="cpu",
            )
        detail = ""
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                detail = f" (killed by {signal.Signals(-code).name})"
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        last = f": {tail[0][:300]}" if tail else ""
        return ScriptCrashedError(
            f"the script's sandbox process exited with code {code}{detail} without an answer{last}",
            exit_code=code,
        )


def _failed(event: Mapping[str, Any], error: OrcheoError) -> list[RunEvent]:
    """The ``node.failed`` event of a Task whose worker broke a limit or a rule."""
    from orcheo_core.engine.events import RunEvent

    task = event.get("task")
    node = task.get("node") if isinstance(task, dict) else event.get("node")
    if node is None:
        return []
    run_id = str((event.get("payload") or {}).get("run", {}).get("run_id", ""))
    attempt = int(event.get("retry_count") or 0) + 1
    data = {"error": error.to_dict()}
    return [RunEvent(0, run_id, "node.failed", str(node), attempt, data)]


def _memory_error(limits: SandboxLimits) -> ScriptMemoryError:
    return ScriptMemoryError(
        f"the script used more than the {limits.memory_mb} MB of memory the sandbox allows "
        "and was stopped (work on less data at a time)",
        limit_mb=limits.memory_mb,
    )


async def extract_script(source: str, *, limits: SandboxLimits = EXTRACT_LIMITS) -> ScriptGraph:
    """:meth:`ScriptSandbox.extract` with the default settings."""
    sandbox = ScriptSandbox()
    return await sandbox.extract(source, limits=limits)


async def run_script(
    source: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    limits: SandboxLimits = RUN_LIMITS,
) -> ScriptRun:
    """:meth:`ScriptSandbox.run` with the default settings."""
    sandbox = ScriptSandbox()
    return await sandbox.run(source, inputs, run_id=run_id, on_event=on_event, limits=limits)
