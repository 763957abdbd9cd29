"""Conversation states: stored posts, triage and staff move threads between states."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.conversations import set_state, snooze, state_counts
from bot.errors import ConversationError
from bot.models import (
    Conversation,
    ConversationState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    StaffAction,
)
from bot.outbox import Outbox
from bot.store import store_posts
from config.settings import OutboxSettings
from connectors.base import Author
from connectors.base import Post as IncomingPost
from tests.helpers import MUSEUM, T0, KeywordAnalyser, make_post, settings_from

US, THEM, OPEN = (
    ConversationState.AWAITING_US.value,
    ConversationState.AWAITING_THEM.value,
    ConversationState.OPEN.value,
)
HANDLED, MUTED = ConversationState.HANDLED.value, ConversationState.MUTED.value


class Clock:
    """A frozen clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def build_salon(database_url: str, clock: Clock, **settings: Any) -> Salon:
    """A Salon on the store at ``database_url``, with the keyword analyser and a quiet console."""
    data = {"database": {"url": database_url}, **settings}
    return Salon(
        settings_from(data),
        analyser=KeywordAnalyser(),
        sink=ConsoleSink(quiet=True),
        connectors={},
        clock=clock,
    )


def ingest(salon: Salon, *posts: IncomingPost) -> None:
    """Store, classify and triage ``posts`` as a poll would."""
    with salon.session() as session:
        store_posts(session, list(posts))
        session.commit()
    salon.classify()
    salon.triage()


def conversation(salon: Salon, key: str = "x:10") -> Conversation:
    with salon.session() as session:
        return session.scalars(select(Conversation).where(Conversation.key == key)).one()


def post_id(salon: Salon, key: str) -> int:
    with salon.session() as session:
        return session.scalars(select(Post.id).where(Post.key == key)).one()


def reply(pid: str, to: str, minutes: int, text: str = "ok", *, own: bool = False) -> IncomingPost:
    author = MUSEUM if own else Author(id=f"u-{pid}", handle=f"user{pid}")
    return make_post(pid, text, author=author, reply_to=to, root="10", minutes=minutes)


@pytest.fixture
def salon(database_url: str) -> Salon:
    return build_salon(database_url, Clock(T0 + timedelta(days=1)))


def test_question_awaits_us_until_we_answer_then_awaits_them(salon: Salon) -> None:
    ingest(salon, make_post("10", "are you open on monday?"))
    conv = conversation(salon)
    assert conv.state == US
    assert conv.awaiting_since == T0 and conv.awaiting_post_id == post_id(salon, "x:10")

    ingest(salon, reply("11", "10", 30, "yes, 10 to 6", own=True))
    conv = conversation(salon)
    assert conv.state == THEM
    assert conv.first_response_at == T0 + timedelta(minutes=30)
    assert conv.awaiting_since is None and conv.awaiting_post_id is None

    ingest(salon, reply("12", "11", 40, "thanks"))
    assert conversation(salon).state == OPEN  # they spoke, asking nothing

    ingest(salon, reply("13", "12", 50, "and on tuesday?"))
    conv = conversation(salon)
    assert conv.state == US and conv.awaiting_since == T0 + timedelta(minutes=50)
    assert (conv.public_posts, conv.own_posts) == (3, 1)


def test_a_question_among_others_is_not_for_us_unless_we_are_in_the_thread(salon: Salon) -> None:
    ingest(salon, make_post("20", "what time is it?", mentions_self=False))
    assert conversation(salon, "x:20").state == OPEN

    ours = make_post("30", "New exhibition opens today", author=MUSEUM)
    question = make_post(
        "31", "is it free?", reply_to="30", root="30", minutes=5, mentions_self=False
    )
    ingest(salon, ours, question)
    assert conversation(salon, "x:30").state == US


def test_our_answer_fetched_before_triage_means_nothing_waits(salon: Salon) -> None:
    with salon.session() as session:  # the question and our answer arrive in one poll
        store_posts(session, [make_post("10", "open today?"), reply("11", "10", 5, own=True)])
        session.commit()
    salon.classify()
    salon.triage()
    conv = conversation(salon)
    assert conv.state == THEM and conv.awaiting_since is None


