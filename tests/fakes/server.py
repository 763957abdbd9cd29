"""A loopback HTTP server for the platform fakes, with fault injection.

Each fake is a :class:`FakeApp`: it answers a parsed :class:`Request` with a :class:`Response`
(a JSON body, a status and headers). :class:`LoopbackServer` serves one app on 127.0.0.1 at a
free port in a thread. Before an answer goes out, :class:`Faults` may spoil it (a seeded RNG,
one draw per request, every fault counted by kind):

=================  ===========================================================================
slow               the answer is delayed (``slow_seconds``), then sent whole
rate_limited       429 with ``Retry-After`` (the platform's own error body); nothing processed
server_500/502/503 that status; nothing processed
malformed_json     200 whose body is not JSON
truncated_body     200 with the JSON cut in the middle (Content-Length says the full size)
dropped            the connection closes after the status line, mid-response
duplicated_page    a list page carrying its items twice plus items from before the cursor
out_of_order_page  a list page with its items shuffled
=================  ===========================================================================

Reads are refused before the app runs (nothing changes); for writes, ``malformed_json``,
``truncated_body`` and ``dropped`` happen *after* the app processed the request: the platform
did it, the answer was lost (the case an exactly-once sender must survive). ``write_kinds``
limits the faults writes get (e.g. to ``REFUSALS``, which never leave an outcome unknown).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from tests.fakes.common import Ledger

JSON = Any
REFUSALS = ("rate_limited", "server_500", "server_502", "server_503")
SPOILERS = ("malformed_json", "truncated_body", "dropped")
PAGE_FAULTS = ("duplicated_page", "out_of_order_page")
FAULT_KINDS = ("slow", *REFUSALS, *SPOILERS, *PAGE_FAULTS)


@dataclass(slots=True)
class Request:
    """One HTTP request as the fakes see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query (or form/JSON body) parameter ``name``."""
        values = self.query.get(name) or self.query.get(f"{name}[]")
        if values:
            return values[0]
        value = self.params().get(name)
        return default if value is None else str(value)

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``name`` or ``name[]``)."""
        return [*self.query.get(name, []), *self.query.get(f"{name}[]", [])]

    def params(self) -> dict[str, Any]:
        """The body's parameters: JSON, or a form whose values may be JSON (python-telegram-bot
        sends ``reply_parameters={"message_id": 1}`` that way)."""
        if not self.body:
            return {}
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            data = json.loads(self.body)
            return data if isinstance(data, dict) else {}
        out: dict[str, Any] = {}
        for key, values in parse_qs(self.body.decode(), keep_blank_values=True).items():
            try:
                out[key] = json.loads(values[0])
            except ValueError:
                out[key] = values[0]
        return out


@dataclass(slots=True)
class Response:
    """A JSON answer; ``items`` names the list in ``body`` that page faults may spoil, and
    ``stale`` holds items from before the request's cursor (for ``duplicated_page``)."""

    body: JSON
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    items: tuple[str, ...] = ()  # "" : the body itself is the list
    stale: list[Any] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)  # ids of the posts it serves


class FakeApp(Protocol):
    """A platform fake: answers requests, and says what its 429 looks like."""

    ledger: Ledger

    def handle(self, request: Request) -> Response:
        """The answer to ``request`` (may change the fake's world)."""
        ...

    def is_write(self, request: Request) -> bool:
        """Whether ``request`` changes the world (a reply, a message)."""
        ...

    def rate_limited(self, retry_after: int) -> Response:
        """The platform's 429 answer."""
        ...


class Faults:
    """Which fault (if any) spoils each request: a seeded draw per request, counted by kind."""

    def __init__(
        self,
        seed: int = 0,
        rate: float = 0.0,
        kinds: tuple[str, ...] = FAULT_KINDS,
        *,
        write_kinds: tuple[str, ...] | None = None,
        slow_seconds: float = 0.05,
        retry_after: int = 30,
    ) -> None:
        unknown = {*kinds, *(write_kinds or ())} - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        self.rng = random.Random(seed)
        self.rate, self.kinds = rate, kinds
        # faults for writes (default: the same); REFUSALS alone never leave an outcome unknown
        self.write_kinds = kinds if write_kinds is None else write_kinds
        self.slow_seconds, self.retry_after = slow_seconds, retry_after
        self.counts: Counter[str] = Counter()
        self.enabled = True
        self._lock = threading.Lock()

    def draw(self, *, write: bool) -> str | None:
        """The fault for the next request (``write``: it changes the world)."""
        with self._lock:
            roll, pick = self.rng.random(), self.rng.random()
            if not self.enabled or roll >= self.rate:
                return None
            pool = self.write_kinds if write else self.kinds
            kinds = [k for k in pool if not write or k not in PAGE_FAULTS]
            if not kinds:
                return None
            kind = kinds[int(pick * len(kinds))]
            self.counts[kind] += 1
            return kind

    def spoil_page(self, response: Response, kind: str) -> None:
        """Duplicate or shuffle the items of a list page in place."""
        for name in response.items:
            items = response.body.get(name) if name else response.body
            if not isinstance(items, list):
                continue
            with self._lock:
                if kind == "duplicated_page":
                    items[:] = [*items, *response.stale, *items]
                else:
                    self.rng.shuffle(items)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-request (the month kills workers) is expected


Hook = Callable[[Request, str], None]  # (request, "before" | "after") on every request


class LoopbackServer:
    """Serves ``app`` on 127.0.0.1 at a free port, in a daemon thread; a context manager."""

    def __init__(self, app: FakeApp, faults: Faults | None = None) -> None:
        self.app, self.faults = app, faults or Faults()
        self.hooks: list[Hook] = []
        self.requests: Counter[str] = Counter()  # "METHOD /path" -> count
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _fire(self, request: Request, when: str) -> None:
        for hook in list(self.hooks):
            hook(request, when)

    def serve(self, request: Request) -> tuple[Response, str | None]:
        """The answer to ``request`` and the fault that spoils its sending (None: send it)."""
        with self._lock:
            self.requests[f"{request.method} {request.path}"] += 1
        self._fire(request, "before")
        write = self.app.is_write(request)
        fault = self.faults.draw(write=write)
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
            fault = None
        if fault == "rate_limited":
            response = self.app.rate_limited(self.faults.retry_after)
        elif fault in REFUSALS:
            code = int(str(fault).rsplit("_", 1)[1])
            response = Response({"error": f"fake {code}"}, status=code)
        else:
            response = self.app.handle(request)
        self._fire(request, "after")
        if fault in REFUSALS:
            return response, None
        if fault in PAGE_FAULTS:
            self.faults.spoil_page(response, fault)
            fault = None
        return response, fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

            def _any(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response, fault = server.serve(request)
                body = json.dumps(response.body, ensure_ascii=False).encode()
                if fault == "malformed_json":
                    body = b"<html><body>502 Bad Gateway (upstream sent garbage)</body></html>"
                self.send_response(response.status)
                kind = "text/html" if fault == "malformed_json" else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                if fault == "dropped":
                    self.flush_headers()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the status line went out; nothing else
                    return
                self.end_headers()
                if fault == "truncated_body":
                    body = body[: max(1, len(body) // 2)]
                    self.close_connection = True
                self.wfile.write(body)
                if fault is None:
                    server.app.ledger.mark_served(response.carried)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler
