"""The weekly digest's figures, computed from the store in a few grouped queries.

What each section means is in ``docs/digest.md``. In short, for the window ``[start, end)``
(a Monday-to-Sunday week in the institution's time zone, see :mod:`bot.digest_period`): public
posts per channel and topic, sentiment per local day, response rate and times against the week
before (:mod:`bot.response_metrics`), questions still waiting, top praise and complaints,
suggestions, topics rising against the four weeks before, the week's spike alerts, and the
community's groups and key connectors (:mod:`bot.community`).

Abusive posts are counted, never quoted: they appear in no list, whatever the format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.community import Community, describe_community
from bot.digest_people import Namer
from bot.digest_period import week_label, weeks_before
from bot.models import (
    Author,
    Classification,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
)
from bot.response_metrics import ResponseMetrics, response_metrics
from bot.spikes import NEGATIVE
from config.settings import Settings

SENTIMENTS = ("positive", "neutral", "negative")
NO_TOPIC = "(none)"
HISTORY_WEEKS = 4  # emerging topics: this week against the weekly mean of the 4 before
EMERGING_MIN_POSTS = 3
EMERGING_FACTOR = 2.0
ENGAGEMENT = ("likes", "replies", "reposts", "quotes")
LISTED = ("praise", "complaint", "suggestion")  # intents with a list of their own
CHUNK = 500  # post ids looked up per query


@dataclass(slots=True)
class Item:
    """A post quoted in the digest (never an abusive one)."""

    author: str
    platform: str
    text: str
    url: str | None
    created_at: datetime
    topic: str | None
    engagement: int


@dataclass(slots=True)
class EmergingTopic:
    """A topic far above its usual weekly volume."""

    topic: str
    count: int
    weekly_mean: float  # over the weeks of history before (up to four)
    weeks: int


@dataclass(slots=True)
class SpikeNote:
    """A spike alert raised for a window in the digest's week (see :mod:`bot.spikes`)."""

    label: str  # "negative posts", "posts on exhibitions"
    start: datetime
    end: datetime
    count: int
    baseline: float


