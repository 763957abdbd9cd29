"""Web endpoints listen on loopback unless configured otherwise.

The only listening socket in Salon is the service's ``/metrics`` and ``/healthz`` server
(``bot/ops_http.py``, off by default). Run by the service with only a port configured, it is
bound to 127.0.0.1 and nothing else; ``service.metrics_host`` (or ``SALON_METRICS_HOST``) is
the one way to open it wider. A source scan keeps any new listener from slipping in unseen.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import Salon
from bot.service import Service
from config.loader import parse_settings
from tests.helpers import KeywordAnalyser

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "connectors", "nlp", "scheduler", "config")
LISTENING = re.compile(  # the ways Python code opens a listening socket
    r"start_server\(|start_unix_server\(|create_server\(|socket\.socket\(|TCPServer"
    r"|HTTPServer|serve_forever|start_http_server|make_server\(|uvicorn|aiohttp\.web"
)


def test_the_ops_server_is_the_only_place_that_listens() -> None:
    found = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if LISTENING.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["bot/ops_http.py"], "a new listener: make it bind to loopback by default"


async def bound_addresses(tmp_path: Path, environ: dict[str, str], **service: Any) -> set[str]:
    """Start the service with ``service`` settings and report where its server listens."""
    data = {
        "institution": {"name": "Test Museum"},
        "database": {"url": f"sqlite:///{tmp_path / 'salon.db'}"},
        "service": {"metrics_port": 0, **service},
    }
    settings = parse_settings(data, environ=environ)
    running_service = Service(Salon(settings, analyser=KeywordAnalyser(), connectors={}))
    running = asyncio.create_task(running_service.run())
    try:
        for _ in range(1000):  # until the server listens (bounded)
            if running_service.ops_server is not None and running_service.ops_server.port:
                break
            await asyncio.sleep(0.01)
        server = running_service.ops_server
        assert server is not None and server._server is not None
        return {socket.getsockname()[0] for socket in server._server.sockets}
    finally:
        running_service.stop()
        await asyncio.wait_for(running, timeout=30)


async def test_the_metrics_server_binds_to_loopback_by_default(tmp_path: Path) -> None:
    assert await bound_addresses(tmp_path, {}) == {"127.0.0.1"}


@pytest.mark.parametrize("how", ["file", "environment"])
async def test_only_configuration_opens_it_wider(tmp_path: Path, how: str) -> None:
    if how == "file":
        addresses = await bound_addresses(tmp_path, {}, metrics_host="0.0.0.0")
    else:
        addresses = await bound_addresses(tmp_path, {"SALON_METRICS_HOST": "0.0.0.0"})
    assert addresses == {"0.0.0.0"}
