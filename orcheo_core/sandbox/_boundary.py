"""The OS boundary under every user-code job: bubblewrap outside, namespaces per job.

Standard library only (the fork server imports it before anything else).

Two layers, both the kernel's:

- **The fork server runs inside bubblewrap** (``bwrap``): a mount namespace whose root
  holds only the Python runtime, the environment's packages and ``orcheo_core``, all
  read-only (no ``ORCHEO_HOME``, no repository state, no ``/etc``, no home directory),
  plus its own PID, network, IPC and UTS namespaces, and ``--die-with-parent``.
  Unprivileged it also gets its own user namespace. As root it keeps only
  CAP_SETUID/CAP_SETGID/CAP_KILL, to drop each job to ``nobody`` and kill it then
  (Linux exempts uid 0 from RLIMIT_NPROC, so a root job could fork without bound).
- **Each job gets namespaces of its own** (:func:`enter_job`, in the forked process):
  a new user namespace (mapped to one unprivileged uid), a PID namespace whose init is
  the job (when it ends the kernel kills everything it started, ``setsid`` or not), a
  network namespace with no interface up, IPC and UTS namespaces, and a mount namespace
  with a private size-limited ``/tmp`` and an empty ``/proc`` (the fork server's
  processes stay invisible). Then every capability is dropped, ``no_new_privs`` set, and
  a seccomp filter (:func:`syscall_filter`, built with libseccomp) makes the system calls
  a job never needs fail with EPERM: namespaces and mounts, ptrace and other processes'
  memory, kernel keys, BPF, perf, io_uring (which would bypass the filter), modules,
  clocks, reboot...

Where this is not possible the sandbox refuses to run user code, naming
``ORCHEO_SANDBOX=process`` (a weaker mode: separate processes, limits and the audit
hook, no namespaces), which the operator must choose explicitly.
"""

# ruff: noqa: PTH100, PTH110, PTH115, PTH112, PTH114, PTH118, PTH119, PTH120, PTH123
from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
from typing import TYPE_CHECKING, Literal, NoReturn

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "JOB_TMP",
    "JOB_UID",
    "SANDBOX_ENV",
    "SandboxMode",
    "DENIED_SYSCALLS",
    "bwrap_command",
    "enter_job",
    "memory_status",
    "mode_from_env",
    "syscall_filter",
    "unavailable_message",
]

SANDBOX_ENV = "ORCHEO_SANDBOX"
SandboxMode = Literal["namespaces", "process"]
JOB_UID = 1000
"""The uid (and gid) a job has inside its own user namespace: not root there either."""
JOB_TMP = "/tmp"  # noqa: S108 - a tmpfs private to the job, in its own mount namespace
_NOBODY = 65534

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
_CAP_VERSION_3 = 0x20080522


DENIED_SYSCALLS: tuple[str, ...] = (
    # a namespace, a mount or a root of its own would undo the boundary's layout
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    # other processes, and the kernel's view of them
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "perf_event_open", "bpf", "userfaultfd", "lookup_dcookie", "syslog",
    # io_uring carries out I/O the filter never sees
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key",
    "open_by_handle_at", "name_to_handle_at",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
    "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "vhangup", "uselib", "personality",
)  # fmt: skip
"""System calls a job never needs: they fail with EPERM (no job is killed for asking)."""
_NAMESPACE_FLAGS = (
    _CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC, _CLONE_NEWUSER, _CLONE_NEWPID,
    _CLONE_NEWNET, 0x02000000,  # CLONE_NEWCGROUP
)  # fmt: skip


