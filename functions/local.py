"""The local stack: API + WebSocket + scheduler + canvas in one process (what `make dev` runs).

Data lives in one SQLite database under ``ORCHEO_HOME`` (default ``~/.orcheo``) and
survives restarts. On first start an admin token is printed and saved to
``$ORCHEO_HOME/admin-token`` (mode 0600). On shutdown, runs still in flight are
recorded as interrupted; resume or replay them through the API.

Run it with ``python -m functions.local [--host H] [--port P] [--home DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from functions.api.app import create_app
from functions.api.routers.clock import SettableClock, clock_router
from functions.backends.local import (
    Database,
    InProcessEventBus,
    InProcessScheduler,
    LocalRunEngine,
    SqliteCredentialStore,
    SqliteRunStore,
    SqliteTokenStore,
    SqliteTriggerState,
    SqliteWorkflowStore,
)
from functions.backends.local.lease import HomeInUseError, HomeLease
from functions.service import Services
from functions.service import runs as run_logic
from functions.service.run_secrets import begin_run, install_log_redaction, resolve_credential
from functions.service.tokens import ensure_admin_token
from functions.service.triggers import fire_cron
from functions.service.workflows import get_version
from functions.settings import Settings
from orcheo_core.sandbox import ScriptSandbox
from orcheo_core.vault import Vault, load_or_create_key

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from fastapi import FastAPI

    from functions.backends.ports import ScheduleRecord
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = ["LocalStack", "main"]

_log = logging.getLogger("orcheo.local")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATIC = REPO_ROOT / "frontend" / "dist"

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orcheo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Orcheo is running</h1>
<p>The visual canvas is not built yet. The API is live: open <a href="/docs">/docs</a>
for the interactive reference, and send your admin token as
<code>Authorization: Bearer &lt;token&gt;</code>.</p>
<p>Live telemetry: the <code>/ws</code> WebSocket.</p></body></html>
"""


