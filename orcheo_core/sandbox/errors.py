"""Errors of script validation and of the sandbox that runs user code.

They live here rather than in ``orcheo_core.errors``: only script ingestion, the
sandbox and whoever calls them (the service) meet them. Every one carries a message a
user can act on, and ``details`` the API can show next to it.
"""

from __future__ import annotations

from typing import Any

from orcheo_core.errors import OrcheoError

__all__ = [
    "SandboxError",
    "SandboxUnavailableError",
    "SandboxViolationError",
    "ScriptCrashedError",
    "ScriptError",
    "ScriptMemoryError",
    "ScriptTimeoutError",
    "error_from_dict",
]


class ScriptError(OrcheoError):
    """A script cannot become a workflow: too large, a syntax error, a refused construct,
    an exception while loading, or no graph to run.

    ``details`` always has ``line`` and ``column`` (1-based; None when the problem has no
    place in the source), ``hint`` (how to fix it) and ``reason`` (a short machine-readable
    kind: ``size``, ``syntax``, ``import``, ``attribute``, ``name``, ``call``, ``load``,
    ``no_graph``).
    """

    code = "invalid_script"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        reason: str = "invalid",
        **details: Any,
    ) -> None:
        super().__init__(message, line=line, column=column, hint=hint, reason=reason, **details)
        self.line = line
        self.column = column
        self.hint = hint
        self.reason = reason


class SandboxError(OrcheoError):
    """Root of the errors that end a sandboxed job early (a limit, a refusal, a crash)."""

    code = "sandbox_error"


class SandboxViolationError(SandboxError):
    """The user's code tried something the sandbox refuses (a process, the network, a file
    outside its reach, frame introspection...). The worker was stopped at once."""

    code = "sandbox_violation"


class ScriptTimeoutError(SandboxError):
    """The user's code used up its processor time or its wall-clock time."""

    code = "script_timeout"


class ScriptMemoryError(SandboxError):
    """The user's code ran out of the memory the sandbox allows."""

    code = "script_memory"


class ScriptCrashedError(SandboxError):
    """The sandbox worker died without an answer (a native crash, an exit, a broken reply)."""

    code = "script_crashed"


class SandboxUnavailableError(SandboxError):
    """User code is refused: this machine cannot isolate it the way the settings ask
    (no bubblewrap, no user namespaces). The message names the setting that allows a
    weaker sandbox."""

    code = "sandbox_unavailable"


_BY_CODE: dict[str, type[OrcheoError]] = {
    cls.code: cls
    for cls in (
        SandboxViolationError,
        ScriptTimeoutError,
        ScriptMemoryError,
        ScriptCrashedError,
        SandboxUnavailableError,
    )
}


def error_from_dict(data: Any) -> OrcheoError:
    """Rebuild an error sent as ``OrcheoError.to_dict()`` (across the sandbox channel).

    The class is kept for the sandbox's own errors and for ScriptError; any other code
    comes back as an OrcheoError carrying that code, message and details.
    """
    if not isinstance(data, dict):
        return ScriptCrashedError(f"the sandbox sent a malformed error: {data!r:.200}")
    code = str(data.get("code") or OrcheoError.code)
    message = str(data.get("message") or code)
    raw = data.get("details")
    details: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    if code == ScriptError.code:
        return ScriptError(
            message,
            line=details.pop("line", None),
            column=details.pop("column", None),
            hint=details.pop("hint", None),
            reason=str(details.pop("reason", "invalid")),
            **details,
        )
    cls = _BY_CODE.get(code)
    if cls is not None:
        return cls(message, **details)
    error = OrcheoError(message, **details)
    error.code = code
    return error