def test_handled_stays_handled_until_a_new_public_post(salon: Salon) -> None:
    ingest(salon, make_post("10", "are you open?"))
    with salon.session() as session:
        set_state(session, "x:10", "handled", actor="ana", now=T0 + timedelta(hours=1))
        session.commit()
        actions = session.scalars(select(StaffAction)).all()
    assert [(a.actor, a.action, a.payload) for a in actions] == [
        ("ana", "state:handled", {"from": US, "to": HANDLED})
    ]
    assert conversation(salon).awaiting_since is None

    ingest(salon, reply("11", "10", 90, "answered by phone", own=True))
    assert conversation(salon).state == HANDLED

    ingest(salon, reply("12", "11", 120, "thanks!"))
    assert conversation(salon).state == OPEN


def test_muted_stays_muted_and_reopening_restores_what_waits(salon: Salon) -> None:
    ingest(salon, make_post("10", "is this awful place open?"))
    with salon.session() as session:
        set_state(session, conversation(salon).id or 0, "muted", actor="ana")
        session.commit()
    ingest(salon, reply("11", "10", 30, "hello?? anyone?"))
    assert conversation(salon).state == MUTED

    with salon.session() as session:
        set_state(session, "x:10", "open", actor="ana")
        session.commit()
    conv = conversation(salon)
    assert conv.state == US and conv.awaiting_since == T0


def test_staff_actions_explain_bad_input(salon: Salon) -> None:
    ingest(salon, make_post("10", "are you open?"))
    with salon.session() as session:
        with pytest.raises(ConversationError, match="no conversation 'x:404'"):
            set_state(session, "x:404", "handled", actor="ana")
        with pytest.raises(ConversationError, match="handled, muted, open, not 'awaiting_us'"):
            set_state(session, "x:10", "awaiting_us", actor="ana")
        with pytest.raises(ConversationError, match="not in the future"):
            snooze(session, "x:10", T0, actor="ana", now=T0 + timedelta(hours=1))
        conv = snooze(session, "x:10", T0 + timedelta(days=2), actor="ana", now=T0)
        session.commit()
    assert conv.snoozed_until == T0 + timedelta(days=2)
    assert conversation(salon).snoozed_until == T0 + timedelta(days=2)


def test_store_writes_conversations_in_one_statement(salon: Salon) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements.append(sql.split()[0].upper() + " " + sql.lower())

    posts = [make_post(str(root), "hi?") for root in (10, 20, 30)]
    posts += [make_post(str(root + 1), "more", reply_to=str(root), minutes=5) for root in (10, 20)]
    posts += [
        make_post(str(root + 2), "ok", author=MUSEUM, reply_to=str(root), minutes=9)
        for root in (10, 20, 30)
    ]
    engine: Engine = salon.engine
    event.listen(engine, "before_cursor_execute", record)
    with salon.session() as session:
        store_posts(session, posts)
        session.commit()
    event.remove(engine, "before_cursor_execute", record)
    conv_updates = [s for s in statements if s.startswith("UPDATE") and "update conversation" in s]
    assert len(conv_updates) == 1
    with salon.session() as session:
        counts = state_counts(session)
    assert counts[THEM] == 3 and sum(counts.values()) == 3


def test_a_sent_reply_fetched_back_is_counted_once(salon: Salon) -> None:
    ingest(salon, make_post("10", "are tickets on sale?"))
    now = T0 + timedelta(minutes=10)
    with salon.session() as session:
        session.add(
            OutboxItem(
                key="reply:x:10",
                kind=OutboxKind.REPLY.value,
                channel="src",
                state=OutboxState.SENDING.value,
                post_id=post_id(salon, "x:10"),
                payload={"text": "yes"},
                created_at=now,
            )
        )
        session.commit()
        item = session.scalars(select(OutboxItem)).one()
        outbox = Outbox({}, ConsoleSink(quiet=True), OutboxSettings(), clock=lambda: now)
        outbox._mark_sent(session, [item], "99")  # what a successful send records
        session.commit()
    conv = conversation(salon)
    assert (conv.state, conv.own_posts, conv.first_response_at) == (THEM, 1, now)

    ingest(salon, reply("99", "10", 10, "yes", own=True))  # the same reply, polled back
    conv = conversation(salon)
    assert (conv.state, conv.own_posts) == (THEM, 1)
