"""Prometheus metrics from the app steps and the store; /metrics and /healthz on loopback."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.metrics import Metrics
from bot.models import OutboxItem, OutboxKind, OutboxState
from bot.ops_http import Health, OpsServer
from bot.outbox import set_sending_paused
from bot.service import Service
from connectors.base import FetchResult, Source
from connectors.errors import NetworkError
from connectors.replay import ReplayConnector, ReplaySettings
from tests.helpers import (
    COMPLAINTS_RULE,
    T0,
    TICKETS_RULE,
    KeywordAnalyser,
    make_post,
    replay_settings,
    settings_from,
)


class Broken(ReplayConnector):
    """A source whose network is down."""

    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        raise NetworkError("connection reset", source=source.name)


def build(tmp_path: Path, *, broken: bool = False, **extra: object) -> Salon:
    posts = [make_post("1", "are tickets on sale?"), make_post("2", "awful queue", minutes=1)]
    settings = replay_settings(tmp_path, posts, rules=(TICKETS_RULE, COMPLAINTS_RULE), **extra)
    kind = Broken if broken else ReplayConnector
    connector = kind(ReplaySettings(replies_path=tmp_path / "replies.jsonl"))
    return Salon(
        settings,
        analyser=KeywordAnalyser(),
        sink=ConsoleSink(quiet=True),
        connectors={"s": connector},
    )


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_each_step_counts_what_it_did(tmp_path: Path) -> None:
    salon = build(tmp_path)
    m = salon.metrics
    await salon.poll("s")
    salon.classify()
    salon.triage()
    await salon.deliver()
    ingested = {"platform": "replay", "source": "s"}  # the source's platform
    assert value(m, "salon_posts_ingested_total", **ingested, change="new") == 2
    assert value(m, "salon_posts_ingested_total", **ingested, change="updated") == 0
    assert value(m, "salon_polls_total", source="s", outcome="ok") == 1
    assert value(m, "salon_poll_duration_seconds_count", source="s") == 1
    assert value(m, "salon_posts_classified_total") == 2
    assert value(m, "salon_decisions_total", action="auto_reply") == 1
    assert value(m, "salon_decisions_total", action="alert") == 1
    assert value(m, "salon_deliveries_total", kind="reply", outcome="sent") == 1
    assert value(m, "salon_deliveries_total", kind="alert", outcome="sent") == 1
    await salon.poll("s")  # nothing new: counted as a poll, not as posts
    assert value(m, "salon_polls_total", source="s", outcome="ok") == 2
    assert value(m, "salon_posts_ingested_total", **ingested, change="new") == 2
    salon.engine.dispose()


async def test_a_failed_poll_counts_an_error_by_kind_and_then_a_skip(tmp_path: Path) -> None:
    salon = build(tmp_path, broken=True)
    m = salon.metrics
    assert (await salon.poll("s")).error
    assert value(m, "salon_errors_total", where="poll", kind="NetworkError") == 1
    assert value(m, "salon_polls_total", source="s", outcome="error") == 1
    assert value(m, "salon_poll_duration_seconds_count", source="s") == 1
    assert (await salon.poll("s")).skipped  # paused with backoff
    assert value(m, "salon_polls_total", source="s", outcome="skipped") == 1
    text = m.exposition().decode()
    assert 'salon_source_consecutive_failures{source="s"} 1.0' in text
    assert 'salon_source_paused{source="s"} 1.0' in text
    salon.engine.dispose()


def test_the_store_gauges_are_read_at_scrape_time(tmp_path: Path) -> None:
    salon = build(tmp_path)
    salon.clock = lambda: T0 + timedelta(minutes=10)
    salon.metrics = Metrics(process=False)
    salon.metrics.watch_store(salon.engine, salon.clock)
    m = salon.metrics
    assert value(m, "salon_outbox_oldest_queued_seconds") == 0
    with salon.session() as session:
        for minutes, state in ((0, OutboxState.QUEUED), (5, OutboxState.QUEUED), (1, "sent")):
            session.add(
                OutboxItem(
                    key=f"alert:{minutes}",
                    kind=OutboxKind.ALERT.value,
                    channel="staff",
                    state=str(state),
                    created_at=T0 + timedelta(minutes=minutes),
                )
            )
        set_sending_paused(session, True, actor="ana", now=T0)
        session.commit()
    assert value(m, "salon_store_up") == 1
    assert value(m, "salon_outbox_oldest_queued_seconds") == 600
    assert value(m, "salon_outbox_items", state="queued") == 2
    assert value(m, "salon_outbox_items", state="sent") == 1
    assert value(m, "salon_sending_paused") == 1
    salon.engine.dispose()
    assert value(m, "salon_store_up") == 1  # a disposed pool reconnects: still answering


async def test_the_service_serves_metrics_and_health_on_loopback(tmp_path: Path) -> None:
    salon = build(tmp_path, service={"metrics_port": 0})
    service = Service(salon)
    running = asyncio.create_task(service.run())
    try:
        for _ in range(500):  # until the server listens (bounded)
            if service.ops_server is not None and service.ops_server.port:
                break
            await asyncio.sleep(0.01)
        assert service.ops_server is not None
        base = f"http://127.0.0.1:{service.ops_server.port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            health = await client.get("/healthz")
            assert health.status_code == 200
            assert health.json() == {
                "status": "ok",
                "scheduler": "running",
                "database": "ok",
                "problems": [],
            }
            scraped = await client.get("/metrics")
            assert scraped.status_code == 200
            assert scraped.headers["content-type"].startswith("text/plain")
            assert "salon_store_up 1.0" in scraped.text
            assert "# TYPE salon_posts_ingested_total counter" in scraped.text
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/metrics")).status_code == 405
    finally:
        service.stop()
        await asyncio.wait_for(running, timeout=30)
    stopped = await service.health()
    assert not stopped.ok and stopped.problems == ["the scheduler is not running"]
    with pytest.raises(httpx.ConnectError):  # the server closed with the service
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            await client.get("/healthz")


async def test_health_says_why_it_is_unhealthy(tmp_path: Path) -> None:
    async def failing() -> Health:
        return Health(problems=["the database does not answer (OperationalError)"])

    server = OpsServer(Metrics(process=False), failing)
    port = await server.start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"http://127.0.0.1:{port}/healthz")
            head = await client.head(f"http://127.0.0.1:{port}/healthz")
    finally:
        await server.close()
    assert answer.status_code == 503 and head.status_code == 503
    assert answer.json() == {
        "status": "unhealthy",
        "problems": ["the database does not answer (OperationalError)"],
    }
    assert head.content == b""


def test_metrics_port_is_off_by_default_and_checked(tmp_path: Path) -> None:
    assert settings_from({}).service.metrics_port is None
    from config.errors import ConfigError

    with pytest.raises(ConfigError, match=r"service\.metrics_port"):
        settings_from({"service": {"metrics_port": 70000}})
