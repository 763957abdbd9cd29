"""The digest's figures against hand-computed ones, on a fixture week built in the store.

The week is Monday 2 to Sunday 8 November 2026 in Europe/Amsterdam (CET, UTC+1): it starts at
2026-11-01 23:00 UTC. Every post below says why it is there; the expected figures are counted
from this list by hand.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.db import open_engine
from bot.digest import Digest, build_digest, engagement
from bot.digest_people import Namer
from bot.models import Author, Classification, Conversation, OutboxItem, Post

TZ = "Europe/Amsterdam"
START = datetime(2026, 11, 1, 23, 0, tzinfo=UTC)  # Monday 2 November, 00:00 CET
END = START + timedelta(days=7)
ABUSIVE = "ABUSIVE-WORDS you are all idiots"
MONDAY = date(2026, 11, 2)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after Monday 2 November (negative: before), at local ``hour:minute``."""
    local = datetime(2026, 11, 2, hour, minute) + timedelta(days=day)
    return local.replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)


@dataclass
class Week:
    """Writes authors, posts, classifications and outbox items straight into the store."""

    session: Session
    authors: dict[str, Author] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # post id -> its thread's root id

    def author(
        self, handle: str, platform: str = "x", *, is_self: bool = False, name: str | None = None
    ) -> Author:
        key = f"{platform}:{handle}"
        if key not in self.authors:
            author = Author(
                platform=platform,
                platform_id=f"id-{handle}",
                handle=handle,
                name=name,
                is_self=is_self,
            )
            self.session.add(author)
            self.session.flush()
            self.authors[key] = author
        return self.authors[key]

    def post(
        self,
        pid: str,
        handle: str,
        text: str,
        when: datetime,
        *,
        platform: str = "x",
        reply_to: str | None = None,
        topic: str | None = None,
        sentiment: str = "neutral",
        intents: tuple[str, ...] = (),
        abusive: bool = False,
        mentions_self: bool = True,
        metrics: dict[str, int] | None = None,
        classified: bool = True,
        name: str | None = None,
    ) -> Post:
        own = handle == "lumenmuseum"
        author = self.author(handle, platform, is_self=own, name=name)
        root = pid if reply_to is None else self.roots[reply_to]
        self.roots[pid] = root
        conv = self._conversation(platform, root)
        post = Post(
            key=f"{platform}:{pid}",
            platform=platform,
            platform_id=pid,
            source=f"{platform}-src",
            kind="reply" if reply_to else "mention",
            author_id=author.id or 0,
            conversation_id=conv.id,
            in_reply_to_key=f"{platform}:{reply_to}" if reply_to else None,
            text=text,
            url=f"https://{platform}.example/{handle}/{pid}",
            is_own=own,
            mentions_self=mentions_self and not own,
            created_at=when,
            ingested_at=when,
            content_hash=hashlib.sha256(text.encode()).hexdigest()[:32],
            classified=classified and not own,
            triaged=True,
            metrics=metrics or {},
        )
        self.session.add(post)
        self.session.flush()
        self.posts[pid] = post
        if classified and not own:
            self.session.add(
                Classification(
                    post_id=post.id or 0,
                    model="test",
                    version="1",
                    language="en",
                    topics={topic: 0.9} if topic else {},
                    top_topic=topic,
                    sentiment=sentiment,
                    sentiment_score={"positive": 0.8, "negative": -0.8}.get(sentiment, 0.0),
                    intents={i: 0.9 for i in intents},
                    abuse=0.95 if abusive else 0.0,
                    is_abusive=abusive,
                    created_at=when,
                )
            )
        return post

    def _conversation(self, platform: str, root: str) -> Conversation:
        key = f"{platform}:{root}"
        if key not in self.conversations:
            conv = Conversation(key=key, platform=platform, state="open")
            self.session.add(conv)
            self.session.flush()
            self.conversations[key] = conv
        return self.conversations[key]

    def outbox(self, key: str, kind: str, state: str, created: datetime, **extra: Any) -> None:
        self.session.add(
            OutboxItem(
                key=key, kind=kind, channel="staff", state=state, created_at=created, **extra
            )
        )