def syscall_filter() -> object:
    """The job's seccomp filter (libseccomp, through pyseccomp), built but not loaded:
    the fork server builds it once, each job loads it (``.load()``) as it starts.

    Default allow; :data:`DENIED_SYSCALLS` fail with EPERM, and so does ``clone`` with a
    namespace flag; ``clone3`` fails with ENOSYS (its flags sit in memory a filter cannot
    read), so the C library falls back to ``clone``. Calls of another architecture's
    ABI (x86's int 0x80 on x86_64) kill the process. Raises OSError/RuntimeError where
    libseccomp is missing.
    """
    import errno

    import pyseccomp as seccomp  # type: ignore[import-untyped]

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    denied = seccomp.ERRNO(errno.EPERM)
    for name in DENIED_SYSCALLS:
        try:
            rules.add_rule(denied, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a call this architecture does not have (iopl on arm64)
    for flag in _NAMESPACE_FLAGS:
        rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules


def mode_from_env(environ: dict[str, str] | None = None) -> SandboxMode:
    """The sandbox mode the operator chose: ``ORCHEO_SANDBOX`` (default ``namespaces``)."""
    value = (os.environ if environ is None else environ).get(SANDBOX_ENV, "").strip().lower()
    if value in ("", "namespaces", "bwrap"):
        return "namespaces"
    if value == "process":
        return "process"
    raise ValueError(
        f"{SANDBOX_ENV}={value!r} is not a sandbox mode: use 'namespaces' (the default) or "
        "'process' (weaker: no namespaces)"
    )


def unavailable_message(reason: str) -> str:
    return (
        f"user code is refused: the sandbox cannot isolate it on this machine ({reason}). "
        "Install bubblewrap (Debian: apt-get install bubblewrap) and allow unprivileged "
        f"user namespaces, or set {SANDBOX_ENV}=process to accept a weaker sandbox "
        "(separate processes with limits, no namespaces)"
    )


def _mounts_for(paths: Iterable[str]) -> list[str]:
    """Read-only binds of ``paths``, without binding one inside another twice."""
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)})
    kept: list[str] = ["/usr"]  # bound by _system_dirs
    for path in real:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    args: list[str] = []
    made: set[str] = {"/"}
    for path in kept[1:]:
        # bwrap would make missing parents 0700 as root: the job (nobody) could not pass
        parents: list[str] = []
        parent = os.path.dirname(path)
        while parent not in made:
            parents.insert(0, parent)
            parent = os.path.dirname(parent)
        for directory in parents:
            args += ["--perms", "0755", "--dir", directory]
            made.add(directory)
        args += ["--ro-bind", path, path]
        made.add(path)
    return args


def _system_dirs() -> list[str]:
    """/usr read-only, and the merged-/usr links (or the real directories) beside it."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return args


def bwrap_command(
    argv: list[str], *, code_roots: Iterable[str], hide: Iterable[str] = ()
) -> list[str]:
    """``argv`` wrapped in bubblewrap: it sees ``code_roots`` (and /usr) read-only only.

    ``hide`` are directories masked with an empty tmpfs should they lie inside one of
    the roots (``ORCHEO_HOME`` inside a virtualenv, say). Raises FileNotFoundError when
    bwrap is not installed.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap (bubblewrap) is not installed")
    roots = [sys.base_prefix, sys.prefix, sys.exec_prefix, os.path.dirname(sys.executable)]
    roots += list(code_roots)
    args = [bwrap, "--die-with-parent", "--new-session"]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--hostname", "orcheo-sandbox"]
    if os.geteuid() == 0:
        # No user namespace of bwrap's own as root: it would map to uid 0, which the
        # kernel exempts from RLIMIT_NPROC. The server keeps only what it needs to make
        # each job `nobody` (and to kill it then); the job gets a user namespace of its own.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args += ["--cap-add", "CAP_KILL"]
    else:
        args += ["--unshare-user", "--cap-drop", "ALL"]
    args += _system_dirs()
    args += _mounts_for([*roots])
    for path in hide:
        real = os.path.realpath(path)
        if any(real.startswith(r.rstrip("/") + "/") or real == r for r in roots):
            args += ["--tmpfs", real]
    if os.path.exists("/etc/ld.so.cache"):  # how ctypes finds libseccomp
        args += ["--perms", "0755", "--dir", "/etc"]
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", "/"]
    return [*args, "--", *argv]


# --- the job side (runs in the fork server's child) --------------------------------------


class _Libc:
    def __init__(self) -> None:
        self.lib = ctypes.CDLL(None, use_errno=True)

    def call(self, what: str, result: int) -> None:
        if result != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"{what}: {os.strerror(errno)}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as file:
        file.write(text)


