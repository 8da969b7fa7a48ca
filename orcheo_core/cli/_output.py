"""How the command talks: rich tables for people, ``--json`` for scripts, exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from orcheo_core.errors import OrcheoError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EXIT_AUTH",
    "EXIT_CONFLICT",
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "cli_errors",
    "console",
    "emit_json",
    "fail",
    "stderr",
    "table",
]

EXIT_OK = 0
EXIT_FAILED = 1  # a run failed or was cancelled, a credential test did not pass
EXIT_USAGE = 2  # bad arguments (typer's own)
EXIT_INVALID = 3  # the server refused the input: invalid spec or script, bad request (400, 422)
EXIT_AUTH = 4  # no token, a bad one, or one without the scope (401, 403)
EXIT_NOT_FOUND = 5  # no such workflow, run, credential, token or trigger (404)
EXIT_CONFLICT = 6  # a stale revision, a taken name, a finished run (409)
EXIT_UNAVAILABLE = 7  # no answer, 5xx or 429 after the retries

# Wide enough that a table piped to a file or grep keeps whole ids (rich assumes 80).
_PIPE_WIDTH = 200


class _Stream:
    """A rich console for stdout or stderr, made at each use: it writes to the stream of
    the moment (tests swap them) and, when that stream is not a terminal, uses
    ``COLUMNS`` or a wide default rather than truncating tables to 80 columns."""

    def __init__(self, err: bool) -> None:
        self._err = err

    def _console(self) -> Console:
        stream = sys.stderr if self._err else sys.stdout
        width = None
        if not stream.isatty():
            width = int(os.environ.get("COLUMNS") or _PIPE_WIDTH)
        return Console(file=stream, width=width, highlight=False, soft_wrap=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console(), name)


console: Console = _Stream(err=False)  # type: ignore[assignment]
stderr: Console = _Stream(err=True)  # type: ignore[assignment]

P = ParamSpec("P")
R = TypeVar("R")


def emit_json(value: Any) -> None:
    """One JSON document on stdout (what ``--json`` prints)."""
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def fail(message: str, code: int = EXIT_FAILED, *, hint: str | None = None) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", markup=True)
    if hint:
        stderr.print(f"[dim]hint:[/] {hint}", markup=True)
    raise typer.Exit(code)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    grid = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(grid)


def _exit_code(exc: OrcheoError) -> int:
    from orcheo_core.sdk.errors import (
        ApiError,
        RunFailedError,
        ServerUnreachableError,
    )

    if isinstance(exc, ServerUnreachableError):
        return EXIT_UNAVAILABLE
    if isinstance(exc, RunFailedError):
        return EXIT_FAILED
    if isinstance(exc, ApiError):
        if exc.status in (401, 403):
            return EXIT_AUTH
        return {404: EXIT_NOT_FOUND, 409: EXIT_CONFLICT}.get(
            exc.status, EXIT_INVALID if exc.status < 429 else EXIT_UNAVAILABLE
        )
    return EXIT_INVALID


def _hint(exc: OrcheoError) -> str | None:
    from orcheo_core.sdk.errors import AuthenticationError, ServerUnreachableError

    if isinstance(exc, AuthenticationError):
        return 'pass --token, set ORCHEO_TOKEN, or put `token = "..."` in the config file'
    if isinstance(exc, ServerUnreachableError):
        return "start the local server with `orcheo dev`, or pass --url / set ORCHEO_URL"
    return None


def cli_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn Orcheo errors into one readable line on stderr and a meaningful exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OrcheoError as exc:
            problems = _problems(exc)
            stderr.print(f"[bold red]error:[/] {exc.code}: {exc.message}", markup=True)
            for line in problems:
                stderr.print(f"  - {line}", markup=False)
            hint = _hint(exc)
            if hint:
                stderr.print(f"[dim]hint:[/] {hint}", markup=True)
            raise typer.Exit(_exit_code(exc)) from None

    return wrapper


def _problems(exc: OrcheoError) -> list[str]:
    details = exc.details or {}
    lines: list[str] = []
    for problem in details.get("problems") or []:
        if isinstance(problem, dict):
            lines.append(f"{problem.get('loc', '')}: {problem.get('message', '')}")
    for error in details.get("errors") or []:
        if isinstance(error, dict):
            lines.append(f"{error.get('field', '')}: {error.get('message', '')}")
    return lines
