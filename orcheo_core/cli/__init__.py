"""The ``orcheo`` command.

``orcheo dev`` starts the local stack (API, WebSocket, scheduler, canvas) on
http://127.0.0.1:8000. The service lives in ``functions/``, which ``orcheo_core`` never
imports, so the command runs it as its own Python module (``python -m functions.local``).
More commands arrive with the SDK.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]

USAGE = """\
usage: orcheo <command> [options]

commands:
  dev     start the local stack on http://127.0.0.1:8000 (--host, --port, --home)
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    command, rest = args[0], args[1:]
    if command == "dev":
        # Replace this process: Ctrl+C and exit codes then belong to the server itself.
        os.execv(sys.executable, [sys.executable, "-m", "functions.local", *rest])
    print(f"orcheo: unknown command {command!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2
