"""Response metrics: how often and how fast we answer, per channel and per topic.

For a window ``[start, end)`` (two queries, then Python):

- **our conversations**: threads with a post in the window in which we posted, or in which the
  public addressed us (a mention, a reply to us, a direct message);
- **asked**: those with a question, complaint or request addressed to us posted in the window
  (muted conversations are left out: staff chose not to engage);
- **answered**: a post of ours after the first such ask, before ``end`` (staff posting on the
  platform, which comes back through the connectors, or a bot reply the outbox sent);
- **time to first response**: from that first ask to our first post after it (median and 90th
  percentile, in hours);
- **dialogue**: more than one exchange, i.e. the turn passed between the public and us at
  least twice (a question, our answer and their follow-up; not a one-way announcement).

A conversation's channel is its platform and the source of its first ask (else its first
post); its topic is the first ask's top topic (else the first public post's that has one).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.conversations import ASKS, addressed
from bot.models import (
    Classification,
    Conversation,
    ConversationState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
)

NO_TOPIC = "(none)"


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (linear between the closest ranks)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(slots=True)
class Figures:
    """Response figures for one group of conversations."""

    conversations: int = 0
    dialogues: int = 0
    asked: int = 0
    answered: int = 0
    hours: list[float] = field(default_factory=list, repr=False)

    @property
    def response_rate(self) -> float | None:
        """Share of asked conversations we answered."""
        return self.answered / self.asked if self.asked else None

    @property
    def dialogue_share(self) -> float | None:
        """Share of our conversations with more than one exchange."""
        return self.dialogues / self.conversations if self.conversations else None

    @property
    def median_hours(self) -> float | None:
        """Median time to first response, in hours."""
        return statistics.median(self.hours) if self.hours else None

    @property
    def p90_hours(self) -> float | None:
        """90th percentile of the time to first response, in hours."""
        return percentile(self.hours, 0.9) if self.hours else None

    def add(self, outcome: Outcome) -> None:
        """Count one conversation in."""
        self.conversations += 1
        self.dialogues += outcome.exchanges > 1
        if outcome.asked_at is not None and outcome.state != ConversationState.MUTED.value:
            self.asked += 1
            if outcome.response_hours is not None:
                self.answered += 1
                self.hours.append(outcome.response_hours)


@dataclass(slots=True)
class Outcome:
    """One conversation of ours in the window."""

    conversation_id: int
    platform: str
    source: str
    topic: str
    state: str
    exchanges: int
    ask_post_id: int | None = None
    asked_at: datetime | None = None
    responded_at: datetime | None = None

    @property
    def response_hours(self) -> float | None:
        """Hours from the first ask to our first answer (None if unanswered)."""
        if self.asked_at is None or self.responded_at is None:
            return None
        return max(0.0, (self.responded_at - self.asked_at).total_seconds() / 3600)

    @property
    def waiting(self) -> bool:
        """Asked, unanswered and neither handled nor muted by staff."""
        return (
            self.asked_at is not None
            and self.responded_at is None
            and self.state not in (ConversationState.HANDLED.value, ConversationState.MUTED.value)
        )


@dataclass(slots=True)
class ResponseMetrics:
    """Response figures for ``start`` ≤ t < ``end``: overall, per channel, per topic."""

    start: datetime
    end: datetime
    overall: Figures = field(default_factory=Figures)
    by_platform: dict[str, Figures] = field(default_factory=dict)
    by_source: dict[str, Figures] = field(default_factory=dict)
    by_topic: dict[str, Figures] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def waiting_posts(self) -> list[int]:
        """The first asks of conversations still waiting for us, the longest waiting first."""
        asks = [
            (o.asked_at, o.ask_post_id)
            for o in self.outcomes
            if o.waiting and o.asked_at is not None and o.ask_post_id is not None
        ]
        return [post_id for _, post_id in sorted(asks)]


@dataclass(slots=True)
class _Event:
    at: datetime
    own: bool
    row: Any = None  # the post row (None for a sent reply not fetched back yet)


def _events(
    session: Session, start: datetime, end: datetime, min_intent_score: float
) -> tuple[dict[int, list[_Event]], dict[int, str]]:
    """Every post and sent reply before ``end`` in conversations active in the window; a post
    row says whether it asks something of us (``ask``: an intent of :data:`ASKS` scored at
    least ``min_intent_score``), not which intents it has."""
    active = (
        select(col(Post.conversation_id))
        .where(col(Post.created_at) >= start, col(Post.created_at) < end)
        .distinct()
    )
    rows = session.execute(
        select(
            col(Post.id),
            col(Post.conversation_id),
            col(Post.platform_id),
            col(Post.platform),
            col(Post.source),
            col(Post.created_at),
            col(Post.is_own),
            col(Post.mentions_self),
            or_(
                *(
                    col(Classification.intents)[name].as_float() >= min_intent_score
                    for name in sorted(ASKS)
                )
            ).label("ask"),
            col(Classification.top_topic),
            col(Conversation.state),
        )
        .join(Conversation, col(Conversation.id) == col(Post.conversation_id))
        .outerjoin(Classification, col(Classification.post_id) == col(Post.id))
        .where(col(Post.conversation_id).in_(active), col(Post.created_at) < end)
    ).all()
    events: dict[int, list[_Event]] = defaultdict(list)
    states: dict[int, str] = {}
    own_ids: set[tuple[int, str]] = set()
    for row in rows:
        events[row.conversation_id].append(_Event(row.created_at, row.is_own, row))
        states[row.conversation_id] = row.state
        if row.is_own:
            own_ids.add((row.conversation_id, row.platform_id))
    replies = session.execute(
        select(col(Post.conversation_id), col(OutboxItem.sent_at), col(OutboxItem.external_id))
        .join(Post, col(Post.id) == col(OutboxItem.post_id))
        .where(
            col(OutboxItem.kind) == OutboxKind.REPLY.value,
            col(OutboxItem.state) == OutboxState.SENT.value,
            col(OutboxItem.sent_at) < end,
            col(Post.conversation_id).in_(active),
        )
    ).all()
    for conv_id, sent_at, external_id in replies:
        if conv_id is not None and sent_at is not None and (conv_id, external_id) not in own_ids:
            events[conv_id].append(_Event(sent_at, True))
    for conv_events in events.values():
        conv_events.sort(key=lambda e: (e.at, e.own))
    return events, states


def _outcome(conv_id: int, events: list[_Event], state: str, start: datetime) -> Outcome | None:
    """What happened in one conversation, or None if it is not ours."""
    in_thread = any(e.own for e in events)
    posts = [e.row for e in events if e.row is not None]
    public = [r for r in posts if not r.is_own]
    mentioned = any(r.mentions_self for r in public)
    if not (in_thread or mentioned):
        return None
    asks = [
        r
        for r in public
        if r.created_at >= start and r.ask and addressed(r.mentions_self, in_thread)
    ]
    first = asks[0] if asks else None
    topical = next((r for r in public if r.top_topic), None)
    origin = first or (public[0] if public else posts[0])
    exchanges = sum(1 for a, b in pairwise(events) if a.own != b.own)
    outcome = Outcome(
        conversation_id=conv_id,
        platform=origin.platform,
        source=origin.source,
        topic=(first.top_topic if first else None)
        or (topical.top_topic if topical else None)
        or NO_TOPIC,
        state=state,
        exchanges=exchanges,
    )
    if first is not None:
        outcome.ask_post_id, outcome.asked_at = first.id, first.created_at
        outcome.responded_at = next(
            (e.at for e in events if e.own and e.at >= first.created_at), None
        )
    return outcome


def response_metrics(
    session: Session, start: datetime, end: datetime, *, min_intent_score: float = 0.5
) -> ResponseMetrics:
    """Response rate, times and dialogue share for ``[start, end)``, overall and per group."""
    metrics = ResponseMetrics(start=start, end=end)
    events, states = _events(session, start, end, min_intent_score)
    for conv_id in sorted(events):
        outcome = _outcome(conv_id, events[conv_id], states[conv_id], start)
        if outcome is None:
            continue
        metrics.outcomes.append(outcome)
        metrics.overall.add(outcome)
        for groups, name in (
            (metrics.by_platform, outcome.platform),
            (metrics.by_source, outcome.source),
            (metrics.by_topic, outcome.topic),
        ):
            groups.setdefault(name, Figures()).add(outcome)
    return metrics


#: column titles of :func:`table_rows`
TABLE_HEADER = ("", "asked", "answered", "median", "90% within", "dialogue")


def format_rate(value: float | None) -> str:
    """A share as a percentage ("–" when there is nothing to divide)."""
    return "–" if value is None else f"{value:.0%}"


def format_hours(value: float | None) -> str:
    """A duration in hours ("–" when unknown)."""
    return "–" if value is None else f"{value:.1f} h"


def table_rows(groups: dict[str, Figures], limit: int = 8) -> list[tuple[str, ...]]:
    """The busiest ``limit`` groups as rows under :data:`TABLE_HEADER`."""
    busiest = sorted(groups.items(), key=lambda kv: (-kv[1].asked, -kv[1].conversations, kv[0]))
    return [
        (
            name,
            str(f.asked),
            format_rate(f.response_rate),
            format_hours(f.median_hours),
            format_hours(f.p90_hours),
            format_rate(f.dialogue_share),
        )
        for name, f in busiest[:limit]
    ]
