"""The digest's grouped queries against the straightforward Python count, on a random week.

The week holds the end of daylight-saving time in Amsterdam (Sunday 25 October 2026, 169
hours), posts at the same second (ties everywhere: equal counts keep the order of the first
post), own, unclassified, abusive and erased posts.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.digest import Digest, build_digest, engagement
from bot.models import Author, Classification, Post
from tests.test_digest import TZ, Week

START = datetime(2026, 10, 18, 22, 0, tzinfo=UTC)  # Monday 19 October, 00:00 CEST
END = datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # Monday 26 October, 00:00 CET
LISTED = ("praise", "complaint", "suggestion")


def random_week(session: Session, seed: int) -> None:
    """About 120 posts, a quarter of them at one of a few shared instants."""
    rng = random.Random(seed)
    w = Week(session)
    shared = [START + timedelta(hours=rng.randrange(169)) for _ in range(6)]
    shared += [START, END - timedelta(seconds=1), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    for n in range(120):
        when = (
            rng.choice(shared)
            if rng.random() < 0.25
            else START + timedelta(minutes=rng.randrange(-600, 169 * 60 + 600))
        )
        intents = tuple(i for i in (*LISTED, "question") if rng.random() < 0.3)
        w.post(
            f"p{n}",
            rng.choice(["lumenmuseum", "ann", "ben", "cy", "dee"]),
            "" if rng.random() < 0.05 else f"post {n} for @lumenmuseum",
            when,
            platform=rng.choice(["x", "mastodon", "reddit"]),
            topic=rng.choice(["events", "exhibitions", "visiting.hours", None]),
            sentiment=rng.choice(["positive", "neutral", "negative"]),
            intents=intents,
            abusive=rng.random() < 0.1,
            metrics={"likes": rng.randrange(3), "replies": rng.randrange(2)},
            classified=rng.random() < 0.85,
        )
    session.commit()


def python_figures(session: Session, digest: Digest) -> dict[str, object]:
    """The figures counted post by post in Python, in order of time then id."""
    tz = ZoneInfo(TZ)
    rows = session.execute(
        select(Post, Author, Classification)
        .join(Author, col(Author.id) == col(Post.author_id))
        .outerjoin(Classification, col(Classification.post_id) == col(Post.id))
        .where(col(Post.created_at) >= START, col(Post.created_at) < END)
        .order_by(col(Post.created_at), col(Post.id))
    ).all()
    platforms, topics, moods = Counter[str](), Counter[str](), Counter[str]()
    first = START.astimezone(tz).date()
    by_day: dict[date, Counter[str]] = {first + timedelta(days=d): Counter() for d in range(7)}
    counts = {"public": 0, "own": 0, "abusive": 0}
    lists: dict[str, list[Post]] = {name: [] for name in (*LISTED, "waiting")}
    waiting = set(digest.responses.waiting_posts()) if digest.responses else set()
    for post, _, analysis in rows:
        if post.is_own:
            counts["own"] += 1
            continue
        counts["public"] += 1
        platforms[post.platform] += 1
        if analysis is None:
            continue
        topics[analysis.top_topic or "(none)"] += 1
        moods[analysis.sentiment] += 1
        by_day[post.created_at.astimezone(tz).date()][analysis.sentiment] += 1
        if analysis.is_abusive:
            counts["abusive"] += 1
            continue
        if not post.text.strip():
            continue
        for name in LISTED:
            if analysis.intents.get(name, 0) >= 0.5:
                lists[name].append(post)
        if post.id in waiting:
            lists["waiting"].append(post)
    for name in LISTED:
        lists[name].sort(key=lambda p: (-engagement(p.metrics), -p.created_at.timestamp()))
    return {
        "counts": counts,
        "per_platform": list(platforms.most_common()),
        "per_topic": list(topics.most_common()),
        "sentiment": dict(moods),
        "by_day": [(day, list(c.items())) for day, c in by_day.items()],
        "lists": {name: [p.text for p in posts[:5]] for name, posts in lists.items()},
    }


def sql_figures(digest: Digest) -> dict[str, object]:
    """The same figures, from the digest (order included)."""
    return {
        "counts": {
            "public": digest.public_posts,
            "own": digest.own_posts,
            "abusive": digest.abusive,
        },
        "per_platform": list(digest.per_platform.items()),
        "per_topic": list(digest.per_topic.items()),
        "sentiment": {k: n for k, n in digest.sentiment.items() if n},
        "by_day": [(day, list(c.items())) for day, c in digest.sentiment_by_day.items()],
        "lists": {
            "praise": [i.text for i in digest.top_praise],
            "complaint": [i.text for i in digest.top_complaints],
            "suggestion": [i.text for i in digest.suggestions],
            "waiting": [i.text for i in digest.unanswered[:5]],
        },
    }


@pytest.mark.parametrize("seed", range(3))
def test_grouped_queries_count_as_python_does(session: Session, seed: int) -> None:
    random_week(session, seed)
    digest = build_digest(session, "Lumen", START, END, timezone=TZ)
    assert sql_figures(digest) == python_figures(session, digest)
    assert len(digest.sentiment_by_day) == 7  # the 25-hour Sunday is one day
    assert digest.public_posts > 50 and digest.abusive and digest.unanswered
