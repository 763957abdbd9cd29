"""Prometheus metrics: what the application counts, and what the store says at scrape time.

One :class:`Metrics` object per running :class:`~bot.app.Salon`, each with a registry of its
own (so tests and embedders never share counters). The application steps call its small
methods (``metrics.ingested(platform, source, new, updated)``); the values that live in the
store — outbox backlog and age, source health, the sending pause — are read when Prometheus
scrapes, by :class:`StoreCollector`, so they are never stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import OutboxItem, OutboxState, SourceState
from bot.outbox import sending_paused

if TYPE_CHECKING:
    from bot.outbox import DrainStats
    from bot.triage import TriageStats

POLL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The service's counters and histograms, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self.posts_ingested = Counter(
            "salon_posts_ingested",
            "Posts stored from polls, by platform, source and change (new or updated).",
            ["platform", "source", "change"],
            registry=r,
        )
        self.posts_classified = Counter(
            "salon_posts_classified", "Posts classified by the NLP pipeline.", registry=r
        )
        self.decisions = Counter(
            "salon_decisions",
            "Triage decisions by action (auto_reply, draft_reply, alert, digest_only, ignore).",
            ["action"],
            registry=r,
        )
        self.replies_refused = Counter(
            "salon_replies_refused",
            "Replies the policy guard refused (the post was alerted to staff instead).",
            registry=r,
        )
        self.deliveries = Counter(
            "salon_deliveries",
            "Outbox items handled by kind (reply, alert, digest) and outcome"
            " (sent, retried, failed, reconciled, held).",
            ["kind", "outcome"],
            registry=r,
        )
        self.polls = Counter(
            "salon_polls",
            "Polls by source and outcome (ok, error, skipped).",
            ["source", "outcome"],
            registry=r,
        )
        self.poll_seconds = Histogram(
            "salon_poll_duration_seconds",
            "Time one bounded fetch from a source took, failures included.",
            ["source"],
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "salon_errors",
            "Errors by where they happened (poll, job) and kind (the exception's class).",
            ["where", "kind"],
            registry=r,
        )
        self.retention = Counter(
            "salon_retention_cleared",
            "Rows the retention job cleared, by data kind (raw, text, handles, payloads).",
            ["kind"],
            registry=r,
        )

    def ingested(self, platform: str, source: str, new: int, updated: int) -> None:
        """Posts a poll stored."""
        self.posts_ingested.labels(platform, source, "new").inc(new)
        self.posts_ingested.labels(platform, source, "updated").inc(updated)

    @contextmanager
    def timed_poll(self, source: str) -> Iterator[None]:
        """Time the block as one fetch from ``source``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.poll_seconds.labels(source).observe(time.perf_counter() - start)

    def polled(self, source: str, outcome: str) -> None:
        """A poll ended: ``ok``, ``error`` or ``skipped``."""
        self.polls.labels(source, outcome).inc()

    def classified(self, count: int) -> None:
        """Posts the classifier analysed."""
        self.posts_classified.inc(count)

    def triaged(self, stats: TriageStats) -> None:
        """What one triage pass decided (``alerts`` counts drafts too: they alert staff)."""
        by_action = {
            "auto_reply": stats.auto_replies,
            "draft_reply": stats.drafts,
            "alert": stats.alerts - stats.drafts,
            "digest_only": stats.digest_only,
            "ignore": stats.ignored,
        }
        for action, count in by_action.items():
            self.decisions.labels(action).inc(count)
        self.replies_refused.inc(stats.refused)

    def delivered(self, stats: DrainStats) -> None:
        """What one outbox drain did, by kind and outcome."""
        for (kind, outcome), count in stats.by_kind.items():
            self.deliveries.labels(kind, outcome).inc(count)

    def error(self, where: str, exc: BaseException) -> None:
        """An error in ``where`` (``poll``, ``job``), counted by the exception's class."""
        self.errors.labels(where, type(exc).__name__).inc()

    def retained(self, cleared: Mapping[str, int]) -> None:
        """What the retention job cleared, by data kind."""
        for kind, count in cleared.items():
            self.retention.labels(kind).inc(count)

    def watch_store(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        """Also report the store's outbox and source state at each scrape."""
        self.registry.register(StoreCollector(engine, clock))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Gauges read from the store at scrape time: outbox backlog and age, source health."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # read the store only when scraped, not at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("salon_store_up", "1 when the store answered this scrape.")
        try:
            families = self._from_store()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_store(self) -> list[Metric]:
        now = self.clock()
        items = GaugeMetricFamily("salon_outbox_items", "Outbox items by state.", labels=["state"])
        oldest = GaugeMetricFamily(
            "salon_outbox_oldest_queued_seconds",
            "Age of the oldest queued outbox item (0 when none is queued).",
        )
        failures = GaugeMetricFamily(
            "salon_source_consecutive_failures", "Failed polls in a row.", labels=["source"]
        )
        paused = GaugeMetricFamily(
            "salon_source_paused", "1 while a source is paused after failures.", labels=["source"]
        )
        sending = GaugeMetricFamily(
            "salon_sending_paused", "1 while staff have paused public replies (/pause)."
        )
        with Session(self.engine) as session:
            counts = dict(
                session.execute(
                    select(col(OutboxItem.state), func.count()).group_by(col(OutboxItem.state))
                ).all()
            )
            first = session.scalar(
                select(func.min(col(OutboxItem.created_at))).where(
                    col(OutboxItem.state) == OutboxState.QUEUED.value
                )
            )
            sources = list(session.scalars(select(SourceState)))
            sending.add_metric([], int(sending_paused(session)))
        for state in OutboxState:
            items.add_metric([state.value], counts.get(state.value, 0))
        oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
        for source in sources:
            failures.add_metric([source.name], source.consecutive_failures)
            is_paused = source.paused_until is not None and source.paused_until > now
            paused.add_metric([source.name], int(is_paused))
        return [items, oldest, failures, paused, sending]
