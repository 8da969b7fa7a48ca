"""Job side of the code nodes: run ``main(state)`` in Python or in a V8 isolate.

Runs in a sandbox job process (:mod:`orcheo_core.sandbox._worker`, mode ``code``), after
the OS boundary is in place. Answers an *outcome*: ``{"ok": True, "result_json"}`` or
``{"ok": False, "kind", "message", ...}`` with ``kind`` one of ``syntax`` (``line``,
``column``), ``no_main``, ``exception`` (``type``, ``line``), ``memory``, ``timeout``
and ``result`` (not JSON).
"""

from __future__ import annotations

import json
import re
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

FILENAME = "<code>"
_JS_LINE = re.compile(r"<anonymous>:(\d+)(?::(\d+))?")


def _user_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    return line


def run_python(code: str, state: Any) -> dict[str, Any]:
    """Execute ``code`` as a module and call its ``main(state)``."""
    try:
        compiled = compile(code, FILENAME, "exec", dont_inherit=True)
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
        return {
            "ok": False,
            "kind": "exception",
            "type": type(exc).__name__,
            "message": str(exc),
            "line": _user_line(exc),
        }
    namespace.clear()
    try:
        return {"ok": True, "result_json": json.dumps(result)}
    except MemoryError:
        return {"ok": False, "kind": "memory", "message": "out of memory"}
    except (TypeError, ValueError) as exc:
        return {"ok": False, "kind": "result", "message": str(exc)}


_JS_PRELUDE = """
var __printed = [];
var console = {};
console.log = console.info = console.warn = console.error = console.debug = function () {
  __printed.push(Array.prototype.map.call(arguments, function (a) {
    return typeof a === "string" ? a : JSON.stringify(a);
  }).join(" "));
};
"""


def run_javascript(
    code: str,
    state: Any,
    *,
    timeout: float,
    memory_bytes: int,
    started: Callable[[], None] | None = None,
) -> tuple[dict[str, Any], str]:
    """Evaluate ``code`` in a fresh V8 isolate (mini-racer) and call its ``main(state)``.

    The isolate has ECMAScript only: no ``fetch``, ``require``, timers, files or network
    (and the job around it has none either). ``timeout`` bounds the whole evaluation,
    ``memory_bytes`` the isolate's heap; ``started`` is called once V8 is up (to set
    limits that V8's own start would break). Returns the outcome and what
    ``console.log`` printed.
    """
    from py_mini_racer import (
        JSEvalException,
        JSOOMException,
        JSParseException,
        JSTimeoutException,
        MiniRacer,
    )

    began = time.monotonic()

    def left() -> float:
        return max(0.05, timeout - (time.monotonic() - began))

    ctx = MiniRacer()
    ctx.set_hard_memory_limit(memory_bytes)
    if started is not None:
        started()
    printed = ""
    try:
        ctx.eval(_JS_PRELUDE)
        ctx.eval(code, timeout_sec=left(), max_memory=memory_bytes)
        if ctx.eval("typeof main") != "function":
            return {"ok": False, "kind": "no_main", "message": "the code defines no main"}, ""
        call = f"JSON.stringify(main({json.dumps(state)}))"
        try:
            result = ctx.eval(call, timeout_sec=left(), max_memory=memory_bytes)
        finally:
            printed = str(ctx.eval("__printed.join('\\n')") or "")
            if printed:
                printed += "\n"
    except JSOOMException:
        return {"ok": False, "kind": "memory", "message": "out of memory"}, printed
    except JSTimeoutException:
        return {"ok": False, "kind": "timeout", "message": "timed out"}, printed
    except JSParseException as exc:
        line, column = _js_position(str(exc))
        message = _js_message(str(exc))
        return {
            "ok": False,
            "kind": "syntax",
            "message": message,
            "line": line,
            "column": column,
        }, printed
    except JSEvalException as exc:
        line, _ = _js_position(str(exc))
        message = _js_message(str(exc))
        error_type, _, text = message.partition(": ")
        return {
            "ok": False,
            "kind": "exception",
            "type": error_type if text else "Error",
            "message": text or message,
            "line": line,
        }, printed
    finally:
        ctx.close()
    if not isinstance(result, str):  # undefined, a function...
        return {"ok": True, "result_json": "null"}, printed
    return {"ok": True, "result_json": result}, printed


def _js_position(text: str) -> tuple[int | None, int | None]:
    found = _JS_LINE.search(text)
    if not found:
        return None, None
    return int(found.group(1)), int(found.group(2)) if found.group(2) else None


def _js_message(text: str) -> str:
    """The error line of a V8 report (``Uncaught TypeError: ...``), without the stack."""
    for line in text.splitlines():
        line = _JS_LINE.sub("", line).lstrip(": ").strip()
        if line.startswith("Uncaught "):
            return line[len("Uncaught ") :]
        if re.match(r"^[A-Za-z]*Error\b", line):
            return line
    return text.strip().splitlines()[0] if text.strip() else "error"
