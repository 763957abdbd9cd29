"""A tiny HTTP server on the service's event loop: ``/metrics`` and ``/healthz``.

Only GET and HEAD of those two paths; one request per connection; requests are read with a
size and time limit. ``/healthz`` answers 200 when every check passes and 503 with a JSON body
naming what failed otherwise — what systemd, Docker or a load balancer polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.metrics import Metrics

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 8192
READ_TIMEOUT = 5.0


@dataclass(slots=True)
class Health:
    """The result of the health checks: ok, or the problems found."""

    problems: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def body(self) -> dict[str, object]:
        """The JSON body of ``/healthz``."""
        status = "ok" if self.ok else "unhealthy"
        return {"status": status, **self.checks, "problems": self.problems}


HealthCheck = Callable[[], Awaitable[Health]]


class OpsServer:
    """Serves ``/metrics`` from ``metrics`` and ``/healthz`` from ``health``."""

    def __init__(
        self, metrics: Metrics, health: HealthCheck, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen; returns the port (useful when ``port`` was 0: any free port)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("metrics and health on http://%s:%d/metrics and /healthz", self.host, self.port)
        return self.port

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        try:
            method, path = _request_line(head)
            if len(head) > MAX_REQUEST_BYTES:
                status, ctype, body = _text(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            elif method not in ("GET", "HEAD"):
                status, ctype, body = _text(HTTPStatus.METHOD_NOT_ALLOWED)
            else:
                status, ctype, body = await self._route(path)
            _respond(writer, status, ctype, b"" if method == "HEAD" else body, len(body))
            await writer.drain()
        except Exception:  # one bad request never stops the server
            log.exception("metrics server: request failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _route(self, path: str) -> tuple[HTTPStatus, str, bytes]:
        path = path.split("?", 1)[0]
        if path == "/metrics":
            data = await asyncio.to_thread(self.metrics.exposition)  # reads the store
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, data
        if path == "/healthz":
            health = await self.health()
            status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
            return status, "application/json", json.dumps(health.body()).encode()
        return _text(HTTPStatus.NOT_FOUND, "not found: try /metrics or /healthz\n")


def _request_line(head: bytes) -> tuple[str, str]:
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    return (parts[0].upper(), parts[1]) if len(parts) >= 2 else ("", "/")


def _text(status: HTTPStatus, text: str | None = None) -> tuple[HTTPStatus, str, bytes]:
    return status, "text/plain; charset=utf-8", (text or f"{status.phrase}\n").encode()


def _respond(
    writer: asyncio.StreamWriter, status: HTTPStatus, ctype: str, body: bytes, length: int
) -> None:
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
