"""A small HTTP server on 127.0.0.1 that records every request and echoes it back.

It stands in for the SaaS APIs a credential is for. ``?status=N`` makes it answer with
status N; ``?need=<header value>`` makes it answer 401 unless the Authorization header
(or the X-Custom-Key header) equals that value. The echoed body starts with the
Authorization header, so an error excerpt of the body carries it.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator


class EchoServer:
    """What the server saw: one dict per request (method, path, headers, body)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[dict[str, Any]] = []

    def seen(self) -> str:
        """Every request it received, as one text to search."""
        return json.dumps(self.requests, ensure_ascii=False)


def _handler(server: EchoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            headers = dict(self.headers.items())
            server.requests.append(
                {"method": self.command, "path": self.path, "headers": headers, "body": body}
            )
            query = parse_qs(urlsplit(self.path).query)
            status = int(query.get("status", ["200"])[0])
            need = query.get("need", [None])[0]
            if need is not None and need not in (
                headers.get("Authorization"),
                headers.get("X-Custom-Key"),
            ):
                status = 401
            echo = {
                "auth": headers.get("Authorization"),
                "path": self.path,
                "headers": headers,
                "body": body,
            }
            payload = json.dumps(echo).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def echo_server() -> Iterator[EchoServer]:
    """Serve on a free port of 127.0.0.1 until the block ends."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    echo = EchoServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(echo)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield echo
    finally:
        httpd.shutdown()
        httpd.server_close()
