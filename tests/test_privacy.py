"""Privacy: retention windows, export and erasure of an author, posts deleted on the platform."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.models import (
    Author,
    Classification,
    Correction,
    Decision,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    StaffAction,
)
from bot.privacy import (
    ERASE_ACTION,
    PrivacyError,
    apply_retention,
    erase_author,
    export_author,
)
from bot.service import Service
from bot.store import store_posts
from config.errors import ConfigError
from config.settings import PrivacySettings
from connectors.base import Author as IncomingAuthor
from connectors.base import Post as IncomingPost
from connectors.replay import ReplayConnector, ReplaySettings
from tests.helpers import (
    COMPLAINTS_RULE,
    MUSEUM,
    T0,
    TICKETS_RULE,
    KeywordAnalyser,
    make_post,
    replay_settings,
    settings_from,
)

ANA = IncomingAuthor(id="u-ana", handle="Ana_Visits", name="Ana Example")
BEN = IncomingAuthor(id="u-ben", handle="ben", name="Ben Example")


def post_by(
    pid: str, author: IncomingAuthor, text: str, *, days: float = 0, **extra: Any
) -> IncomingPost:
    """A post ``days`` after T0 (with a URL naming its author, as most platforms' URLs do)."""
    return make_post(
        pid,
        text,
        author=author,
        minutes=int(days * 24 * 60),
        url=f"https://x.com/{author.handle}/status/{pid}",
        **extra,
    )


def stored(session: Session, pid: str) -> Post:
    session.expire_all()
    return session.scalars(select(Post).where(col(Post.key) == f"x:{pid}")).one()


def author_row(session: Session, platform_id: str) -> Author:
    session.expire_all()
    return session.scalars(select(Author).where(col(Author.platform_id) == platform_id)).one()


# -- retention ------------------------------------------------------------------------------


def test_retention_clears_raw_then_text_then_handles_in_place(session: Session) -> None:
    store_posts(
        session,
        [
            post_by("old", ANA, "a year-old complaint", days=0),
            post_by("mid", BEN, "last month", days=330),
            post_by("new", BEN, "this week", days=364),
            post_by("own", MUSEUM, "our old post", days=0),
        ],
    )
    old_id = stored(session, "old").id
    assert old_id is not None
    session.add(
        Classification(
            post_id=old_id,
            model="m",
            version="1",
            language="en",
            sentiment="negative",
            sentiment_score=-0.8,
            abuse=0.0,
            is_abusive=False,
            created_at=T0,
        )
    )
    old_alert = OutboxItem(
        key="alert:old",
        kind=OutboxKind.ALERT.value,
        channel="staff",
        state=OutboxState.SENT.value,
        payload={"author": "Ana_Visits", "text": "a year-old complaint"},
        created_at=T0,
    )
    waiting = OutboxItem(
        key="alert:waiting",
        kind=OutboxKind.ALERT.value,
        channel="staff",
        state=OutboxState.DRAFT.value,  # staff have not decided yet: kept
        payload={"author": "Ana_Visits", "text": "a year-old complaint"},
        created_at=T0,
    )
    session.add_all([old_alert, waiting])
    session.commit()
    now = T0 + timedelta(days=365)
    privacy = PrivacySettings(raw_days=30, text_days=200, handles_days=300)

    cleared = apply_retention(session, privacy, now)

    assert cleared == {"raw": 3, "text": 2, "handles": 1, "payloads": 1}
    old, mid, new = (stored(session, pid) for pid in ("old", "mid", "new"))
    assert (old.text, old.raw, old.url) == ("", {}, None)  # text gone, handle gone from URL
    assert (mid.text, mid.raw) == ("last month", {})  # past the raw window only
    assert (new.text, new.raw) == ("this week", {"id": "new"})
    assert stored(session, "own").text == ""  # our own posts age like the rest...
    assert author_row(session, "1").handle == "lumenmuseum"  # ...but our handle stays
    ana = author_row(session, "u-ana")
    assert ana.handle == f"visitor-{ana.id}" and ana.name is None and ana.pseudonymised
    assert author_row(session, "u-ben").handle == "ben"  # posted within the window
    assert session.get(Classification, old.id) is not None  # the classification stays
    assert session.get(OutboxItem, old_alert.id).payload == {"redacted": True}  # type: ignore[union-attr]
    assert session.get(OutboxItem, waiting.id).payload["text"]  # type: ignore[union-attr]
    again = apply_retention(session, privacy, now)
    assert again == {"raw": 0, "text": 0, "handles": 0, "payloads": 0}


def test_a_pseudonymised_author_who_posts_again_gets_their_handle_back(session: Session) -> None:
    store_posts(session, [post_by("1", ANA, "hello", days=0)])
    session.commit()
    apply_retention(session, PrivacySettings(raw_days=10, handles_days=10), T0 + timedelta(days=20))
    assert author_row(session, "u-ana").pseudonymised
    store_posts(session, [post_by("2", ANA, "back again", days=21)])
    session.commit()
    ana = author_row(session, "u-ana")
    assert (ana.handle, ana.pseudonymised) == ("Ana_Visits", False)


def test_windows_without_raw_first_are_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"privacy: .*text_days is 365 but raw_days is None"):
        settings_from({"privacy": {"text_days": 365}})
    with pytest.raises(ConfigError, match=r"set raw_days to 30 or less"):
        settings_from({"privacy": {"raw_days": 60, "handles_days": 30}})
    assert settings_from({"privacy": {"raw_days": 30, "text_days": 365}}).privacy.text_days == 365


