"""The end-of-run audit: the store against what the fakes served and received.

Every check adds figures (printed by the bench, asserted by the test) and, when it fails, a
problem naming what went wrong. The digest is compared with figures computed straight from the
fakes' data: per platform from the published posts, sentiment and topic by running the same
classifier on the published texts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.app import build_analyser
from bot.classify import Analyser
from bot.db import open_engine
from bot.digest import NO_TOPIC, digest_for
from bot.digest_period import week_start
from bot.models import Classification, OutboxItem, OutboxKind, OutboxState, Post, SourceState
from config.settings import Settings
from connectors.bluesky import cursors as bluesky_cursors
from tests.fakes.common import iso_ms
from tests.fakes.world import PLATFORMS, SOURCES, World

NOT_DECIDED = (OutboxState.DRAFT.value, OutboxState.CANCELLED.value)  # drafts wait for staff


@dataclass
class Audit:
    """Figures (name -> value) and problems found."""

    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        """Record ``problem`` unless ``ok``."""
        if not ok:
            self.problems.append(problem)


def audit(
    world: World, settings: Settings, end: datetime, analyser: Analyser | None = None
) -> Audit:
    """Compare the store of ``settings`` with ``world`` after a run that ended at ``end``."""
    result = Audit()
    engine = open_engine(settings.database.url, migrate=False)
    try:
        with Session(engine) as session:
            _posts(result, world, session)
            _replies(result, world, session)
            _alerts(result, world, session)
            _cursors(result, world, session)
            _digests(result, world, session, settings, end, analyser or build_analyser(settings))
    finally:
        engine.dispose()
    return result


def _posts(result: Audit, world: World, session: Session) -> None:
    published = {(p.platform, p.id) for p in world.published()}
    rows = session.execute(
        select(col(Post.platform), col(Post.platform_id)).where(~col(Post.is_own))
    )
    stored = [(platform, pid) for platform, pid in rows]
    unique = set(stored)
    served = [p for p in world.published() if p.served]
    result.figures.update(
        {
            "posts published": len(published),
            "posts served": len(served),
            "posts stored": len(stored),
            "posts duplicated": len(stored) - len(unique),
            "posts missing": len(published - unique),
        }
    )
    for platform in PLATFORMS:
        result.figures[f"posts stored ({platform})"] = sum(1 for p, _ in stored if p == platform)
    result.check(len(stored) == len(unique), f"{len(stored) - len(unique)} posts stored twice")
    result.check(not published - unique, f"never stored: {sorted(published - unique)[:5]}")
    result.check(
        not unique - published, f"stored, never published: {sorted(unique - published)[:5]}"
    )
    result.check(len(served) == len(published), "some published posts were never served")


def _replies(result: Audit, world: World, session: Session) -> None:
    rows = session.execute(
        select(OutboxItem, col(Post.platform), col(Post.platform_id))
        .join(Post, col(Post.id) == col(OutboxItem.post_id))
        .where(col(OutboxItem.kind) == OutboxKind.REPLY.value)
    ).all()
    decided = [
        (item, platform, pid) for item, platform, pid in rows if item.state not in NOT_DECIDED
    ]
    states = Counter(item.state for item, _, _ in decided)
    received = [(name, r) for name, fake in world.fakes.items() for r in fake.ledger.replies]
    per_target = Counter((name, r.to) for name, r in received)
    duplicated = sum(n - 1 for n in per_target.values())
    sent = {(platform, pid): item for item, platform, pid in decided if item.state == "sent"}
    result.figures.update(
        {
            "replies decided": len(decided),
            "replies sent (store)": states["sent"],
            "replies sent (fakes)": len(per_target),
            "replies duplicated": duplicated,
            "replies held for staff": states["held"],
            "replies failed": states["failed"],
            "replies answered by Idempotency-Key": sum(
                f.ledger.idempotent_repeats for f in world.fakes.values()
            ),
        }
    )
    result.check(duplicated == 0, f"{duplicated} replies sent twice: {per_target.most_common(3)}")
    targets = set(per_target)
    result.check(
        set(sent) <= targets, f"recorded sent, never received: {sorted(set(sent) - targets)[:5]}"
    )
    unrecorded = targets - set(sent)
    result.check(not unrecorded, f"received, not recorded as sent: {sorted(unrecorded)[:5]}")
    waiting = states["queued"] + states["sending"]
    result.check(waiting == 0, f"{waiting} replies still queued or sending")


def _alerts(result: Audit, world: World, session: Session) -> None:
    items = list(session.scalars(select(OutboxItem).where(col(OutboxItem.kind) == "alert")))
    delivered = [item for item in items if item.state == OutboxState.SENT.value]
    staff = world.fakes["telegram"].staff
    seen = {f"{m.chat_id}:{m.message_id}" for m in staff}
    refs = [ref for item in delivered for ref in (item.external_id or "").split(",") if ref]
    result.figures.update(
        {
            "alerts decided": len(items),
            "alerts delivered": len(delivered),
            "alert messages received": len(staff),
            "alert messages repeated after a crash": len(staff) - len(set(refs)),
        }
    )
    lost = [item.key for item in items if item.state != OutboxState.SENT.value]
    result.check(not lost, f"{len(lost)} alerts not delivered: {lost[:5]}")
    result.check(set(refs) <= seen, f"alerts recorded as sent, never received: {set(refs) - seen}")


def _cursors(result: Audit, world: World, session: Session) -> None:
    mastodon, bluesky, telegram = (world.fakes[name] for name in PLATFORMS)
    expected: dict[str, Any] = {  # None: nothing was published, any cursor will do
        "mastodon": mastodon.notifications[-1]["id"] if mastodon.notifications else None,
        "bluesky": bluesky.notifications[0]["indexedAt"] if bluesky.notifications else None,
        "telegram": str(telegram.last_update_id + 1) if telegram.ledger.posts else None,
    }
    consistent = 0
    for platform in PLATFORMS:
        state = session.get(SourceState, SOURCES[platform]["name"])
        cursor = state.cursor if state else None
        if platform == "bluesky" and cursor is not None:
            cursor = iso_ms(bluesky_cursors.position(cursor))
        ok = expected[platform] is None or cursor == expected[platform]
        consistent += ok
        result.check(ok, f"{platform} cursor {cursor!r}, the fake's head is {expected[platform]!r}")
    result.figures["cursors consistent"] = f"{consistent}/{len(PLATFORMS)}"


def _digests(
    result: Audit,
    world: World,
    session: Session,
    settings: Settings,
    end: datetime,
    analyser: Analyser,
) -> None:
    """Each week's digest (the last one up to ``end``) against the fakes' data."""
    published = sorted(world.published(), key=lambda p: p.created_at)
    analyses = analyser.analyse([p.text for p in published], [None] * len(published))
    direct = dict(zip((id(p) for p in published), analyses, strict=True))
    tz = ZoneInfo(settings.institution.timezone)
    start, weeks, equal = week_start(published[0].created_at if published else end, tz), 0, 0
    intents: Counter[str] = Counter()
    threshold = settings.nlp.min_intent_score
    while start < end:
        stop = min(start + timedelta(days=7), end)
        digest = digest_for(session, settings, start, stop)
        posts = [p for p in published if start <= p.created_at < stop]
        want_platform = Counter(p.platform for p in posts)
        want_sentiment = Counter(direct[id(p)].sentiment for p in posts)
        want_topics = Counter(direct[id(p)].top_topic() or NO_TOPIC for p in posts)
        same = (
            digest.public_posts == len(posts)
            and digest.per_platform == dict(want_platform)
            and {k: v for k, v in digest.sentiment.items() if v} == dict(want_sentiment)
            and digest.per_topic == dict(want_topics)
        )
        result.check(
            same,
            f"digest {start:%Y-%m-%d}: {digest.public_posts} posts {digest.per_platform}"
            f" {digest.sentiment}; from the fakes {len(posts)} {dict(want_platform)}"
            f" {dict(want_sentiment)}",
        )
        weeks, equal = weeks + 1, equal + same
        start = stop
    for p in published:
        intents.update(k for k, v in direct[id(p)].intents.items() if v >= threshold)
    stored: Counter[str] = Counter()
    for scores in session.scalars(select(col(Classification.intents))):
        stored.update(k for k, v in scores.items() if float(v) >= threshold)
    result.check(
        stored == intents, f"intents stored {dict(stored)}, from the fakes {dict(intents)}"
    )
    result.figures.update(
        {
            "digest weeks equal to the fakes' figures": f"{equal}/{weeks}",
            "per platform": _fmt(Counter(p.platform for p in published)),
            "per sentiment": _fmt(Counter(a.sentiment for a in analyses)),
            "per intent": _fmt(intents),
        }
    )


def _fmt(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
