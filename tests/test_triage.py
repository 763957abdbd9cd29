"""Triage on a real (SQLite) store: rule options stored, history loaded per batch, idempotent."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.classify import classify_pending
from bot.models import Author, Conversation, Decision, OutboxItem, Post
from bot.replies import ReplyBook
from bot.rules import RuleSet
from bot.store import store_posts
from bot.triage import Triage, paused_gc
from config.settings import Settings
from connectors.base import Author as IncomingAuthor
from connectors.base import Post as IncomingPost
from tests.helpers import MUSEUM, T0, KeywordAnalyser, make_post, settings_from

ANN = IncomingAuthor(id="ann", handle="ann", followers=1200)


def settings(rules: list[dict[str, Any]], **extra: Any) -> Settings:
    return settings_from(
        {
            "institution": {
                "name": "Test Museum",
                "timezone": "Europe/Amsterdam",
                "opening_hours": dict.fromkeys(
                    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "10:00-18:00"
                ),
            },
            "triage": {"rules": rules},
            "staff": {"members": {"ana": 111, "press": None}},
            "templates": {"hours": {"text": "Hi {{ author }}, we open at ten."}},
            **extra,
        }
    )


def triage(session: Session, config: Settings, posts: list[IncomingPost], **kw: Any) -> Any:
    """Store, classify and triage ``posts``; the stats of the triage pass."""
    store_posts(session, posts)
    session.commit()
    classify_pending(session, KeywordAnalyser())
    engine = Triage(
        RuleSet.from_config(config),
        ReplyBook(config.templates, config.facts),
        config.policy,
        batch_size=kw.pop("batch_size", 500),
    )
    return engine.run(session, now=kw.pop("now", T0 + timedelta(hours=1)))


def decisions(session: Session) -> dict[str, list[Decision]]:
    found: dict[str, list[Decision]] = {}
    for post, decision in session.execute(
        select(Post, Decision).join(Decision, Decision.post_id == Post.id).order_by(Decision.id)
    ):
        found.setdefault(post.platform_id, []).append(decision)
    return found


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_rule_options_are_stored_on_decision_alert_and_conversation(session: Session) -> None:
    config = settings(
        [
            {
                "name": "complaint",
                "when": {"intent": "complaint"},
                "action": "alert",
                "priority": "high",
                "to": "ana",
                "assign": "press",
                "tag": ["complaint", "service"],
                "remind_after_hours": 4,
            },
            {"name": "rest", "when": {}, "action": "digest_only", "tag": "quiet"},
        ]
    )
    stats = triage(session, config, [make_post("1", "awful queue"), make_post("2", "hello")])
    assert (stats.posts, stats.alerts, stats.digest_only) == (2, 1, 1)
    by_post = decisions(session)
    (complaint,) = by_post["1"]
    assert (complaint.rule, complaint.action, complaint.priority) == ("complaint", "alert", "high")
    assert (complaint.alert_to, complaint.assigned_to) == ("ana", "press")
    assert (complaint.tags, complaint.remind_after_hours) == (["complaint", "service"], 4.0)
    (rest,) = by_post["2"]
    assert (rest.alert_to, rest.tags, rest.remind_after_hours) == (None, ["quiet"], None)
    alert = session.scalars(select(OutboxItem).where(OutboxItem.kind == "alert")).one()
    assert alert.decision_id == complaint.id
    assert {k: alert.payload[k] for k in ("to", "assign", "tags", "priority")} == {
        "to": "ana",
        "assign": "press",
        "tags": ["complaint", "service"],
        "priority": "high",
    }
    post = session.scalars(select(Post).where(Post.platform_id == "1")).one()
    assert session.get(Conversation, post.conversation_id).assigned_to == "press"


def test_history_conditions_read_the_store(session: Session) -> None:
    """``first_time_author`` and ``exchanges`` come from earlier posts, own replies included."""
    config = settings(
        [
            {
                "name": "newcomer",
                "group": "a",
                "when": {"first_time_author": True},
                "action": "alert",
            },
            {"name": "dialogue", "group": "b", "when": {"exchanges": ">= 2"}, "action": "alert"},
        ]
    )
    thread = [
        make_post("1", "open?", author=ANN, minutes=0),
        make_post("2", "yes", author=MUSEUM, minutes=1, reply_to="1", root="1"),
        make_post("3", "today?", author=ANN, minutes=2, reply_to="2", root="1"),
        make_post("4", "yes", author=MUSEUM, minutes=3, reply_to="3", root="1"),
        make_post("5", "and you?", author=MUSEUM, minutes=4, reply_to="4", root="1"),
        make_post("6", "thanks", author=ANN, minutes=5, reply_to="5", root="1"),
        make_post("7", "hi", minutes=6),
    ]
    triage(session, config, thread)
    fired = {pid: [d.rule for d in ds] for pid, ds in decisions(session).items()}
    assert fired == {
        "1": ["newcomer"],  # ann's first post, no exchange yet
        "3": ["(no rule matched)"],  # one exchange so far
        "6": ["dialogue"],  # two: our two posts in a row count once
        "7": ["newcomer"],
    }


def test_history_is_loaded_per_batch_not_per_post(engine: Engine, session: Session) -> None:
    config = settings(
        [
            {
                "name": "newcomer",
                "group": "a",
                "when": {"first_time_author": True},
                "action": "alert",
            },
            {"name": "dialogue", "group": "b", "when": {"exchanges": ">= 1"}, "action": "alert"},
        ]
    )

    def statements_for(first: int, count: int) -> int:
        posts = [make_post(str(i), "open?", minutes=i) for i in range(first, first + count)]
        store_posts(session, posts)
        session.commit()
        classify_pending(session, KeywordAnalyser())
        engine_ = Triage(
            RuleSet.from_config(config), ReplyBook(config.templates, config.facts), config.policy
        )
        with counting(engine) as statements:
            assert engine_.run(session, now=T0).posts == count
        return len(statements)

    small, large = statements_for(0, 2), statements_for(100, 40)
    assert small == large > 10, (small, large)


def test_opt_out_is_stored_and_blocks_later_replies(session: Session) -> None:
    config = settings([{"name": "hours", "when": {}, "action": "auto_reply", "template": "hours"}])
    posts = [
        make_post("1", "open?", author=ANN),
        make_post("2", "stop", author=ANN, minutes=1, reply_to="1", root="1"),
        make_post("3", "open again?", author=ANN, minutes=2),
    ]
    stats = triage(session, config, posts, batch_size=2)
    by_post = decisions(session)
    assert [d.rule for d in by_post["2"]] == ["(opt-out)"]
    assert session.scalars(select(Author).where(Author.handle == "ann")).one().opted_out
    assert (by_post["3"][0].action, by_post["3"][0].note) == (
        "alert",
        "reply refused: author opted out of replies",
    )
    assert stats.auto_replies == 1


def test_clock_conditions_use_the_triage_clock(session: Session) -> None:
    config = settings(
        [
            {"name": "closed", "when": {"open_now": False}, "action": "alert", "to": "urgent"},
            {"name": "open", "when": {}, "action": "digest_only"},
        ]
    )
    triage(session, config, [make_post("1", "hi")], now=T0.replace(hour=20))  # 21:00 local
    triage(session, config, [make_post("2", "hi")], now=T0.replace(hour=10))  # 11:00 local
    fired = {pid: [(d.rule, d.alert_to) for d in ds] for pid, ds in decisions(session).items()}
    assert fired == {"1": [("closed", "urgent")], "2": [("open", None)]}


def test_triage_twice_adds_nothing(session: Session) -> None:
    config = settings([{"name": "all", "when": {}, "action": "alert", "tag": ["x"]}])
    triage(session, config, [make_post("1", "hi"), make_post("2", "awful")])
    first = session.scalars(select(Decision.id)).all()
    items = session.scalars(select(OutboxItem.key)).all()
    session.execute(Post.__table__.update().values(triaged=False))  # type: ignore[attr-defined]
    session.commit()
    assert triage(session, config, []).posts == 2
    assert session.scalars(select(Decision.id)).all() == first
    assert session.scalars(select(OutboxItem.key)).all() == items


def test_a_batch_pauses_the_garbage_collector_and_leaves_it_as_it_was(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = RuleSet.evaluate

    def evaluate(rules: RuleSet, ctx: Any) -> Any:
        seen.append(gc.isenabled())
        return real(rules, ctx)

    monkeypatch.setattr(RuleSet, "evaluate", evaluate)
    triage(
        session,
        settings([{"name": "all", "when": {}, "action": "digest_only"}]),
        [make_post("1", "hi")],
    )
    assert seen == [False] and gc.isenabled()
    with paused_gc():
        with paused_gc():  # nested (or in another thread): the outer block resumes
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
