"""Errors raised by orcheo_core.

Every error descends from :class:`OrcheoError` and carries a message a user can act
on: what went wrong, where, and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CancelledRunError",
    "CodeExecutionError",
    "ConfigError",
    "CredentialError",
    "DataError",
    "HttpRequestError",
    "InputError",
    "MaxStepsExceededError",
    "NodeExecutionError",
    "NodeTimeoutError",
    "OrcheoError",
    "Problem",
    "RunTimeoutError",
    "SpecValidationError",
    "TemplateError",
    "UnknownNodeTypeError",
]


class OrcheoError(Exception):
    """Root of every error Orcheo raises on purpose."""

    code = "orcheo_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The error as the JSON body the API and the CLI show."""
        return {"code": self.code, "message": self.message, "details": self.details}


@dataclass(frozen=True)
class Problem:
    """One problem found in a workflow spec, at an exact location."""

    loc: str
    message: str
    code: str = "invalid"
    severity: str = "error"
    hint: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"{self.loc}: {self.message}" if self.loc else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"loc": self.loc, "message": self.message, "code": self.code}
        out["severity"] = self.severity
        if self.hint:
            out["hint"] = self.hint
        return out


class SpecValidationError(OrcheoError):
    """A workflow spec has one or more errors; all of them are listed."""

    code = "invalid_spec"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(
            f"workflow spec has {len(problems)} {noun}:\n{lines}",
            problems=[p.to_dict() for p in problems],
        )


class UnknownNodeTypeError(OrcheoError):
    """A node type is not in the registry; the message names the closest known types."""

    code = "unknown_node_type"

    def __init__(self, node_type: str, suggestions: list[str], known: list[str]) -> None:
        hint = (
            f"did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else f"known types: {', '.join(known)}"
        )
        super().__init__(
            f"unknown node type {node_type!r}; {hint}",
            node_type=node_type,
            suggestions=suggestions,
        )
        self.node_type = node_type
        self.suggestions = suggestions


class ConfigError(OrcheoError):
    """A node's configuration is invalid once its templates are rendered."""

    code = "invalid_config"


class TemplateError(OrcheoError):
    """A template in a node's configuration failed to parse or render."""

    code = "template_error"


class InputError(OrcheoError):
    """The inputs given to a run do not fit the workflow."""

    code = "invalid_input"


class CredentialError(OrcheoError):
    """A credential could not be resolved for a node."""

    code = "credential_error"


class NodeExecutionError(OrcheoError):
    """A node failed; the message names the node and the cause."""

    code = "node_failed"

    def __init__(self, node: str, cause: str, *, error_type: str = "Error", attempt: int = 1):
        super().__init__(
            f"node {node!r} failed: {cause}", node=node, error_type=error_type, attempt=attempt
        )
        self.node = node
        self.cause = cause
        self.error_type = error_type
        self.attempt = attempt


class NodeTimeoutError(NodeExecutionError):
    """A node ran longer than its timeout."""

    code = "node_timeout"

    def __init__(self, node: str, timeout: float, *, attempt: int = 1) -> None:
        super().__init__(
            node,
            f"timed out after {timeout:g}s (raise the node's `timeout` if it needs longer)",
            error_type="NodeTimeoutError",
            attempt=attempt,
        )
        self.timeout = timeout


class RunTimeoutError(OrcheoError):
    """The whole run exceeded `settings.run_timeout`."""

    code = "run_timeout"


class MaxStepsExceededError(OrcheoError):
    """The run took more steps than `settings.max_steps` (usually a loop with no exit)."""

    code = "max_steps_exceeded"


class CancelledRunError(OrcheoError):
    """The run was cancelled."""

    code = "cancelled"


class DataError(OrcheoError):
    """A node's input data does not have the shape the node needs (wrong type, bad value)."""

    code = "data_error"


class HttpRequestError(OrcheoError):
    """An HTTP call failed: no connection, a timeout, or an error status."""

    code = "http_error"


class CodeExecutionError(OrcheoError):
    """User code (a Python Code node) raised, timed out, ran out of memory or crashed."""

    code = "code_failed"
