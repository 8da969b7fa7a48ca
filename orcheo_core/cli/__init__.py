"""The ``orcheo`` command (typer + rich), over :mod:`orcheo_core.sdk`.

``orcheo dev`` starts the local stack; ``orcheo run FILE`` runs a workflow file here;
``orcheo push FILE`` sends it to a server; ``workflows``, ``runs``, ``credentials``,
``tokens`` and ``triggers`` manage what the server holds. See docs/cli.md for every
command, the exit codes and where the server URL and token come from.

The service (``functions/``) is never imported: ``orcheo dev`` runs it as its own
module (``python -m functions.local``).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    from orcheo_core.cli.app import app

    args = _global_flags_first(list(sys.argv[1:] if argv is None else argv))
    try:
        app(args=args, prog_name="orcheo")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


_GLOBAL = ("--url", "--token")


def _global_flags_first(args: list[str]) -> list[str]:
    """Let ``--url``/``--token`` go anywhere (``orcheo runs list --url X``), not only first."""
    if args[:1] == ["dev"]:
        return args
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in _GLOBAL and i + 1 < len(args):
            front += [arg, args[i + 1]]
            i += 2
            continue
        if arg.split("=", 1)[0] in _GLOBAL and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest
