"""The in-process layers of the sandbox, set up by a worker just before it runs user code.

Standard library only and no orcheo imports (the fork server imports it before the
job's code is in). The static check (``orcheo_core.graph.script``) reads its lists, so
both refuse the same things.

- :func:`apply_limits`: resource limits (memory, processor time, file size, open files,
  no core dumps).
- :func:`restricted_builtins`: the builtins user code sees: no ``open``/``eval``/``exec``/
  ``compile``/``input``/``breakpoint``/``globals``/``vars``, an ``__import__`` that honours
  the allow-list and hands out :class:`module proxies <ModuleProxy>`, and ``getattr`` &
  co. that refuse names starting with ``_``.
- :func:`install_audit_hook`: a ``sys.addaudithook`` hook refusing process creation,
  sockets, ctypes, files outside the allowed roots, frame and code introspection from
  user code, and the raising of limits.

Any refusal calls ``Policy.on_violation`` (which reports it and ends the process): a
script that catches the exception cannot carry on as if nothing happened.
"""

# os.path rather than pathlib throughout: pathlib would add ~10 ms (and `re`) to the start
# of every Python Code run, and the audit hook must stay cheap.
# ruff: noqa: PTH110, PTH118, PTH109
from __future__ import annotations

import builtins
import os
import resource
import sys
import threading
import types
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable

__all__ = [
    "BLOCKED_NAMES",
    "FRAME_ATTRIBUTES",
    "GETATTR_FUNCTIONS",
    "MODULE_ATTRIBUTES",
    "SAFE_DUNDER_ATTRIBUTES",
    "SAFE_DUNDER_NAMES",
    "SCRIPT_IMPORTS",
    "Policy",
    "SandboxRefusal",
    "apply_limits",
    "import_allowed",
    "install_audit_hook",
    "is_dunder",
    "read_roots",
    "restricted_builtins",
]

SCRIPT_IMPORTS: tuple[str, ...] = (
    "__future__",
    # the graph and its types
    "langgraph.*",
    "langchain_core.messages.*",
    "langchain_core.runnables.*",
    "typing",
    "typing_extensions",
    "pydantic.*",
    "dataclasses",
    "enum",
    "abc",
    # computing with data
    "operator",
    "functools",
    "itertools",
    "collections.*",
    "copy",
    "json.*",
    "math",
    "statistics",
    "decimal",
    "fractions",
    "numbers",
    "random",
    "heapq",
    "bisect",
    "re",
    "string",
    "textwrap",
    "difflib",
    "unicodedata",
    "datetime",
    "zoneinfo",
    "calendar",
    "time",
    "uuid",
    "hashlib",
    "base64",
    "html",
    "urllib.parse",
    "asyncio.*",
    "contextlib",
)
"""Modules a script may import; ``name.*`` also allows its submodules. A name part
starting with ``_`` is never allowed (private modules), except ``__future__``."""

SAFE_DUNDER_ATTRIBUTES = frozenset(
    {
        "__init__",
        "__post_init__",
        "__name__",
        "__qualname__",
        "__doc__",
        "__module__",
        "__annotations__",
        "__call__",
        "__enter__",
        "__exit__",
        "__aenter__",
        "__aexit__",
        "__iter__",
        "__next__",
        "__aiter__",
        "__anext__",
        "__len__",
        "__contains__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__str__",
        "__repr__",
        "__format__",
        "__bool__",
        "__hash__",
        "__eq__",
        "__ne__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__add__",
        "__sub__",
        "__mul__",
        "__truediv__",
        "__floordiv__",
        "__mod__",
        "__or__",
        "__and__",
    }
)
"""Double-underscore attributes a script may use (``super().__init__()``, ``f.__name__``);
every other one (``__class__``, ``__dict__``, ``__globals__``, ``__subclasses__``...) is
refused."""