def test_the_service_schedules_retention_only_when_a_window_is_set(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    keep = Salon(settings_from({"database": {"url": url}}), connectors={})
    limited = Salon(
        settings_from({"database": {"url": url}, "privacy": {"raw_days": 30}}), connectors={}
    )
    assert "retention" not in [job.name for job in Service(keep).jobs()]
    assert "retention" in [job.name for job in Service(limited).jobs()]
    keep.engine.dispose()
    limited.engine.dispose()


# -- export and erasure ---------------------------------------------------------------------


async def world(tmp_path: Path) -> Salon:
    """Ana asks about tickets (auto-reply) and complains (alert); Ben praises; we answer Ana."""
    posts = [
        post_by("1", ANA, "are tickets on sale?"),
        post_by("2", ANA, "awful queue", days=0.01),
        post_by("3", BEN, "love it", days=0.02),
        post_by("4", MUSEUM, "Sorry Ana_Visits, we are on it", days=0.03, reply_to="2", root="2"),
    ]
    settings = replay_settings(
        tmp_path,
        posts,
        template="Hi {{ author }}, tickets: {{ facts.url }}",
        rules=(TICKETS_RULE, COMPLAINTS_RULE),
    )
    connector = ReplayConnector(ReplaySettings(replies_path=tmp_path / "replies.jsonl"))
    salon = Salon(
        settings,
        analyser=KeywordAnalyser(),
        sink=ConsoleSink(quiet=True),
        connectors={"s": connector},
    )
    await salon.poll("s")
    salon.classify()
    salon.triage()
    with salon.session() as session:
        complaint = session.scalars(select(Post).where(col(Post.key) == "x:2")).one()
        alert = session.scalars(select(OutboxItem).where(col(OutboxItem.kind) == "alert")).one()
        assert complaint.id is not None and alert.id is not None
        session.add(
            Correction(
                post_id=complaint.id,
                task="sentiment",
                labels=["negative"],
                actor="bea",
                created_at=T0,
            )
        )
        session.add(
            StaffAction(actor="bea", action="assign", outbox_id=alert.id, payload={}, created_at=T0)
        )
        session.commit()
    return salon


async def test_export_gathers_everything_about_the_author(tmp_path: Path) -> None:
    salon = await world(tmp_path)
    with salon.session() as session:
        data = export_author(session, "@ana_visits")  # case and @ do not matter
    json.dumps(data)  # JSON-able as it is
    [account] = data["authors"]
    assert account["author"]["handle"] == "Ana_Visits"
    assert [p["key"] for p in account["posts"]] == ["x:1", "x:2"]
    tickets, complaint = account["posts"]
    assert tickets["text"] == "are tickets on sale?"
    assert tickets["classification"]["topics"] == {"visiting.tickets": 0.9}
    assert [d["rule"] for d in tickets["decisions"]] == ["tickets"]
    assert [o["kind"] for o in tickets["outbox"]] == ["reply"]
    assert tickets["outbox"][0]["payload"]["text"].startswith("Hi Ana_Visits")
    assert [o["kind"] for o in complaint["outbox"]] == ["alert"]
    assert [c["labels"] for c in complaint["corrections"]] == [["negative"]]
    assert [a["action"] for a in account["staff_actions"]] == ["assign"]
    assert [p["key"] for p in account["our_replies"]] == ["x:4"]
    assert "love it" not in json.dumps(data)  # nothing of Ben's
    with salon.session() as session, pytest.raises(PrivacyError, match="no author with handle"):
        export_author(session, "nobody")
    salon.engine.dispose()


async def test_erase_removes_the_author_and_keeps_them_erased(tmp_path: Path) -> None:
    salon = await world(tmp_path)
    with salon.session() as session:
        erasure = erase_author(session, "ana_visits", None, actor="cli", now=T0)
        assert (erasure.authors, erasure.posts) == (1, 2)
        assert erasure.cancelled == 2  # the queued reply and the queued alert
        ana = author_row(session, "u-ana")
        assert (ana.handle, ana.name, ana.erased, ana.opted_out) == (
            f"visitor-{ana.id}",
            None,
            True,
            True,
        )
        for pid in ("1", "2"):
            post = stored(session, pid)
            assert (post.text, post.raw, post.url) == ("", {}, None)
        assert stored(session, "3").text == "love it"  # Ben is untouched
        assert session.scalars(select(Decision)).all()  # decisions and counts stay
        items = session.scalars(select(OutboxItem).order_by(col(OutboxItem.id))).all()
        assert {i.state for i in items} == {OutboxState.CANCELLED.value}
        dumped = json.dumps([i.payload for i in items])
        assert "Ana" not in dumped and "awful queue" not in dumped
        [record] = session.scalars(
            select(StaffAction).where(col(StaffAction.action) == ERASE_ACTION)
        ).all()
        assert record.payload == erasure.as_dict()  # counts only
        with pytest.raises(PrivacyError, match="already erased"):
            erase_author(session, "ana_visits", None, actor="cli", now=T0)
        # Ana writes again: stored, but without text, and without her handle
        later = post_by("9", ANA, "me again, with my phone number 0612345678", days=1)
        assert store_posts(session, [later]).new == 1
        session.commit()
        again = stored(session, "9")
        assert (again.text, again.raw, again.url) == ("", {}, None)
        assert author_row(session, "u-ana").handle == f"visitor-{ana.id}"
    salon.engine.dispose()


async def test_our_own_account_cannot_be_erased(tmp_path: Path) -> None:
    salon = await world(tmp_path)
    with salon.session() as session, pytest.raises(PrivacyError, match="institution's own"):
        erase_author(session, "lumenmuseum", None, actor="cli", now=T0)
    salon.engine.dispose()


def test_posts_deleted_on_the_platform_are_kept_without_text(session: Session) -> None:
    store_posts(session, [post_by("1", ANA, "regrettable words")])
    session.commit()
    assert stored(session, "1").text == "regrettable words"
    gone = post_by("1", ANA, "regrettable words", deleted=True)
    assert store_posts(session, [gone]).updated == 1
    store_posts(session, [post_by("2", BEN, "[deleted]", deleted=True)])
    session.commit()
    for pid in ("1", "2"):
        post = stored(session, pid)
        assert (post.deleted, post.text, post.raw, post.url) == (True, "", {}, None)