@dataclass(slots=True)
class Digest:
    """Everything the digest reports for ``start`` ≤ t < ``end``."""

    institution: str
    start: datetime
    end: datetime
    timezone: str = "UTC"
    public_posts: int = 0
    own_posts: int = 0
    abusive: int = 0  # counted, never quoted
    per_platform: dict[str, int] = field(default_factory=dict)
    per_topic: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    sentiment_by_day: dict[date, dict[str, int]] = field(default_factory=dict)  # local days
    previous_public_posts: int = 0
    previous_per_platform: dict[str, int] = field(default_factory=dict)
    responses: ResponseMetrics | None = None  # overall, per channel and per topic
    previous_responses: ResponseMetrics | None = None  # the week before
    alerts: int = 0  # staff alerts about the week's posts (and spikes raised in it)
    replies_sent: int = 0  # our automatic or approved replies to the week's posts, sent
    drafts_waiting: int = 0  # drafted replies to the week's posts still waiting for approval
    unanswered: list[Item] = field(default_factory=list)
    top_praise: list[Item] = field(default_factory=list)
    top_complaints: list[Item] = field(default_factory=list)
    suggestions: list[Item] = field(default_factory=list)
    emerging: list[EmergingTopic] = field(default_factory=list)
    spikes: list[SpikeNote] = field(default_factory=list)
    community: Community = field(default_factory=Community)

    @property
    def tz(self) -> ZoneInfo:
        """The institution's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def week(self) -> str:
        """The ISO week of the start (``2026-W46``)."""
        return week_label(self.start, self.tz)

    @property
    def needing_answer(self) -> int:
        """Conversations with a question, complaint or request to us this week."""
        return self.responses.overall.asked if self.responses else 0

    @property
    def answered(self) -> int:
        """Of those, the ones we answered."""
        return self.responses.overall.answered if self.responses else 0

    @property
    def response_rate(self) -> float | None:
        """Share of questions and complaints that got an answer from us."""
        return self.responses.overall.response_rate if self.responses else None

    @property
    def median_response_hours(self) -> float | None:
        """Median time to our first answer, in hours."""
        return self.responses.overall.median_hours if self.responses else None

    @property
    def p90_response_hours(self) -> float | None:
        """90th percentile of the time to our first answer, in hours."""
        return self.responses.overall.p90_hours if self.responses else None

    @property
    def previous_response_rate(self) -> float | None:
        """The response rate the week before."""
        return self.previous_responses.overall.response_rate if self.previous_responses else None

    @property
    def previous_median_hours(self) -> float | None:
        """The median time to first response the week before."""
        return self.previous_responses.overall.median_hours if self.previous_responses else None


def engagement(metrics: dict[str, Any]) -> int:
    """Likes, replies, reposts and quotes of a post (what the platform reported)."""
    return sum(max(0, int(metrics.get(name) or 0)) for name in ENGAGEMENT)


def build_digest(
    session: Session,
    institution: str,
    start: datetime,
    end: datetime,
    *,
    timezone: str = "UTC",
    namer: Namer | None = None,
    list_limit: int = 5,
    min_intent_score: float = 0.5,
    link_accounts: bool = True,
) -> Digest:
    """Compute the digest for the window ``[start, end)``."""
    digest = Digest(institution=institution, start=start, end=end, timezone=timezone)
    namer = namer or Namer()
    _response_figures(session, digest, min_intent_score)
    _volumes(session, digest)
    _lists(session, digest, namer, list_limit, min_intent_score)
    _previous_volumes(session, digest)
    _outbox_figures(session, digest)
    _emerging(session, digest)
    _spikes(session, digest)
    digest.community = describe_community(session, end, namer, link_accounts=link_accounts)
    return digest


def namer_for(settings: Settings) -> Namer:
    """How the configured digest names people (handles, or keyed pseudonyms)."""
    digest = settings.digest
    return Namer(
        digest.pseudonymise,
        digest.pseudonym_secret or settings.institution.name,
        settings.institution.handles.values(),
    )


def digest_for(session: Session, settings: Settings, start: datetime, end: datetime) -> Digest:
    """The digest of ``[start, end)`` as the configuration asks (time zone, pseudonyms)."""
    return build_digest(
        session,
        settings.institution.name,
        start,
        end,
        timezone=settings.institution.timezone,
        namer=namer_for(settings),
        min_intent_score=settings.nlp.min_intent_score,
        link_accounts=settings.digest.link_accounts,
    )


def _response_figures(session: Session, digest: Digest, min_intent_score: float) -> None:
    """Response rate and times this week and the week before (:mod:`bot.response_metrics`)."""
    digest.responses = response_metrics(
        session, digest.start, digest.end, min_intent_score=min_intent_score
    )
    before = weeks_before(digest.start, 1, digest.tz)
    digest.previous_responses = response_metrics(
        session, before, digest.start, min_intent_score=min_intent_score
    )


def _volumes(session: Session, digest: Digest) -> None:
    """Public posts per channel and topic, sentiment per local day, own and abusive posts: one
    grouped query. Counts are added up in the order of each group's first post (by time, then
    id), so that equal counts keep the order of the posts."""
    created = col(Post.created_at)
    spans = _local_days(digest)
    ends = [begin for begin, _ in spans[1:]] + [digest.end]
    day = case(*((created < end, i) for i, end in enumerate(ends)))
    week = (
        select(
            col(Post.is_own),
            col(Post.platform),
            day.label("day"),
            col(Classification.sentiment),
            col(Classification.top_topic),
            col(Classification.is_abusive),
            func.row_number().over(order_by=(created, col(Post.id))).label("seq"),
        )
        .select_from(Post)
        .outerjoin(Classification, col(Classification.post_id) == col(Post.id))
        .where(created >= digest.start, created < digest.end)
        .subquery()
    )
    w = week.c
    first = func.min(w.seq)
    rows = session.execute(
        select(
            w.is_own, w.platform, w.day, w.sentiment, w.top_topic, w.is_abusive, func.count(), first
        )
        .group_by(w.is_own, w.platform, w.day, w.sentiment, w.top_topic, w.is_abusive)
        .order_by(first)
    )
    platforms: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    sentiment: Counter[str] = Counter()
    by_day = {local: Counter[str]() for _, local in spans}  # a quiet day shows as zero
    for is_own, platform, index, mood, topic, abusive, count, _ in rows:
        if is_own:
            digest.own_posts += count
            continue
        digest.public_posts += count
        platforms[platform] += count
        if mood is None:  # not classified
            continue
        topics[topic or NO_TOPIC] += count
        sentiment[mood] += count
        by_day[spans[index][1]][mood] += count
        digest.abusive += count if abusive else 0
    digest.per_platform = dict(platforms.most_common())
    digest.per_topic = dict(topics.most_common())
    digest.sentiment = {k: sentiment.get(k, 0) for k in SENTIMENTS}
    digest.sentiment_by_day = {local: dict(c) for local, c in sorted(by_day.items())}


def _lists(
    session: Session, digest: Digest, namer: Namer, list_limit: int, min_intent_score: float
) -> None:
    """The quoted lists: top praise, complaints and suggestions (the most engaging first) and
    the questions waiting longest; never an abusive post or one erased at its author's request.
    One query for the candidates (a few columns), one for the posts quoted."""
    created = col(Post.created_at)
    flags = {
        name: col(Classification.intents)[name].as_float() >= min_intent_score for name in LISTED
    }
    rows = session.execute(
        select(
            col(Post.id),
            created,
            col(Post.metrics),
            col(Post.text),
            *(flag.label(name) for name, flag in flags.items()),
        )
        .join(Classification, col(Classification.post_id) == col(Post.id))
        .where(
            created >= digest.start,
            created < digest.end,
            ~col(Post.is_own),
            ~col(Classification.is_abusive),
            or_(*flags.values()),
        )
        .order_by(created, col(Post.id))
    ).all()
    # the most engaging first, then the latest; the same, the earlier id (a stable sort)
    ranked = sorted(rows, key=lambda r: (-engagement(r.metrics), -r.created_at.timestamp()))
    shown = {
        name: [r.id for r in ranked if r._mapping[name] and r.text.strip()][:list_limit]
        for name in LISTED
    }
    waiting = digest.responses.waiting_posts() if digest.responses else []
    shown["waiting"] = _quotable(session, waiting, list_limit * 2)
    quoted = session.execute(
        select(Post, Author, col(Classification.top_topic))
        .join(Author, col(Author.id) == col(Post.author_id))
        .join(Classification, col(Classification.post_id) == col(Post.id))
        .where(col(Post.id).in_({pid for ids in shown.values() for pid in ids}))
    ).all()
    namer.learn_mentions(session, ((post.platform, post.text) for post, _, _ in quoted))
    by_id = {post.id: (post, author, topic) for post, author, topic in quoted}

    def items(ids: list[int]) -> list[Item]:
        return [
            Item(
                author=namer.name(author),
                platform=post.platform,
                text=namer.text(post.platform, post.text),
                url=namer.url(author, post.url),
                created_at=post.created_at,
                topic=topic,
                engagement=engagement(post.metrics),
            )
            for post, author, topic in (by_id[pid] for pid in ids)
        ]

    digest.top_praise = items(shown["praise"])
    digest.top_complaints = items(shown["complaint"])
    digest.suggestions = items(shown["suggestion"])
    digest.unanswered = items(shown["waiting"])  # the longest waiting first


def _quotable(session: Session, ids: list[int], limit: int) -> list[int]:
    """The first ``limit`` of the posts ``ids`` (in that order) that may be quoted: neither
    abusive nor erased (looked up :data:`CHUNK` at a time)."""
    found: list[int] = []
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        ok = {
            pid
            for pid, text in session.execute(
                select(col(Post.id), col(Post.text))
                .join(Classification, col(Classification.post_id) == col(Post.id))
                .where(col(Post.id).in_(chunk), ~col(Classification.is_abusive))
            )
            if text.strip()
        }
        found += [pid for pid in chunk if pid in ok]
        if len(found) >= limit:
            break
    return found[:limit]


def _local_days(digest: Digest) -> list[tuple[datetime, date]]:
    """The window cut where the local date changes: ``(from, local date)`` in time order
    (midnights and daylight-saving changes fall on quarter hours in every time zone in use)."""
    step = timedelta(minutes=15)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    at = digest.start + (epoch - digest.start) % step  # the first quarter hour after the start
    spans = [(digest.start, digest.start.astimezone(digest.tz).date())]
    while at < digest.end:
        local = at.astimezone(digest.tz).date()
        if local != spans[-1][1]:
            spans.append((at, local))
        at += step
    return spans


def _previous_volumes(session: Session, digest: Digest) -> None:
    """Public posts per channel the week before (one grouped query)."""
    before = weeks_before(digest.start, 1, digest.tz)
    rows = session.execute(
        select(col(Post.platform), func.count())
        .where(
            col(Post.created_at) >= before,
            col(Post.created_at) < digest.start,
            ~col(Post.is_own),
        )
        .group_by(col(Post.platform))
    ).all()
    digest.previous_per_platform = {platform: n for platform, n in rows}
    digest.previous_public_posts = sum(digest.previous_per_platform.values())


def _count_if(*conditions: Any) -> Any:
    """``COUNT`` of the rows meeting every condition (portable: no ``FILTER`` clause)."""
    return func.count(case((and_(*conditions), 1)))


def _outbox_figures(session: Session, digest: Digest) -> None:
    """Staff alerts, replies sent and drafts waiting about the week's posts (an alert without
    a post, such as a spike's, counts in the week it was raised): one query."""
    when = func.coalesce(col(Post.created_at), col(OutboxItem.created_at))
    reply = col(OutboxItem.kind) == OutboxKind.REPLY.value
    alerts, sent, drafts = session.execute(
        select(
            _count_if(col(OutboxItem.kind) == OutboxKind.ALERT.value),
            _count_if(reply, col(OutboxItem.state) == OutboxState.SENT.value),
            _count_if(reply, col(OutboxItem.state) == OutboxState.DRAFT.value),
        )
        .select_from(OutboxItem)
        .outerjoin(Post, col(Post.id) == col(OutboxItem.post_id))
        .where(when >= digest.start, when < digest.end)
    ).one()
    digest.alerts, digest.replies_sent, digest.drafts_waiting = alerts, sent, drafts