SAFE_DUNDER_NAMES = frozenset(
    {
        "__name__",
        "__doc__",
        "__file__",
        "__annotations__",
        "__qualname__",
        "__module__",
        "__slots__",
        "__all__",
        "__version__",
    }
)
"""Double-underscore names a script may use (``if __name__ == "__main__":``)."""

FRAME_ATTRIBUTES = frozenset(
    {
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "cr_frame",
        "cr_code",
        "cr_await",
        "cr_origin",
        "ag_frame",
        "ag_code",
        "ag_await",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_code",
        "f_trace",
        "tb_frame",
        "tb_next",
        "co_code",
        "co_consts",
        "co_names",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "_getframe",
        "_current_frames",
        "_getframemodulename",
    }
)
"""Frame, code and traceback internals: the way out of restricted builtins."""

MODULE_ATTRIBUTES = frozenset(
    {
        "sys",
        "os",
        "builtins",
        "modules",
        "importlib",
        "inspect",
        "subprocess",
        "ctypes",
        "socket",
        "gc",
    }
)
"""Attributes that reach modules a script may not import (``typing.sys.modules``)."""

BLOCKED_NAMES: dict[str, str] = {
    "eval": "scripts cannot run code built at run time; write the code out in the script",
    "exec": "scripts cannot run code built at run time; write the code out in the script",
    "compile": "scripts cannot run code built at run time; write the code out in the script",
    "open": "scripts have no file system; pass data in through the inputs",
    "__import__": "use an import statement with a module from the allowed list",
    "globals": "read and write workflow data through the state, not module globals",
    "vars": "use the object's public attributes instead of its __dict__",
    "breakpoint": "scripts run unattended; use print() or the debug node to inspect values",
    "input": "scripts run unattended; pass values in through the inputs",
    "help": "scripts run unattended",
    "exit": "end a node by returning its update; raise an exception to fail the run",
    "quit": "end a node by returning its update; raise an exception to fail the run",
}
"""Builtins that are not available to user code, with what to do instead."""

GETATTR_FUNCTIONS = frozenset({"getattr", "setattr", "delattr", "hasattr"})
"""Builtins that take an attribute name: refused for names starting with ``_``."""

_DENIED_MODULES = frozenset(
    {
        "ctypes",
        "_ctypes",
        "cffi",
        "_cffi_backend",
        "multiprocessing",
        "_multiprocessing",
        "_posixshmem",
        "pty",
        "readline",
        "tkinter",
        "_tkinter",
        "_xxsubinterpreters",
        "_testcapi",
        "_testinternalcapi",
    }
)
"""Never loaded after the hook is in, whoever asks: native code or processes."""