def build_week(session: Session) -> Week:
    """The fixture week, its week before, and three earlier weeks of history."""
    w = Week(session)
    # -- earlier weeks: 3 posts on events in each of weeks -4, -3 and -2 (history for trends)
    for week in (4, 3, 2):
        for n in range(3):
            w.post(
                f"e{week}{n}", f"fan{n}", "the late was fun", at(-7 * week + n, 12), topic="events"
            )
    # -- the week before: 3 asks (Q1 answered in 6 h, Q3 in 1 h, Q2 never) and one more post
    w.post(
        "q1",
        "alice",
        "@lumenmuseum open on Monday?",
        at(-7, 10),
        intents=("question",),
        topic="visiting.hours",
    )
    w.post("r1", "lumenmuseum", "@alice closed on Mondays", at(-7, 16), reply_to="q1")
    w.post(
        "q2",
        "bob",
        "@lumenmuseum tickets?",
        at(-5, 10),
        intents=("question",),
        topic="visiting.tickets",
    )
    w.post(
        "q3",
        "carol",
        "@lumen is the lift fixed?",
        at(-4, 9),
        platform="mastodon",
        intents=("question",),
        topic="visiting.access",
    )
    w.post("r3", "lumenmuseum", "yes it is", at(-4, 10), platform="mastodon", reply_to="q3")
    w.post("p0", "carol", "lovely late", at(-1, 23, 59), platform="mastodon", topic="events")
    # -- the digest week
    # P1 Monday 00:30 CET is Sunday 23:30 UTC: in the week, on Monday; answered after 2 h
    w.post(
        "p1",
        "alice",
        "@lumenmuseum are you open on Sunday?",
        at(0, 0, 30),
        intents=("question",),
        topic="visiting.hours",
    )
    w.post("m1", "lumenmuseum", "@alice yes, 10 to 18", at(0, 2, 30), reply_to="p1")
    # P2 a complaint nobody answered, engaging (6)
    w.post(
        "p2",
        "bob",
        "@lumenmuseum the café was awful and the soup cold",
        at(1, 9),
        intents=("complaint",),
        sentiment="negative",
        topic="complaints.service",
        metrics={"likes": 5, "replies": 1},
    )
    w.post("m3", "lumenmuseum", "New show opens on Friday!", at(1, 10))
    # P3 praise, the most engaging (12), not addressed to us
    w.post(
        "p3",
        "carol",
        "Loved the new lighthouse show",
        at(2, 15),
        platform="mastodon",
        intents=("praise",),
        sentiment="positive",
        topic="exhibitions",
        metrics={"likes": 10, "reposts": 2},
        mentions_self=False,
    )
    # P8 positive, no intent, on the same day
    w.post(
        "p8",
        "frank",
        "the lighthouse show from the harbour is wonderful",
        at(2, 12),
        sentiment="positive",
        topic="exhibitions",
        mentions_self=False,
    )
    # P4 a suggestion (not an ask)
    w.post(
        "p4",
        "dave",
        "@lumen suggestion: more benches in gallery 2",
        at(3, 11),
        platform="mastodon",
        intents=("suggestion",),
        topic="visiting.facilities",
    )
    # P9 not classified yet: counted in the volumes only
    w.post("p9", "gina", "hello", at(3, 9), platform="reddit", classified=False)
    # P5 abusive: counted, never quoted; an ask left unanswered
    w.post(
        "p5",
        "eve",
        f"@lumenmuseum {ABUSIVE}",
        at(4, 20),
        intents=("complaint",),
        sentiment="negative",
        topic="complaints.service",
        abusive=True,
    )
    # P6 praise, less engaging (2)
    w.post(
        "p6",
        "alice",
        "the lighthouse show was great, thank you @lumenmuseum",
        at(5, 10),
        intents=("praise",),
        sentiment="positive",
        topic="exhibitions",
        metrics={"likes": 2},
    )
    # P7 Sunday 23:30 CET: still in the week, on Sunday; answered after 20 min
    w.post(
        "p7",
        "bob",
        "@lumenmuseum tickets for the Thursday late?",
        at(6, 23, 30),
        intents=("question",),
        topic="visiting.tickets",
    )
    w.post("m2", "lumenmuseum", "@bob on sale now", at(6, 23, 50), reply_to="p7")
    # after the week: left out
    w.post("p10", "alice", "@lumenmuseum and on Monday?", at(7, 0, 30), intents=("question",))
    # -- the outbox
    p = w.posts
    w.outbox("alert:p2", "alert", "sent", at(1, 9, 5), post_id=p["p2"].id)
    w.outbox("alert:p5", "alert", "sent", at(4, 20, 5), post_id=p["p5"].id)
    w.outbox("alert:q2", "alert", "sent", at(-5, 10, 5), post_id=p["q2"].id)  # week before
    w.outbox(
        "reply:p7",
        "reply",
        "sent",
        at(6, 23, 40),
        post_id=p["p7"].id,
        sent_at=at(6, 23, 50),
        external_id="m2",
    )
    w.outbox(
        "reply:q1",
        "reply",
        "sent",
        at(-7, 16),
        post_id=p["q1"].id,
        sent_at=at(-7, 16),
        external_id="r1",
    )  # week before
    w.outbox("reply:p2", "reply", "draft", at(1, 9, 5), post_id=p["p2"].id)
    spike = {"subject": "sentiment:negative", "count": 5, "baseline": 1.0}
    w.outbox(
        "spike:sentiment:negative:1",
        "alert",
        "sent",
        at(4, 21),
        payload={
            **spike,
            "window_start": at(4, 19).isoformat(),
            "window_end": at(4, 21).isoformat(),
        },
    )
    w.outbox(
        "spike:events:0",
        "alert",
        "sent",
        at(0, 1),
        payload={  # its window: week before
            **spike,
            "subject": "events",
            "window_start": at(-1, 19).isoformat(),
            "window_end": at(0, 1).isoformat(),
        },
    )
    w.outbox("spike:redacted", "alert", "sent", at(2, 1), payload={"redacted": True})
    session.commit()
    return w