class LocalStack:
    """Everything the local server needs, wired together; ``app`` is the ASGI app.

    ``registry`` holds the node types workflows may use (default: the built-in ones).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        announce: bool = False,
        registry: NodeRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.announce = announce
        self.admin_token: str | None = None
        self.test_clock: SettableClock | None = None
        if settings.test_clock is not None:
            # Tests drive time through POST /api/system/clock; nothing else moves it.
            self.test_clock = SettableClock(settings.test_clock)
            clock = self.test_clock
        self.lease = HomeLease(settings.home)
        self.db = Database(settings.db_path)
        runs = SqliteRunStore(self.db)
        bus = InProcessEventBus()
        scripts = ScriptSandbox()  # checks and runs LangGraph scripts out of this process
        engine = LocalRunEngine(
            runs,
            bus,
            registry=registry,
            credentials=self._resolve_credential,
            loader=self._load_subworkflow,
            clock=clock,
            event_data_limit=settings.event_data_limit,
            run_redactor=begin_run,
            scripts=scripts,
        )
        self.engine = engine
        self.scheduler = InProcessScheduler(self.db, on_fire=self._on_fire, clock=clock)
        self.services = Services(
            settings=settings,
            workflows=SqliteWorkflowStore(self.db),
            runs=runs,
            credentials=SqliteCredentialStore(self.db),
            tokens=SqliteTokenStore(self.db),
            trigger_state=SqliteTriggerState(self.db, clock=clock),
            bus=bus,
            engine=engine,
            scheduler=self.scheduler,
            registry=registry,
            clock=clock,
            vault_factory=self._open_vault,
            script_sandbox=scripts,
        )
        self.app = create_app(self.services, lifespan=self.lifespan)
        if self.test_clock is not None:
            self.app.include_router(clock_router(self.test_clock, self.scheduler.tick))
        self._mount_canvas(self.app)

    def _open_vault(self) -> Vault:
        vault = Vault.raw_aes(load_or_create_key(self.settings.vault_key_path))
        if gc.get_freeze_count():
            # main() froze the start-up heap; the vault brings the AWS Encryption SDK
            # (~93k more objects) that full collections would otherwise re-scan, adding
            # ~20-70 ms stalls to every request in flight (bench/README.md, "api").
            gc.freeze()
        return vault

    async def _resolve_credential(self, ref: str) -> Mapping[str, str]:
        return await resolve_credential(self.services, ref)

    def _load_subworkflow(self, workflow_id: str) -> Any:
        return self.engine.compile(get_version(self.services, workflow_id))

    async def _on_fire(self, schedule: ScheduleRecord, fire_time: float) -> None:
        await fire_cron(self.services, schedule, fire_time)

    def _mount_canvas(self, app: FastAPI) -> None:
        static = self.settings.static_dir or DEFAULT_STATIC
        if (static / "index.html").is_file():
            app.mount("/", StaticFiles(directory=static, html=True), name="canvas")
            return

        @app.get("/", include_in_schema=False)
        async def placeholder() -> HTMLResponse:
            return HTMLResponse(PLACEHOLDER)

    def start(self) -> None:
        """Start-up work that must happen before serving: recover runs, first admin token.

        HomeInUseError when another live process serves this home: its runs are its own.
        """
        self.lease.acquire()
        from orcheo_core.sandbox import SANDBOX_ENV, protect, sandbox_mode

        if sandbox_mode() == "process":
            _log.warning(
                "%s=process: user code runs WITHOUT namespaces (separate processes with "
                "limits only); it may read what this server's user can read",
                SANDBOX_ENV,
            )
        protect(self.settings.home)
        interrupted = run_logic.mark_interrupted(self.services)
        if interrupted:
            _log.warning("%d run(s) from the previous session were interrupted", interrupted)
        # The vault key exists from the first start (mode 0600), not from the first secret:
        # a user backing up ORCHEO_HOME gets it, and a key with loose permissions is
        # refused now rather than in the middle of a run.
        load_or_create_key(self.settings.vault_key_path)
        # Every secret a run resolves is redacted from the log lines this process writes.
        install_log_redaction()
        self.admin_token = ensure_admin_token(self.services)
        if self.admin_token is not None:
            path = self.settings.admin_token_path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(self.admin_token + "\n")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        self.start()
        if self.announce:
            _announce(self)
        stop = asyncio.Event()
        if self.test_clock is not None:
            stop.set()  # the test clock ticks the scheduler itself (POST /api/system/clock)
        scheduler = asyncio.create_task(self.scheduler.run(stop))
        try:
            yield
        finally:
            stop.set()
            await self.engine.shutdown()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
            self.db.close()
            self.lease.release()


def _announce(stack: LocalStack) -> None:
    settings = stack.settings
    url = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        f"  Orcheo is running at {url}  (API reference: {url}/docs)",
        f"  Data: {settings.db_path}",
    ]
    if stack.admin_token:
        lines += [
            "",
            "  First start: an admin API token was created. It is shown only now",
            f"  (and saved to {settings.admin_token_path}, readable only by you):",
            "",
            f"    {stack.admin_token}",
        ]
    lines += ["", "  Press Ctrl+C to stop.", ""]
    print("\n".join(lines), flush=True)


def bind(host: str, port: int) -> socket.socket | None:
    """The listening socket, bound before anything announces the server; None (after a
    message on stderr saying what to do) when the address cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        taken = exc.errno in (98, 48)  # EADDRINUSE on Linux, macOS
        why = "address already in use" if taken else (exc.strerror or str(exc))
        print(
            f"error: cannot listen on {host}:{port}: {why}.\n"
            + (
                f"  Another program (perhaps another `orcheo dev`) has port {port}; stop it, "
                "or pick another port: `orcheo dev --port 8001` (or ORCHEO_PORT=8001)."
                if taken
                else "  Check --host / ORCHEO_HOST names an address of this machine."
            ),
            file=sys.stderr,
            flush=True,
        )
        return None
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    """`make dev` / `orcheo dev`: serve the local stack until Ctrl+C."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="orcheo dev", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000)")
    parser.add_argument("--home", help="data directory (default $ORCHEO_HOME or ~/.orcheo)")
    parser.add_argument(
        "--aws",
        action="store_true",
        help="AWS emulation: the AWS backends against in-process moto (ephemeral data)",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.aws:
        from functions.emulation import serve

        home = Path(args.home).expanduser() if args.home else settings.home
        return serve(args.host or settings.host, args.port or settings.port, home)
    settings = replace(
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
        home=Path(args.home).expanduser() if args.home else settings.home,
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Bound first: the banner (printed at start-up) must never precede a bind error.
    sock = bind(settings.host, settings.port)
    if sock is None:
        return 1
    stack = LocalStack(settings, announce=True)
    try:
        stack.lease.acquire()  # before serving: a second server stops here, with its reason
    except HomeInUseError as exc:
        sock.close()
        print(f"orcheo: {exc.message}", file=sys.stderr)
        return 1
    config = uvicorn.Config(
        stack.app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=os.environ.get("ORCHEO_ACCESS_LOG") == "1",
        # A request waiting on a long run must not hold Ctrl+C hostage: after this many
        # seconds the server stops anyway and the run is recorded as interrupted.
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    # Everything built so far (the imported FastAPI, LangGraph and pydantic, the app:
    # ~135k objects) lives as long as the process. Frozen, the cyclic collector stops
    # re-scanning it in every full collection: those took ~85 ms each on a 2-core box
    # and stalled every request in flight (bench/README.md, "api").
    gc.collect()
    gc.freeze()
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0 if server.started or not server.should_exit else 1


if __name__ == "__main__":
    sys.exit(main())