def _drop_capabilities(libc: _Libc) -> None:
    """No capability left, none to regain by exec: empty bounding set, no_new_privs."""
    for cap in range(64):
        if libc.lib.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    libc.call("capset", libc.lib.capset(ctypes.byref(header), ctypes.byref(data)))
    libc.call("no_new_privs", libc.lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))


def _propagate(status: int) -> NoReturn:
    """End this process the way the job process ended (a signal or an exit code)."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # no core dump of this copy of the fork server on the way
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        with_signal = -code
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(with_signal, signal.SIG_DFL)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), with_signal)
        os._exit(128 + with_signal)
    os._exit(code)


_STATUS_FD: int | None = None


def memory_status() -> dict[str, int]:
    """This process's ``Vm*`` figures from its /proc status, in bytes (``VmData``,
    ``VmSize``...), also inside a job whose /proc is hidden; empty if unreadable."""
    try:
        if _STATUS_FD is not None:
            text = os.pread(_STATUS_FD, 65536, 0).decode()
        else:
            with open("/proc/self/status", encoding="ascii") as status:
                text = status.read()
    except OSError:
        return {}
    found: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if name.startswith("Vm") and len(parts) == 2 and parts[1] == "kB":
            found[name] = int(parts[0]) * 1024
    return found


def enter_job(
    *, tmp_bytes: int, tmp_files: int, keep_fds: Iterable[int], syscalls: object = None
) -> None:
    """Move this (freshly forked) process into namespaces of its own; return in the job.

    This process becomes a waiter outside the job's PID namespace: it forks the job (PID
    1 there), closes its copies of ``keep_fds`` (the job's pipes), waits, and ends the
    way the job ended. Only the job returns from this call, in its own user, PID,
    network, IPC, UTS and mount namespaces, with a private tmpfs at ``/tmp``, an empty
    ``/proc``, no capabilities, ``no_new_privs`` and ``syscalls`` (from
    :func:`syscall_filter`) loaded. Raises OSError if a namespace cannot be made (the
    caller reports it; nothing ran yet).
    """
    libc = _Libc()
    if os.geteuid() == 0:  # root (bwrap without a user namespace): become nobody
        os.setgroups([])
        os.setresgid(_NOBODY, _NOBODY, _NOBODY)
        os.setresuid(_NOBODY, _NOBODY, _NOBODY)
        libc.call("dumpable", libc.lib.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0))  # own /proc/self
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET
    libc.call("unshare", libc.lib.unshare(flags | _CLONE_NEWIPC | _CLONE_NEWUTS))
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{JOB_UID} {uid} 1")
    _write("/proc/self/gid_map", f"{JOB_UID} {gid} 1")
    libc.call("private mounts", libc.lib.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None))
    pid = os.fork()
    if pid != 0:
        for fd in keep_fds:
            os.close(fd)
        os.closerange(0, 3)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        _propagate(status)
    # The job: PID 1 of its namespace. A group of its own, so that kill(0) cannot reach
    # the waiter outside; and it dies with the waiter (the parent kills the waiter's group).
    libc.call("pdeathsig", libc.lib.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))
    os.setsid()
    # It keeps its own status file open: /proc goes.
    global _STATUS_FD
    _STATUS_FD = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
    hidden = b"size=4k,nr_inodes=8,mode=0555"
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    libc.call("hide /proc", libc.lib.mount(b"tmpfs", b"/proc", b"tmpfs", flags, hidden))
    options = f"size={tmp_bytes},nr_inodes={tmp_files},mode=0700,uid={JOB_UID},gid={JOB_UID}"
    tmp = JOB_TMP.encode()
    mounted = libc.lib.mount(b"tmpfs", tmp, b"tmpfs", _MS_NOSUID | _MS_NODEV, options.encode())
    libc.call("private /tmp", mounted)
    libc.lib.sethostname(b"job", 3)
    libc.lib.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no core dumps, through a pipe or not
    _drop_capabilities(libc)
    if syscalls is not None:
        syscalls.load()  # type: ignore[attr-defined]
