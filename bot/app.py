"""The application: settings, store, connectors, classifier, rules and outbox composed into steps.

One cycle is poll → store → classify → triage → remind → spikes → deliver. Each step is also a
scheduler job in ``salon run``; ``salon demo`` runs them in sequence. Every step takes its "now"
from one injectable clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.alerts import AlertSink, ConsoleSink
from bot.classify import Analyser, classify_pending
from bot.db import open_engine
from bot.digest import Digest, digest_for
from bot.digest_period import last_complete_week, week_so_far
from bot.digest_render import write_digest
from bot.digest_send import enqueue_digest
from bot.metrics import Metrics
from bot.models import SourceState, utcnow
from bot.outbox import DrainStats, Outbox
from bot.privacy import apply_retention
from bot.reminders import Reminders, ReminderStats
from bot.replies import ReplyBook
from bot.rules import RuleSet
from bot.spikes import Spike, SpikeDetector, raise_spike_alerts
from bot.staff import StaffBot
from bot.store import IngestStats, save_cursor, store_posts
from bot.triage import Triage, TriageStats
from config.settings import Settings, SourceSettings
from config.taxonomy import Taxonomy
from connectors.base import Connector, Source
from connectors.errors import AuthError, ConnectorError, RateLimited, TransientError
from connectors.registry import connector_class
from scheduler.backoff import Backoff

log = logging.getLogger(__name__)

MONTH_SECONDS = 30 * 24 * 3600


@dataclass(slots=True)
class DigestReport:
    """A computed digest and the files it was written to."""

    digest: Digest
    files: dict[str, Path]


@dataclass(slots=True)
class PollResult:
    """What polling one source did."""

    source: str
    fetched: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    has_more: bool = False
    skipped: str | None = None  # why the source was not polled
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def to_source(spec: SourceSettings) -> Source:
    """The connector-side view of a configured source."""
    return Source(
        name=spec.name,
        feed=spec.feed,
        options=dict(spec.options),
        max_pages=spec.max_pages,
        backfill_hours=spec.backfill_hours,
    )


def effective_interval(spec: SourceSettings) -> float:
    """The poll interval, stretched so a monthly request budget lasts the month."""
    if spec.monthly_request_budget is None:
        return spec.interval
    return max(spec.interval, MONTH_SECONDS * spec.max_pages / spec.monthly_request_budget)


def build_connectors(settings: Settings) -> dict[str, Connector]:
    """One connector per account, shared by that account's sources; keyed by source name."""
    by_account: dict[str, Connector] = {}
    by_source: dict[str, Connector] = {}
    for spec in settings.sources:
        if not spec.enabled:
            continue
        if spec.account_name not in by_account:
            cls = connector_class(spec.platform)
            account = settings.accounts.get(spec.account_name, {})
            by_account[spec.account_name] = cls(cls.Settings.model_validate(account))  # type: ignore[call-arg]
        by_source[spec.name] = by_account[spec.account_name]
    return by_source


def configured_taxonomy(settings: Settings) -> Taxonomy:
    """The topic taxonomy ``settings`` names (the packaged default when none)."""
    from config.taxonomy import default_taxonomy, load_taxonomy

    path = settings.nlp.taxonomy_file
    return load_taxonomy(path) if path else default_taxonomy()


def build_analyser(settings: Settings) -> Analyser:
    """The shipped NLP classifier for ``settings`` (taxonomy, trained models, topic model)."""
    from nlp.pipeline import Classifier

    nlp = settings.nlp
    return Classifier(configured_taxonomy(settings), nlp.trained_models, nlp.topic_model)


