"""The weekly digest's figures, computed from the store in a few grouped queries."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from bot.models import (
    Author,
    Classification,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
)
from bot.response_metrics import ResponseMetrics, response_metrics


@dataclass(slots=True)
class KeyConnector:
    """A community member who links otherwise separate groups."""

    handle: str
    platform: str
    score: float
    groups: int


@dataclass(slots=True)
class Digest:
    """Everything the weekly digest reports for ``start`` ≤ t < ``end``."""

    institution: str
    start: datetime
    end: datetime
    public_posts: int = 0
    own_posts: int = 0
    per_platform: dict[str, int] = field(default_factory=dict)
    per_topic: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    sentiment_by_day: dict[date, dict[str, int]] = field(default_factory=dict)
    needing_answer: int = 0
    answered: int = 0
    median_response_hours: float | None = None
    p90_response_hours: float | None = None
    previous_public_posts: int = 0
    previous_response_rate: float | None = None
    alerts: int = 0
    replies_sent: int = 0
    drafts_waiting: int = 0
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    top_praise: list[dict[str, Any]] = field(default_factory=list)
    top_complaints: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    connectors: list[KeyConnector] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    responses: ResponseMetrics | None = None  # per channel and topic
    spikes: list[dict[str, Any]] = field(default_factory=list)  # spike alerts of the week

    @property
    def response_rate(self) -> float | None:
        """Share of questions and complaints that got an answer from us."""
        return self.answered / self.needing_answer if self.needing_answer else None


def pseudonym(handle: str) -> str:
    """A stable pseudonym for ``handle`` (for pseudonymised digests)."""
    return "visitor-" + hashlib.sha256(handle.encode()).hexdigest()[:6]


def _item(post: Post, author: Author, analysis: Classification, name: str) -> dict[str, Any]:
    return {
        "author": name,
        "platform": post.platform,
        "text": post.text if not analysis.is_abusive else "(abusive content withheld)",
        "url": post.url,
        "created_at": post.created_at,
        "topic": analysis.top_topic,
        "score": analysis.sentiment_score,
    }


def build_digest(
    session: Session,
    institution: str,
    start: datetime,
    end: datetime,
    *,
    pseudonymise: bool = False,
    list_limit: int = 10,
    min_intent_score: float = 0.5,
) -> Digest:
    """Compute the digest for the window ``[start, end)``."""
    digest = Digest(institution=institution, start=start, end=end)
    name_of = pseudonym if pseudonymise else (lambda handle: handle)
    _response_figures(session, digest, min_intent_score)
    waiting = digest.responses.waiting_posts() if digest.responses else set()
    rows = session.execute(
        select(Post, Author, Classification)
        .join(Author, col(Author.id) == col(Post.author_id))
        .outerjoin(Classification, col(Classification.post_id) == col(Post.id))
        .where(col(Post.created_at) >= start, col(Post.created_at) < end)
        .order_by(col(Post.created_at))
    ).all()
    platforms: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    by_day: dict[date, Counter[str]] = defaultdict(Counter)
    praise, complaints, suggestions, unanswered = [], [], [], []
    for post, author, analysis in rows:
        if post.is_own:
            digest.own_posts += 1
            continue
        digest.public_posts += 1
        platforms[post.platform] += 1
        if analysis is None:
            continue
        topics[analysis.top_topic or "(none)"] += 1
        sentiment[analysis.sentiment] += 1
        by_day[post.created_at.date()][analysis.sentiment] += 1
        intents = {k for k, v in analysis.intents.items() if float(v) >= 0.5}
        item = _item(post, author, analysis, name_of(author.handle))
        if analysis.is_abusive:
            continue
        if "praise" in intents:
            praise.append(item)
        if "complaint" in intents:
            complaints.append(item)
        if "suggestion" in intents:
            suggestions.append(item)
        if post.id in waiting:
            unanswered.append(item)
    digest.per_platform = dict(platforms.most_common())
    digest.per_topic = dict(topics.most_common())
    digest.sentiment = {k: sentiment.get(k, 0) for k in ("positive", "neutral", "negative")}
    digest.sentiment_by_day = {day: dict(c) for day, c in sorted(by_day.items())}
    digest.top_praise = sorted(praise, key=lambda i: -i["score"])[:list_limit]
    digest.top_complaints = sorted(complaints, key=lambda i: i["score"])[:list_limit]
    digest.suggestions = suggestions[:list_limit]
    digest.unanswered = unanswered[: list_limit * 3]
    _outbox_figures(session, digest)
    _spikes(session, digest)
    digest.previous_public_posts = (
        session.scalar(
            select(func.count())
            .select_from(Post)
            .where(
                col(Post.created_at) >= start - timedelta(days=7),
                col(Post.created_at) < start,
                ~col(Post.is_own),
            )
        )
        or 0
    )
    digest.connectors, digest.groups = key_connectors(session, start, end, name_of)
    return digest


def _response_figures(session: Session, digest: Digest, min_intent_score: float) -> None:
    """Response rate and times this week and last (see :mod:`bot.response_metrics`)."""
    metrics = response_metrics(session, digest.start, digest.end, min_intent_score=min_intent_score)
    digest.responses = metrics
    digest.needing_answer, digest.answered = metrics.overall.asked, metrics.overall.answered
    digest.median_response_hours = metrics.overall.median_hours
    digest.p90_response_hours = metrics.overall.p90_hours
    week = timedelta(days=7)
    previous = response_metrics(
        session, digest.start - week, digest.start, min_intent_score=min_intent_score
    )
    digest.previous_response_rate = previous.overall.response_rate


def _spikes(session: Session, digest: Digest) -> None:
    """Spike alerts whose window starts in the digest's week (see :mod:`bot.spikes`)."""
    payloads = session.scalars(
        select(col(OutboxItem.payload))
        .where(
            col(OutboxItem.key).startswith("spike:"),
            col(OutboxItem.created_at) >= digest.start,  # never before its window
        )
        .order_by(col(OutboxItem.key))
    )
    for payload in payloads:
        window = datetime.fromisoformat(str(payload.get("window_start")))
        if digest.start <= window < digest.end:
            digest.spikes.append(payload)