def digest_of(session: Session, **options: Any) -> Digest:
    return build_digest(session, "Lumen Museum", START, END, timezone=TZ, **options)


@pytest.fixture(scope="module")
def week(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Digest]:
    """The fixture week's digest, computed once for the tests that only read it (on SQLite;
    the tests below that build their own week run on every configured backend)."""
    path = tmp_path_factory.mktemp("digest-week") / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = open_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as session:
        build_week(session)
        yield digest_of(session)
    engine.dispose()


def test_volumes_per_channel_and_topic(week: Digest) -> None:
    assert (week.public_posts, week.own_posts) == (9, 3)
    assert week.per_platform == {"x": 6, "mastodon": 2, "reddit": 1}
    assert week.per_topic == {
        "exhibitions": 3,
        "complaints.service": 2,
        "visiting.hours": 1,
        "visiting.tickets": 1,
        "visiting.facilities": 1,
    }
    assert (week.previous_public_posts, week.previous_per_platform) == (4, {"x": 2, "mastodon": 2})


def test_sentiment_per_local_day(week: Digest) -> None:
    assert week.sentiment == {"positive": 3, "neutral": 3, "negative": 2}
    days = {day.isoformat(): counts for day, counts in week.sentiment_by_day.items()}
    assert days == {
        "2026-11-02": {"neutral": 1},  # P1, Sunday 23:30 UTC
        "2026-11-03": {"negative": 1},
        "2026-11-04": {"positive": 2},
        "2026-11-05": {"neutral": 1},
        "2026-11-06": {"negative": 1},
        "2026-11-07": {"positive": 1},
        "2026-11-08": {"neutral": 1},  # P7, Sunday 23:30 CET
    }
    assert next(iter(week.sentiment_by_day)) == MONDAY