class Salon:
    """The running application; every step opens its own short transaction."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        analyser: Analyser | None = None,
        sink: AlertSink | None = None,
        connectors: dict[str, Connector] | None = None,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock  # every step's "now" (the demo runs at a fixed time)
        self.engine = engine or open_engine(
            settings.database.url,
            echo=settings.database.echo,
            migrate=settings.database.auto_migrate,
        )
        self._analyser = analyser
        self.staff_bot: StaffBot | None = None  # the staff Telegram bot, if it has a token
        if sink is None and settings.staff.telegram.token:
            self.staff_bot = StaffBot(settings, self.engine, clock=clock)
            sink = self.staff_bot.sink
        self.sink: AlertSink = sink or ConsoleSink()
        self.connectors = connectors if connectors is not None else build_connectors(settings)
        self.sources = {s.name: s for s in settings.sources if s.enabled}
        self.replies = ReplyBook(settings.templates, settings.facts)
        self.rules = RuleSet.from_config(settings)
        self.backoff = Backoff(base=60.0, cap=6 * 3600.0)
        self.outbox = Outbox(self.connectors, self.sink, settings.outbox, clock=clock)
        self.reminders = Reminders(settings.staff, clock=clock)
        self.spike_detector = SpikeDetector(settings.spikes)
        self.metrics = metrics or Metrics()
        self.metrics.watch_store(self.engine, clock)

    @cached_property
    def analyser(self) -> Analyser:
        """The NLP classifier, loaded on first use."""
        if self._analyser is None:
            self._analyser = build_analyser(self.settings)
        return self._analyser

    def session(self) -> Session:
        """A new session on the store."""
        return Session(self.engine, expire_on_commit=False)

    async def poll(
        self,
        name: str,
        *,
        now: datetime | None = None,
        fence: Callable[[Session], bool] | None = None,
    ) -> PollResult:
        """Fetch one bounded batch from source ``name`` and store it with its cursor.

        ``fence`` (scale-out: is the source's lease still ours?) is asked in the storing
        transaction; False rolls the batch back (another worker polls the source now)."""
        spec, connector = self.sources[name], self.connectors[name]
        result = PollResult(source=name)
        now = now or self.clock()
        with self.session() as session:
            state = session.get(SourceState, name) or SourceState(name=name, platform=spec.platform)
            if state.paused_until and state.paused_until > now:
                result.skipped = f"paused until {state.paused_until:%Y-%m-%d %H:%M} UTC"
                self.metrics.polled(name, "skipped")
                return result
            budget = spec.monthly_request_budget
            this_month = state.budget_month == now.strftime("%Y-%m")
            if budget and this_month and state.requests_this_month >= budget:
                result.skipped = f"monthly request budget of {budget} used up"
                self.metrics.polled(name, "skipped")
                return result
            cursor = state.cursor
            if cursor is not None and state.platform != spec.platform:
                # the source was switched to another platform (e.g. from replay to x): the old
                # cursor means nothing there, so start as on a first run
                log.warning(
                    "source %s: now on %s, not %s; starting without the saved cursor",
                    name,
                    spec.platform,
                    state.platform,
                )
                cursor = None
        try:
            with self.metrics.timed_poll(name):
                fetched = await connector.fetch(to_source(spec), cursor)
        except ConnectorError as exc:
            self._record_failure(name, spec.platform, exc, now)
            self.metrics.error("poll", exc)
            self.metrics.polled(name, "error")
            result.error = str(exc)
            return result
        if (
            cursor
            and fetched.next_cursor
            and (connector.cursor_position(fetched.next_cursor) < connector.cursor_position(cursor))
        ):
            log.warning("source %s: cursor would move back; keeping %s", name, cursor)
            fetched.next_cursor = cursor
        with self.session() as session:
            result.stats = store_posts(session, fetched.posts)
            save_cursor(
                session,
                name,
                spec.platform,
                fetched.next_cursor,
                requests=fetched.requests_made,
                now=now,
            )
            if fence is not None and not fence(session):
                session.rollback()
                result.stats = IngestStats()
                result.skipped = "lease lost to another worker; the batch was not stored"
                return result
            session.commit()
        result.fetched, result.has_more = len(fetched.posts), fetched.has_more
        result.warnings = fetched.warnings
        self.metrics.ingested(spec.platform, name, result.stats.new, result.stats.updated)
        self.metrics.polled(name, "ok")
        for warning in fetched.warnings:
            log.warning("source %s: %s", name, warning)
        return result

    def _record_failure(self, name: str, platform: str, exc: ConnectorError, now: datetime) -> None:
        with self.session() as session:
            state = session.get(SourceState, name) or SourceState(name=name, platform=platform)
            state.consecutive_failures += 1
            state.last_poll_at = now
            state.last_error = str(exc)
            if isinstance(exc, AuthError):
                which = f" (credential {exc.credential})" if exc.credential else ""
                state.last_error = f"authentication failed{which}: {exc.message}"
                delay = 24 * 3600.0
            elif isinstance(exc, TransientError):
                retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
                delay = self.backoff.delay(state.consecutive_failures, retry_after=retry_after)
            else:
                delay = self.backoff.delay(state.consecutive_failures + 3)
            state.paused_until = now + timedelta(seconds=delay)
            session.add(state)
            session.commit()
        log.warning("source %s failed (%s); paused for %.0f s", name, exc, delay)

    async def poll_until_caught_up(self, name: str, *, max_rounds: int = 1000) -> list[PollResult]:
        """Poll ``name`` until it has nothing more waiting (bounded by ``max_rounds``)."""
        results = []
        for _ in range(max_rounds):
            result = await self.poll(name)
            results.append(result)
            if not result.has_more or result.error or result.skipped:
                break
        return results

    def classify(self) -> int:
        """Classify all pending posts."""
        with self.session() as session:
            count = classify_pending(
                session,
                self.analyser,
                batch_size=self.settings.nlp.batch_size,
                abuse_threshold=self.settings.nlp.abuse_threshold,
            )
        self.metrics.classified(count)
        return count

    def triage(self, *, now: datetime | None = None) -> TriageStats:
        """Triage all classified posts."""
        engine = Triage(self.rules, self.replies, self.settings.policy)
        with self.session() as session:
            stats = engine.run(session, now=now or self.clock())
        self.metrics.triaged(stats)
        return stats

    def remind(self, *, now: datetime | None = None) -> ReminderStats:
        """Enqueue reminders and escalations for questions left unanswered too long."""
        with self.session() as session:
            return self.reminders.run(session, now=now or self.clock())

    def spikes(self, *, now: datetime | None = None, since: datetime | None = None) -> list[Spike]:
        """Enqueue one alert per new spike in topic or negative volume; returns those raised.

        ``since`` also judges the windows from then on (the demo looks back over its data)."""
        if not self.settings.spikes.enabled:
            return []
        now = now or self.clock()
        with self.session() as session:
            found = self.spike_detector.detect(session, now, since=since)
            return raise_spike_alerts(session, found, now)

    async def deliver(self) -> DrainStats:
        """Drain the outbox once."""
        with self.session() as session:
            stats = await self.outbox.drain(session, limit=10_000)
        self.metrics.delivered(stats)
        return stats

    def apply_retention(self, now: datetime | None = None) -> dict[str, int]:
        """Clear personal data older than the ``privacy`` windows (rows changed per kind)."""
        with self.session() as session:
            cleared = apply_retention(session, self.settings.privacy, now or self.clock())
        self.metrics.retained(cleared)
        if any(cleared.values()):
            log.info("retention: cleared %s", ", ".join(f"{k} {n}" for k, n in cleared.items()))
        return cleared

    async def cycle(self, *, spikes_since: datetime | None = None) -> dict[str, Any]:
        """Poll every source until caught up, classify, triage, remind, look for spikes
        (``spikes_since``: from then on), and deliver."""
        polls = [r for name in self.sources for r in await self.poll_until_caught_up(name)]
        classified = self.classify()
        triaged = self.triage()
        reminded = self.remind()
        spikes = self.spikes(since=spikes_since)
        delivered = await self.deliver()
        return {
            "polls": polls,
            "classified": classified,
            "triage": triaged,
            "reminders": reminded,
            "spikes": spikes,
            "delivery": delivered,
        }

    def digest(
        self, now: datetime, out_dir: Path, *, enqueue: bool = False, so_far: bool = False
    ) -> DigestReport:
        """Compute the last complete week before ``now`` (``so_far``: this week up to ``now``)
        in the institution's time zone, write it to ``out_dir``; optionally enqueue it for
        staff (once per week: see :mod:`bot.digest_period`)."""
        tz = ZoneInfo(self.settings.institution.timezone)
        start, end = week_so_far(now, tz) if so_far else last_complete_week(now, tz)
        with self.session() as session:
            digest = digest_for(session, self.settings, start, end)
            files = write_digest(digest, out_dir)
            if enqueue:
                enqueue_digest(session, digest, files, self.clock())
                session.commit()
        return DigestReport(digest, files)

    async def aclose(self) -> None:
        """Close connectors, the staff bot and the database."""
        for connector in {id(c): c for c in self.connectors.values()}.values():
            await connector.aclose()
        if self.staff_bot is not None:
            await self.staff_bot.aclose()
        self.engine.dispose()
