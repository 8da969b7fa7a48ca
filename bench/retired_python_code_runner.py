"""The RETIRED child side of the Python Code node (before 63a0627), kept only so that
``python -m bench sandbox`` can measure the old path beside the new one. Not used by Orcheo.

Runs as ``python -I -S retired_python_code_runner.py MEM_MB CPU_S``.

Standard library only and no orcheo imports: the child must start fast and must not
see the engine. Protocol: one JSON object on stdin (``code``, ``state``), one JSON
object on the original stdout (``ok`` + ``result``, or ``ok: false`` + ``kind`` and
``message``). Anything the user prints is captured and returned as ``stdout``.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import traceback
from typing import Any

FILENAME = "<code>"
MAX_PRINTED = 64 * 1024


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # SIGXCPU at the soft limit (reported as a CPU overrun), SIGKILL one second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _user_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    return line


def _execute(code: str, state: Any) -> dict[str, Any]:
    try:
        compiled = compile(code, FILENAME, "exec")
    except SyntaxError as exc:
        return {
            "ok": False,
            "kind": "syntax",
            "message": exc.msg,
            "line": exc.lineno,
            "column": exc.offset,
        }
    namespace: dict[str, Any] = {"__name__": "__orcheo_code__"}
    try:
        exec(compiled, namespace)
        main = namespace.get("main")
        if not callable(main):
            return {"ok": False, "kind": "no_main", "message": "the code defines no main"}
        result = main(state)
    except MemoryError:
        namespace.clear()
        return {"ok": False, "kind": "memory", "message": "out of memory"}
    except BaseException as exc:  # user code may raise anything, even SystemExit
        return _user_error(exc)
    namespace.clear()
    try:
        return {"ok": True, "result_json": json.dumps(result)}
    except MemoryError:
        return {"ok": False, "kind": "memory", "message": "out of memory"}
    except (TypeError, ValueError) as exc:
        return {"ok": False, "kind": "result", "message": str(exc)}


def _user_error(exc: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "kind": "exception",
        "type": type(exc).__name__,
        "message": str(exc),
        "line": _user_line(exc),
    }


def main() -> None:
    _limit(int(sys.argv[1]), int(sys.argv[2]))
    # Keep the protocol channel private: user prints (and C-level writes) go elsewhere.
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    request = json.load(sys.stdin)
    printed = io.StringIO()
    sys.stdout = printed
    outcome = _execute(request["code"], request["state"])
    sys.stdout = sys.__stdout__
    outcome["stdout"] = printed.getvalue()[:MAX_PRINTED]
    reply.write(json.dumps(outcome))
    reply.flush()


if __name__ == "__main__":
    main()
