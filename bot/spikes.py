"""Spike alerts: a topic, or negative sentiment, suddenly far above its usual volume.

Time is cut into windows of ``spikes.window_hours`` (aligned on UTC midnight). For the window
in progress, the public posts so far are counted per top topic and for negative sentiment, and
compared with the same stretch of the week (same hour of week) in each of the last
``lookback_weeks`` weeks the store has history for. A count is a spike when it reaches
``min_posts`` and exceeds ``mean + threshold * spread``, where the spread is the standard
deviation of the weekly counts but at least ``sqrt(mean)`` and 1 (the noise of a count), so a
few quiet weeks do not make every small rise a spike. Without a week of history nothing is
judged.

Each spike raises **one** staff alert with example posts, under the key
``spike:<subject>:<window start>`` (the subject is the topic, or ``sentiment:negative``); a
spike that goes on into the next window is the same spike and raises nothing more.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Author, Classification, OutboxItem, OutboxKind, OutboxState, Post
from bot.store import insert_ignoring_conflicts
from config.settings import SpikeSettings

NEGATIVE = "sentiment:negative"
WEEK = timedelta(days=7)
EXAMPLES = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Spike:
    """A subject's count in a window, far above the same window in earlier weeks."""

    subject: str  # a topic key, or NEGATIVE
    window_start: datetime
    until: datetime  # the end of the counted part of the window
    count: int
    baseline: float  # mean count of the same stretch in earlier weeks
    threshold: float  # the count had to exceed this
    weeks: int  # how many earlier weeks the baseline uses
    examples: tuple[int, ...] = ()  # post ids, earliest first, one per author

    @property
    def key(self) -> str:
        """The alert's idempotency key."""
        return f"spike:{self.subject}:{self.window_start:%Y-%m-%dT%H:%MZ}"

    @property
    def label(self) -> str:
        """What rose, in words."""
        return "negative posts" if self.subject == NEGATIVE else f"posts on {self.subject}"