def _emerging(session: Session, digest: Digest) -> None:
    """Topics at least :data:`EMERGING_MIN_POSTS` this week and :data:`EMERGING_FACTOR` times
    their weekly mean over the (up to four) weeks before that the store has data for."""
    bounds = [weeks_before(digest.start, w, digest.tz) for w in range(HISTORY_WEEKS, 0, -1)]
    earliest = session.scalar(select(func.min(col(Post.created_at))).where(~col(Post.is_own)))
    if earliest is None:
        return
    history = [b for b in bounds if weeks_before(b, -1, digest.tz) > earliest]
    if not history:
        return  # no week before this one to compare with
    created = col(Post.created_at)
    this_week = and_(created >= digest.start, created < digest.end)
    rows = session.execute(
        select(
            col(Classification.top_topic),
            _count_if(this_week),
            _count_if(created < digest.start),
        )
        .join(Post, col(Post.id) == col(Classification.post_id))
        .where(
            ~col(Post.is_own),
            col(Classification.top_topic).is_not(None),
            created >= history[0],
            created < digest.end,
        )
        .group_by(col(Classification.top_topic))
    ).all()
    weeks = len(history)
    found = []
    for topic, count, before in rows:
        mean = before / weeks
        if count >= EMERGING_MIN_POSTS and count >= EMERGING_FACTOR * mean and count > mean:
            found.append(EmergingTopic(str(topic), count, mean, weeks))
    digest.emerging = sorted(found, key=lambda e: (-(e.count + 1) / (e.weekly_mean + 1), e.topic))


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
        try:
            start = datetime.fromisoformat(str(payload["window_start"]))
            end = datetime.fromisoformat(str(payload["window_end"]))
            count, baseline = int(payload["count"]), float(payload["baseline"])
        except (KeyError, TypeError, ValueError):
            continue  # redacted by the retention policy, or from an older version
        if not digest.start <= start < digest.end:
            continue
        subject = str(payload.get("subject"))
        label = "negative posts" if subject == NEGATIVE else f"posts on {subject}"
        digest.spikes.append(SpikeNote(label, start, end, count, baseline))
    digest.spikes.sort(key=lambda s: (s.start, s.label))