def _outbox_figures(session: Session, digest: Digest) -> None:
    items = session.execute(
        select(col(OutboxItem.kind), col(OutboxItem.state), col(OutboxItem.created_at)).where(
            col(OutboxItem.created_at) >= digest.start - timedelta(days=30)
        )
    ).all()
    for kind, state, _created in items:
        if kind == OutboxKind.ALERT.value:
            digest.alerts += 1
        elif kind == OutboxKind.REPLY.value and state == OutboxState.SENT.value:
            digest.replies_sent += 1
        elif kind == OutboxKind.REPLY.value and state == OutboxState.DRAFT.value:
            digest.drafts_waiting += 1


def key_connectors(
    session: Session, start: datetime, end: datetime, name_of: Any, *, top: int = 5
) -> tuple[list[KeyConnector], list[list[str]]]:
    """Bridges in the reply graph of the public: high betweenness, touching several groups."""
    parent = aliased(Post)
    parent_author = aliased(Author)
    edges = session.execute(
        select(col(Author.handle), col(Author.platform), col(parent_author.handle))
        .select_from(Post)
        .join(Author, col(Author.id) == col(Post.author_id))
        .join(parent, col(parent.key) == col(Post.in_reply_to_key))
        .join(parent_author, col(parent_author.id) == col(parent.author_id))
        .where(
            col(Post.created_at) >= start - timedelta(days=21),
            col(Post.created_at) < end,
            ~col(Author.is_self),
            ~col(parent_author.is_self),
        )
    ).all()
    graph: nx.Graph = nx.Graph()
    platform_of: dict[str, str] = {}
    for source, platform, target in edges:
        if source != target:
            graph.add_edge(source, target)
            platform_of.setdefault(source, platform)
    if graph.number_of_nodes() < 3:
        return [], []
    communities = [set(c) for c in nx.algorithms.community.greedy_modularity_communities(graph)]
    group_of = {node: i for i, group in enumerate(communities) for node in group}
    centrality = nx.betweenness_centrality(graph)
    bridges = []
    for node, score in sorted(centrality.items(), key=lambda kv: -kv[1]):
        touched = {group_of[n] for n in graph.neighbors(node)} | {group_of[node]}
        if score > 0 and len(touched) > 1:
            bridges.append(
                KeyConnector(name_of(node), platform_of.get(node, "?"), score, len(touched))
            )
        if len(bridges) == top:
            break
    groups = [sorted(name_of(n) for n in group)[:8] for group in communities if len(group) >= 3]
    return bridges, groups