def window_start(at: datetime, hours: int) -> datetime:
    """The start of the ``hours``-long window holding ``at`` (windows align on UTC midnight)."""
    size = hours * 3600
    seconds = int((at - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % size)


@dataclass(slots=True)
class _Series:
    """Post times per subject, sorted, counted by bisection."""

    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    posts: dict[str, list[tuple[datetime, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, subject: str, at: datetime, post_id: int, author_id: int) -> None:
        self.times[subject].append(at)
        self.posts[subject].append((at, post_id, author_id))

    def sort(self) -> None:
        for values in self.times.values():
            values.sort()
        for items in self.posts.values():
            items.sort()

    def count(self, subject: str, start: datetime, end: datetime) -> int:
        times = self.times.get(subject, [])
        return bisect_left(times, end) - bisect_left(times, start)

    def examples(self, subject: str, start: datetime, end: datetime) -> tuple[int, ...]:
        chosen: list[int] = []
        authors: set[int] = set()
        for at, post_id, author_id in self.posts.get(subject, []):
            if start <= at < end and author_id not in authors:
                chosen.append(post_id)
                authors.add(author_id)
                if len(chosen) == EXAMPLES:
                    break
        return tuple(chosen)


def _series(session: Session, start: datetime, end: datetime) -> _Series:
    """Classified public posts in ``[start, end)``: one query."""
    rows = session.execute(
        select(
            col(Post.id),
            col(Post.author_id),
            col(Post.created_at),
            col(Classification.top_topic),
            col(Classification.sentiment),
        )
        .join(Classification, col(Classification.post_id) == col(Post.id))
        .where(~col(Post.is_own), col(Post.created_at) >= start, col(Post.created_at) < end)
    )
    series = _Series()
    for post_id, author_id, created_at, topic, sentiment in rows:
        assert post_id is not None
        if topic:
            series.add(topic, created_at, post_id, author_id)
        if sentiment == "negative":
            series.add(NEGATIVE, created_at, post_id, author_id)
    series.sort()
    return series


class SpikeDetector:
    """Judges windows against their hour-of-week baseline (see the module docstring)."""

    def __init__(self, settings: SpikeSettings) -> None:
        self.settings = settings
        self.window = timedelta(hours=settings.window_hours)

    def detect(
        self, session: Session, now: datetime, *, since: datetime | None = None
    ) -> list[Spike]:
        """Spikes that start in a window from ``since`` (default: the previous window) to
        ``now``; a spike already under way in the window before is not repeated."""
        current = window_start(now, self.settings.window_hours)
        first = window_start(since, self.settings.window_hours) if since else current - self.window
        first = min(first, current)
        earliest = session.scalar(select(func.min(col(Post.created_at))).where(~col(Post.is_own)))
        if earliest is None:
            return []
        history = window_start(earliest, self.settings.window_hours)
        lookback = self.settings.lookback_weeks * WEEK
        series = _series(session, max(history, first - self.window - lookback), now)
        spikes: list[Spike] = []
        before = self._judge(series, first - self.window, now, history)
        start = first
        while start <= current:
            found = self._judge(series, start, now, history)
            spikes += [spike for subject, spike in found.items() if subject not in before]
            before, start = found, start + self.window
        return spikes

    def _judge(
        self, series: _Series, start: datetime, now: datetime, history: datetime
    ) -> dict[str, Spike]:
        """The subjects spiking in the window starting at ``start`` (counted up to ``now``)."""
        end = min(start + self.window, now)
        weeks = [
            w for w in range(1, self.settings.lookback_weeks + 1) if start - w * WEEK >= history
        ]
        found: dict[str, Spike] = {}
        if not weeks or end <= start:
            return found
        for subject in series.times:
            count = series.count(subject, start, end)
            if count < self.settings.min_posts:
                continue
            past = [series.count(subject, start - w * WEEK, end - w * WEEK) for w in weeks]
            mean = statistics.fmean(past)
            spread = max(statistics.pstdev(past), math.sqrt(mean), 1.0)
            threshold = mean + self.settings.threshold * spread
            if count > threshold:
                found[subject] = Spike(
                    subject=subject,
                    window_start=start,
                    until=end,
                    count=count,
                    baseline=mean,
                    threshold=threshold,
                    weeks=len(weeks),
                    examples=series.examples(subject, start, end),
                )
        return found


def spike_payload(spike: Spike, examples: Iterable[tuple[Post, Author]]) -> dict[str, Any]:
    """What a spike alert shows: the figures and a few example posts."""
    shown: list[dict[str, Any]] = [
        {
            "author": author.handle,
            "platform": post.platform,
            "text": post.text,
            "url": post.url,
            "created_at": post.created_at.isoformat(),
        }
        for post, author in examples
    ]
    hours = (spike.until - spike.window_start).total_seconds() / 3600
    return {
        "kind": "spike",
        "subject": spike.subject,
        "window_start": spike.window_start.isoformat(),
        "window_end": spike.until.isoformat(),
        "count": spike.count,
        "baseline": round(spike.baseline, 2),
        "threshold": round(spike.threshold, 2),
        "weeks": spike.weeks,
        "examples": shown,
        # the fields every staff alert has
        "author": f"{spike.count} {spike.label} in {hours:.0f} h",
        "platform": ", ".join(sorted({e["platform"] for e in shown})) or "-",
        "topic": None if spike.subject == NEGATIVE else spike.subject,
        "sentiment": "negative" if spike.subject == NEGATIVE else None,
        "intents": [],
        "text": "\n".join(f"{e['author']} on {e['platform']}: {e['text']}" for e in shown),
        "url": shown[0]["url"] if shown else None,
        "rule": "spike",
        "why": f"usually {spike.baseline:.1f} at this time of the week (last {spike.weeks}"
        f" week{'s' if spike.weeks > 1 else ''}); alert above {spike.threshold:.1f}",
        "action": "spike",
        "priority": "high",
        "to": "staff",
    }


def raise_spike_alerts(session: Session, spikes: list[Spike], now: datetime) -> list[Spike]:
    """Enqueue one alert per spike not alerted before (committed); returns those enqueued."""
    if not spikes:
        return []
    known = set(
        session.scalars(
            select(col(OutboxItem.key)).where(col(OutboxItem.key).in_([s.key for s in spikes]))
        )
    )
    fresh = [s for s in spikes if s.key not in known]
    ids = {pid for s in fresh for pid in s.examples}
    rows = session.execute(
        select(Post, Author)
        .join(Author, col(Author.id) == col(Post.author_id))
        .where(col(Post.id).in_(ids))
    )
    posts = {post.id: (post, author) for post, author in rows}
    items = [
        {
            "key": spike.key,
            "kind": OutboxKind.ALERT.value,
            "channel": "staff",
            "state": OutboxState.QUEUED.value,
            "post_id": spike.examples[0] if spike.examples else None,
            "priority": "high",
            "payload": spike_payload(spike, [posts[p] for p in spike.examples if p in posts]),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for spike in fresh
    ]
    insert_ignoring_conflicts(session, OutboxItem, items)
    session.commit()
    return fresh