_PROCESS_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.startfile",
        "subprocess.Popen",
        "pty.spawn",
        "signal.pthread_kill",
    }
)
_DENIED_EVENTS = frozenset(
    {
        "os.putenv",
        "os.unsetenv",
        "os.chdir",
        "os.symlink",
        "os.link",
        "os.add_dll_directory",
        "resource.setrlimit",
        "resource.prlimit",
        "sys.addaudithook",
        "sys.settrace",
        "sys.setprofile",
        "sys._current_frames",
        "sys._current_exceptions",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "builtins.input",
        "builtins.breakpoint",
        "pdb.Pdb",
        "pickle.find_class",
        "setopencode",
        "urllib.Request",
        "webbrowser.open",
        "ensurepip.bootstrap",
    }
)
_DENIED_PREFIXES = (
    "socket.",
    "ctypes.",
    "fcntl.",
    "sqlite3.",
    "http.client.",
    "ftplib.",
    "smtplib.",
    "imaplib.",
    "poplib.",
    "nntplib.",
    "telnetlib.",
    "syslog.",
    "winreg.",
    "msvcrt.",
    "_winapi.",
)
# Events libraries raise in normal work (dataclasses exec, typing reads its caller's
# frame, inspect reads __code__): refused only when user code itself raises them.
_USER_EVENTS = frozenset(
    {
        "exec",
        "compile",
        "code.__new__",
        "function.__new__",
        "marshal.load",
        "marshal.loads",
        "sys._getframe",
        "sys._getframemodulename",
        "object.__getattr__",
    }
)
_READ_PATH_EVENTS = frozenset(
    {
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.fwalk",
        "glob.glob",
        "glob.glob/2",
        "os.getxattr",
        "os.listxattr",
    }
)
_WRITE_PATH_EVENTS = frozenset(
    {
        "os.mkdir",
        "os.remove",
        "os.rmdir",
        "os.rename",
        "os.truncate",
        "os.utime",
        "os.chmod",
        "os.chown",
        "os.chflags",
        "os.setxattr",
        "os.removexattr",
        "os.lockf",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
        "shutil.chown",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# ctypes events the Python Code node's "ctypes" profile lets through (see Policy.ctypes).
_CTYPES_READ_ONLY = frozenset(
    {
        "ctypes.string_at",
        "ctypes.wstring_at",
        "ctypes.create_string_buffer",
        "ctypes.create_unicode_buffer",
        "ctypes.addressof",
        "ctypes.get_errno",
        "ctypes.set_errno",
    }
)


class SandboxRefusal(PermissionError):
    """Raised where user code did something the sandbox refuses (after it was reported)."""


def is_dunder(name: str) -> bool:
    """``__name__``-shaped: two underscores on each side."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def import_allowed(name: str, allowed: Iterable[str] | None) -> bool:
    """Whether module ``name`` matches the allow-list (None: every module is allowed)."""
    if allowed is None:
        return True
    if name == "__future__":
        return "__future__" in allowed
    if not name or any(part.startswith("_") or not part for part in name.split(".")):
        return False
    for pattern in allowed:
        if pattern.endswith(".*"):
            base = pattern[:-2]
            if name == base or name.startswith(base + "."):
                return True
        elif name == pattern:
            return True
    return False


class Policy:
    """What one sandboxed job may do.

    ``user_filenames``: the ``co_filename`` of user code (frames with it are "user
    frames"). ``allowed_imports``: the import allow-list, None for any module.
    ``read_roots``/``write_root``: where files may be read / written. ``ctypes``: let
    ``import ctypes`` and its read-only calls through (the Python Code node keeps them;
    ctypes reaches native memory, which no audit hook sees). ``on_violation`` reports a
    refusal and must end the process.
    """

    __slots__ = (
        "allowed_imports",
        "ctypes",
        "on_violation",
        "read_files",
        "read_roots",
        "subject",
        "user_filenames",
        "write_root",
    )

    def __init__(
        self,
        *,
        user_filenames: Collection[str],
        on_violation: Callable[[str], NoReturn],
        allowed_imports: Collection[str] | None = SCRIPT_IMPORTS,
        read_roots: Iterable[str] = (),
        read_files: Iterable[str] = (),
        write_root: str | None = None,
        ctypes: bool = False,
        subject: str = "scripts",
    ) -> None:
        self.user_filenames = frozenset(user_filenames)
        self.on_violation = on_violation
        self.allowed_imports = None if allowed_imports is None else tuple(allowed_imports)
        self.read_roots = tuple(_real(root) for root in read_roots)
        self.read_files = frozenset(_real(path) for path in read_files)
        self.write_root = _real(write_root) if write_root else None
        self.ctypes = ctypes
        self.subject = subject


def _real(path: str) -> str:
    return os.path.realpath(path)


def read_roots(extra: Iterable[str] = (), *, replace: dict[str, str] | None = None) -> list[str]:
    """Directories user code may read from: where this interpreter imports modules.

    Taken from ``sys.path`` (the standard library, the environment's site-packages),
    with ``replace`` swapping an entry for a narrower one (an editable install's
    repository root -> its package directory), plus ``extra``.
    """
    replace = {_real(k): v for k, v in (replace or {}).items()}
    roots: list[str] = []
    for entry in sys.path:
        if not entry:
            continue
        real = _real(entry)
        real = replace.get(real, real)
        if os.path.exists(real) and real not in roots:
            roots.append(real)
    for path in extra:
        if path not in roots:
            roots.append(path)
    return roots


def apply_limits(
    *,
    memory_bytes: int,
    cpu_seconds: int,
    file_bytes: int,
    open_files: int,
    processes: int | None = None,
) -> None:
    """Set the resource limits of this process (soft = hard, so they cannot be raised back).

    The processor limit counts from now: it is added to the time already used (importing
    LangGraph is not the user's doing). SIGXCPU ends the process at the limit, SIGKILL a
    second later. ``processes`` sets RLIMIT_NPROC: only meaningful in a user namespace of
    the job's own, as a non-root uid (:mod:`orcheo_core.sandbox._boundary`); elsewhere
    Linux counts every thread of the server's user against it and ignores it for root.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + 0.5) + cpu_seconds  # whole seconds only
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


# --- the audit hook ---------------------------------------------------------------------


def _describe_process(event: str, args: tuple[Any, ...]) -> str:
    what = {
        "os.kill": "send a signal to another process",
        "os.killpg": "send a signal to a process group",
        "signal.pthread_kill": "send a signal to a thread",
    }.get(event, "start a process")
    shown = ""
    if event == "os.system" and args:
        shown = f" {_short(args[0])}"
    elif event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn") and len(args) > 1:
        shown = f" {_short(args[1])}"
    return f"{what}{shown} ({event})"


def _short(value: Any) -> str:
    # Never repr() or str() an argument: a user object's __repr__ would run inside the
    # hook, where the hook lets every event through (see _AuditHook.__call__).
    plain = _plain(value)
    if type(plain) in (list, tuple):
        plain = " ".join(os.fsdecode(p) for p in plain if type(p) in (str, bytes))
    text = os.fsdecode(plain) if type(plain) in (str, bytes) else "<object>"
    return repr(text[:120])


_NOT_PLAIN = object()


def _plain(value: Any) -> Any:
    """``value`` if its type is exactly a builtin the hook can inspect without running user
    code (an exact pathlib path becomes its string), else a sentinel."""
    kind = type(value)
    if kind in (str, bytes, int, type(None)):
        return value
    if kind in (list, tuple):
        return value if all(type(v) in (str, bytes) for v in value) else _NOT_PLAIN
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and kind in (pathlib.PosixPath, pathlib.PurePosixPath):
        return os.fspath(value)
    return _NOT_PLAIN


class _AuditHook:
    """The hook; its state is private to the closure that installs it."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.local = threading.local()
        handlers: dict[str, Callable[[str, tuple[Any, ...]], str | None]] = {
            "open": self.check_open,
            "import": self.check_import,
            "mmap.__new__": self.check_mmap,
            "object.__setattr__": self.check_setattr,
            "object.__delattr__": self.check_setattr,
        }
        for events, handler in (
            (_PROCESS_EVENTS, self.describe_process),
            (_DENIED_EVENTS, self.describe_denied),
            (_USER_EVENTS, self.check_user_event),
            (_READ_PATH_EVENTS, self.check_read),
            (_WRITE_PATH_EVENTS, self.check_write),
        ):
            handlers.update(dict.fromkeys(events, handler))
        self.handlers = handlers
        # the hook's own frames, skipped to find the frame whose action raised an event
        self.own_code = frozenset(
            f.__code__ for f in vars(_AuditHook).values() if isinstance(f, types.FunctionType)
        )

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        local = self.local
        if getattr(local, "busy", False):
            return  # an event raised by this hook's own work
        local.busy = True
        try:
            problem = self.check(event, args)
            if problem is not None:
                where = _user_line(sys._getframe(1), self.policy.user_filenames)
                prefix = f"line {where}: " if where else ""
                self.policy.on_violation(f"{prefix}{problem}")
        finally:
            local.busy = False

    def check(self, event: str, args: tuple[Any, ...]) -> str | None:
        handler = self.handlers.get(event)
        if handler is not None:
            return handler(event, args)
        if event.startswith("ctypes."):
            return None if self.ctypes_allowed(event, args) else self.describe_denied(event, args)
        if event.startswith(_DENIED_PREFIXES):
            return self.describe_denied(event, args)
        return None

    def from_user(self) -> bool:
        """Whether the frame whose action raised the current event is user code."""
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code in self.own_code:
            frame = frame.f_back
        return frame is not None and frame.f_code.co_filename in self.policy.user_filenames

    def ctypes_allowed(self, event: str, args: tuple[Any, ...]) -> bool:
        if not self.policy.ctypes:
            return False
        if event == "ctypes.dlopen":
            return bool(args) and args[0] is None  # the process itself, as `import ctypes` does
        return event in _CTYPES_READ_ONLY

    def describe_process(self, event: str, args: tuple[Any, ...]) -> str:
        return f"{self.policy.subject} may not {_describe_process(event, args)}"

    def describe_denied(self, event: str, args: tuple[Any, ...]) -> str:
        subject = self.policy.subject
        if event.startswith(("socket.", "http.client.", "urllib.", "ftplib.", "smtplib.")):
            return (
                f"{subject} have no network access ({event}); call HTTP APIs from a canvas "
                "workflow's http_request node and pass the data in through the inputs"
            )
        if event.startswith("ctypes."):
            return f"{subject} may not use ctypes ({event})"
        if event.startswith("resource."):
            return f"{subject} may not change their resource limits ({event})"
        if event.startswith(("sys.", "gc.", "pdb.")):
            return f"{subject} may not inspect the interpreter ({event})"
        if event.startswith("os.") and "env" in event:
            return f"{subject} may not change the environment ({event})"
        return f"{subject} may not do this: {event}"

    def check_user_event(self, event: str, args: tuple[Any, ...]) -> str | None:
        if not self.from_user():
            return None
        subject = self.policy.subject
        if event == "object.__getattr__":
            name = args[1] if len(args) > 1 else "?"
            return f"{subject} may not inspect frames or code objects (.{name})"
        if event in ("exec", "compile", "code.__new__", "function.__new__"):
            return f"{subject} may not run code built at run time ({event})"
        return f"{subject} may not inspect the interpreter ({event})"

    def check_setattr(self, event: str, args: tuple[Any, ...]) -> str | None:
        name = _plain(args[1]) if len(args) > 1 else ""
        if name is _NOT_PLAIN:
            return f"{self.policy.subject} may not set attributes with a computed name object"
        if type(name) is str and name.startswith("_") and self.from_user():
            return f"{self.policy.subject} may not change the internal attribute {name!r}"
        return None

    def check_mmap(self, event: str, args: tuple[Any, ...]) -> str | None:
        if args and args[0] != -1:
            return f"{self.policy.subject} may not map files into memory (mmap)"
        return None

    def check_import(self, event: str, args: tuple[Any, ...]) -> str | None:
        name = _plain(args[0]) if args else ""
        if type(name) is not str:
            return f"{self.policy.subject} may only import modules by their plain name"
        top = name.partition(".")[0]
        if top in _DENIED_MODULES and not (self.policy.ctypes and top in ("ctypes", "_ctypes")):
            return f"{self.policy.subject} may not import {name!r}"
        allowed = self.policy.allowed_imports
        if allowed is not None and not import_allowed(name, allowed) and self.from_user():
            return f"{self.policy.subject} may not import {name!r}"
        return None

    def check_open(self, event: str, args: tuple[Any, ...]) -> str | None:
        path = args[0] if args else None
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        writing = type(mode) is str and any(ch in mode for ch in "wax+")
        if type(flags) is int and flags & _WRITE_FLAGS:
            writing = True
        if type(path) is int:
            if path in (0, 1, 2):
                return None
            return f"{self.policy.subject} may not open file descriptor {path}"
        return self.check_path(path, write=writing, event=event)

    def check_read(self, event: str, args: tuple[Any, ...]) -> str | None:
        return self.check_path(args[0] if args else None, write=False, event=event)

    def check_write(self, event: str, args: tuple[Any, ...]) -> str | None:
        for path in args[:2] if event == "os.rename" else args[:1]:
            problem = self.check_path(path, write=True, event=event)
            if problem:
                return problem
        return None

    def check_path(self, path: Any, *, write: bool, event: str) -> str | None:
        path = _plain(path)
        if path is _NOT_PLAIN:
            return f"{self.policy.subject} may only use plain text paths ({event})"
        if path is None:
            path = "."
        if type(path) is int:
            return f"{self.policy.subject} may not use file descriptor {path} ({event})"
        try:
            text = os.fsdecode(path)
        except TypeError:
            return None  # not a path: the call fails by itself
        full = _real(os.path.join(os.getcwd(), text))
        policy = self.policy
        if policy.write_root and _within(full, policy.write_root):
            return None
        if not write and (full in policy.read_files or _within_any(full, policy.read_roots)):
            return None
        action = "write" if write else "read"
        return (
            f"{policy.subject} may not {action} {text!r} ({event}); they have no file "
            "system: pass data in through the inputs or the state"
        )


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _within_any(path: str, roots: Iterable[str]) -> bool:
    return any(_within(path, root) for root in roots)


def _user_line(frame: types.FrameType | None, filenames: Collection[str]) -> int | None:
    while frame is not None:
        if frame.f_code.co_filename in filenames:
            return frame.f_lineno
        frame = frame.f_back
    return None


def install_audit_hook(policy: Policy) -> None:
    """Install the hook for the rest of this process's life (audit hooks cannot be removed)."""
    sys.addaudithook(_AuditHook(policy))


# --- restricted builtins and module proxies ----------------------------------------------


class ModuleProxy(types.ModuleType):
    """What user code gets for an import: the module's public names, nothing below them.

    Names starting with ``_`` and modules the script may not import (``typing.sys``) are
    refused when user code asks; for library code they are simply missing.
    """


def _caller_is_user(policy: Policy, depth: int) -> bool:
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_filename in policy.user_filenames


def _module_proxies(
    policy: Policy, overrides: dict[str, dict[str, Any]]
) -> Callable[[types.ModuleType], ModuleProxy]:
    real_of: dict[int, types.ModuleType] = {}
    cache: dict[str, ModuleProxy] = {}
    allowed = policy.allowed_imports
    readable = frozenset({"__all__", "__doc__", "__name__", "__file__"})

    def proxy_for(module: types.ModuleType) -> ModuleProxy:
        name = module.__name__
        proxy = cache.get(name)
        if proxy is None:
            proxy = _Proxy(name, module.__doc__)
            proxy.__dict__.update(overrides.get(name, {}))
            real_of[id(proxy)] = module
            cache[name] = proxy
        return proxy

    def get(self: ModuleProxy, attr: str) -> Any:
        real = real_of[id(self)]
        if attr.startswith("_") and attr not in readable:
            if _caller_is_user(policy, 1):
                policy.on_violation(
                    f"{policy.subject} may not use the private name {real.__name__}.{attr}"
                )
            raise AttributeError(attr)
        value = getattr(real, attr)
        if isinstance(value, types.ModuleType):
            if not import_allowed(value.__name__, allowed):
                if _caller_is_user(policy, 1):
                    policy.on_violation(
                        f"{policy.subject} may not reach module {value.__name__!r} "
                        f"through {real.__name__}.{attr}"
                    )
                raise AttributeError(attr)
            return proxy_for(value)
        return value

    _Proxy = type("ModuleProxy", (ModuleProxy,), {"__getattr__": get, "__slots__": ()})
    return proxy_for


def _refuser(name: str, hint: str, policy: Policy) -> Callable[..., NoReturn]:
    def refused(*args: Any, **kwargs: Any) -> NoReturn:
        policy.on_violation(f"{name}() is not available to {policy.subject}: {hint}")

    refused.__name__ = name
    return refused


def _guard_name(name: Any, function: str, policy: Policy) -> None:
    if not isinstance(name, str):
        return  # the real function refuses it
    name = str.__str__(name)  # a str subclass must not answer for itself
    if name.startswith("_"):
        policy.on_violation(
            f"{function}() with the private name {name!r} is not available to "
            f"{policy.subject}; only public attributes can be reached"
        )
    if name in FRAME_ATTRIBUTES or name in MODULE_ATTRIBUTES:
        policy.on_violation(
            f"{function}() with the name {name!r} is not available to {policy.subject}: "
            "frames, code objects and interpreter modules cannot be reached"
        )


def _guarded_attribute_functions(policy: Policy) -> dict[str, Any]:
    real_getattr, real_setattr = builtins.getattr, builtins.setattr
    real_delattr, real_hasattr = builtins.delattr, builtins.hasattr

    def getattr(obj: Any, name: str, *default: Any) -> Any:
        _guard_name(name, "getattr", policy)
        return real_getattr(obj, name, *default)

    def setattr(obj: Any, name: str, value: Any) -> None:
        _guard_name(name, "setattr", policy)
        real_setattr(obj, name, value)

    def delattr(obj: Any, name: str) -> None:
        _guard_name(name, "delattr", policy)
        real_delattr(obj, name)

    def hasattr(obj: Any, name: str) -> bool:
        _guard_name(name, "hasattr", policy)
        return real_hasattr(obj, name)

    return {"getattr": getattr, "setattr": setattr, "delattr": delattr, "hasattr": hasattr}


def _operator_overrides(policy: Policy) -> dict[str, Any]:
    import operator

    def check(names: Iterable[Any], function: str) -> None:
        for name in names:
            for part in str(name).split("."):
                _guard_name(part, function, policy)

    def attrgetter(*names: str) -> Any:
        check(names, "attrgetter")
        return operator.attrgetter(*names)

    def methodcaller(name: str, /, *args: Any, **kwargs: Any) -> Any:
        check([name], "methodcaller")
        return operator.methodcaller(name, *args, **kwargs)

    return {"attrgetter": attrgetter, "methodcaller": methodcaller}


def restricted_builtins(policy: Policy) -> dict[str, Any]:
    """The ``__builtins__`` of user code under ``policy``."""
    namespace = dict(builtins.__dict__)
    for name in ("copyright", "credits", "license", "__loader__", "__spec__"):
        namespace.pop(name, None)
    for name, hint in BLOCKED_NAMES.items():
        namespace[name] = _refuser(name, hint, policy)
    namespace.update(_guarded_attribute_functions(policy))
    namespace["__import__"] = _guarded_import(policy)
    return namespace


def _guarded_import(policy: Policy) -> Callable[..., Any]:
    real_import = builtins.__import__
    allowed = policy.allowed_imports
    proxy: Callable[[types.ModuleType], ModuleProxy] | None = None
    if allowed is not None:
        proxy = _module_proxies(policy, {"operator": _operator_overrides(policy)})

    def __import__(
        name: str,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        if level:
            policy.on_violation(
                f"{policy.subject} may not use relative imports (from . import ...): "
                "a script is a single file"
            )
        if not import_allowed(name, allowed):
            shown = ", ".join(p.removesuffix(".*") for p in allowed or ())
            policy.on_violation(
                f"{policy.subject} may not import {name!r}; imports are limited to: {shown}"
            )
        module = real_import(name, globals, locals, fromlist, level)
        return module if proxy is None else proxy(module)

    return __import__