def test_response_against_last_week(week: Digest) -> None:
    # asked: P1 (2 h), P2 (waiting), P5 (waiting, abusive), P7 (20 min)
    assert (week.needing_answer, week.answered) == (4, 2)
    assert week.response_rate == pytest.approx(0.5)
    assert week.median_response_hours == pytest.approx((2 + 1 / 3) / 2)
    # the week before: Q1 (6 h), Q3 (1 h), Q2 never
    assert week.previous_response_rate == pytest.approx(2 / 3)
    assert week.previous_median_hours == pytest.approx(3.5)


def test_lists(week: Digest) -> None:
    assert [(i.author, i.text) for i in week.unanswered] == [
        ("bob", "@lumenmuseum the café was awful and the soup cold")
    ]
    assert week.unanswered[0].url == "https://x.example/bob/p2"
    assert [(i.author, i.engagement) for i in week.top_praise] == [("carol", 12), ("alice", 2)]
    assert [i.author for i in week.top_complaints] == ["bob"]  # not eve: abusive
    assert [i.author for i in week.suggestions] == ["dave"]
    assert week.abusive == 1


def test_outbox_figures_and_spikes(week: Digest) -> None:
    # alerts on P2 and P5, and the three spike alerts raised in the week (not the one on Q2)
    assert (week.alerts, week.replies_sent, week.drafts_waiting) == (5, 1, 1)
    [spike] = week.spikes
    assert (spike.label, spike.count, spike.baseline) == ("negative posts", 5, 1.0)
    assert spike.start == at(4, 19)


def test_emerging_topics_against_the_four_weeks_before(week: Digest) -> None:
    [emerging] = week.emerging
    assert (emerging.topic, emerging.count, emerging.weekly_mean, emerging.weeks) == (
        "exhibitions",
        3,
        0.0,
        4,
    )


def test_no_history_no_emerging_topics(session: Session) -> None:
    w = Week(session)
    for n in range(4):
        w.post(f"x{n}", f"u{n}", "show", at(1, 10 + n), topic="exhibitions")
    session.commit()
    assert digest_of(session).emerging == []  # nothing to compare with


def test_empty_week(session: Session) -> None:
    digest = digest_of(session)
    assert (digest.public_posts, digest.needing_answer, digest.response_rate) == (0, 0, None)
    assert len(digest.sentiment_by_day) == 7 and not any(digest.sentiment_by_day.values())
    assert digest.community.connectors == [] and digest.community.groups == []


def test_pseudonyms_are_stable_and_hide_handles(session: Session) -> None:
    build_week(session)
    first = digest_of(session, namer=Namer(True, "a-secret-of-16-chars", ["lumenmuseum"]))
    again = digest_of(session, namer=Namer(True, "a-secret-of-16-chars", ["lumenmuseum"]))
    other = digest_of(session, namer=Namer(True, "another-secret-16chars", ["lumenmuseum"]))
    names = [i.author for i in first.top_praise]
    assert names == [i.author for i in again.top_praise]
    assert all(n.startswith("Visitor ") and len(n) == len("Visitor ") + 6 for n in names)
    assert names != [i.author for i in other.top_praise]  # keyed by the secret
    alice = first.top_praise[1]
    assert alice.text == "the lighthouse show was great, thank you @lumenmuseum"  # ours stays
    assert alice.url is None  # https://x.example/alice/p6 names her
    assert first.top_complaints[0].text.startswith("@lumenmuseum the café")


def test_mentions_of_people_are_pseudonymised(session: Session) -> None:
    w = build_week(session)
    w.post(
        "p11",
        "dave",
        "thanks @carol and @nobody_known, see you",
        at(3, 12),
        platform="mastodon",
        intents=("praise",),
        sentiment="positive",
        topic="events",
    )
    session.commit()
    namer = Namer(True, "a-secret-of-16-chars")
    digest = digest_of(session, namer=namer)
    [item] = [i for i in digest.top_praise if "thanks" in i.text]
    carol = namer.name(w.authors["mastodon:carol"])
    assert item.text == f"thanks {carol} and @someone, see you"


def test_engagement_ignores_negative_and_unknown_counts() -> None:
    assert engagement({"likes": 3, "replies": 1, "reposts": 2, "quotes": 1, "awards": 9}) == 7
    assert engagement({"likes": -4}) == 0
    assert engagement({}) == 0
