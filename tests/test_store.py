"""The store: batch upserts, dedupe, edits, threads, cursors and aware UTC times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.models import Author, Conversation, ConversationState, Post, SourceState
from bot.store import save_cursor, store_posts
from tests.helpers import MUSEUM, T0, make_post


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_upsert_dedupes_within_and_across_batches(session: Session) -> None:
    posts = [make_post("1"), make_post("2"), make_post("1")]
    stats = store_posts(session, posts)
    session.commit()
    assert (stats.new, stats.updated) == (2, 0)
    again = store_posts(session, [make_post("1"), make_post("2")])
    session.commit()
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert count(session, Post) == 2 and count(session, Author) == 2


def test_same_id_on_two_platforms_is_two_posts(session: Session) -> None:
    store_posts(session, [make_post("7"), make_post("7", platform="mastodon")])
    session.commit()
    assert sorted(session.scalars(select(Post.key))) == ["mastodon:7", "x:7"]


def test_edited_post_is_updated_and_queued_for_classification(session: Session) -> None:
    store_posts(session, [make_post("1", "open on monday")])
    session.commit()
    stored = session.scalars(select(Post)).one()
    stored.classified = True
    session.commit()
    edited = make_post("1", "open on tuesday?", edited_at=T0 + timedelta(hours=1))
    stats = store_posts(session, [edited])
    session.commit()
    session.expire_all()
    stored = session.scalars(select(Post)).one()
    assert stats.updated == 1
    assert stored.text == "open on tuesday?" and not stored.classified
    assert stored.edited_at == T0 + timedelta(hours=1)


def test_threads_link_into_one_conversation_and_track_our_answer(session: Session) -> None:
    question = make_post("10", "are you open?")
    answer = make_post("11", "yes!", author=MUSEUM, reply_to="10", root="10", minutes=30)
    follow = make_post("12", "thanks", reply_to="11", root="10", minutes=40)
    store_posts(session, [question, answer, follow])
    session.commit()
    conv = session.scalars(select(Conversation)).one()
    assert conv.key == "x:10"
    assert (conv.public_posts, conv.own_posts) == (2, 1)
    assert conv.first_response_at == T0 + timedelta(minutes=30)
    assert conv.state == ConversationState.OPEN.value  # they spoke last
    posts = {p.platform_id: p for p in session.scalars(select(Post))}
    assert posts["11"].is_own and not posts["10"].is_own
    assert posts["12"].in_reply_to_key == "x:11"


def test_times_come_back_aware_utc(session: Session) -> None:
    store_posts(session, [make_post("1")])
    session.commit()
    session.expire_all()
    created = session.scalars(select(Post.created_at)).one()
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert created == T0.astimezone(UTC)


def test_cursor_saved_with_request_count(session: Session) -> None:
    save_cursor(session, "s", "x", "c1", requests=2, now=T0)
    save_cursor(session, "s", "x", "c2", requests=1, now=T0)
    session.commit()
    state = session.get(SourceState, "s")
    assert state is not None and state.cursor == "c2" and state.requests_this_month == 3


def test_a_batch_costs_a_constant_number_of_queries(engine: Engine, session: Session) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    store_posts(session, [make_post(str(i)) for i in range(5)])
    small = len(statements)
    statements.clear()
    store_posts(session, [replace(make_post(str(i)), id=str(i)) for i in range(100, 300)])
    assert len(statements) <= small + 1, statements


def test_a_reply_naming_only_its_parent_joins_the_parents_thread(session: Session) -> None:
    store_posts(session, [make_post("20", "are you open?")])
    session.commit()
    # Mastodon-style: the reply's conversation id is its parent, not the thread root.
    store_posts(
        session,
        [
            make_post("21", "yes", author=MUSEUM, reply_to="20", root="20"),
            make_post("22", "and sunday?", reply_to="21", root="21", minutes=5),
        ],
    )
    session.commit()
    assert session.scalars(select(Conversation.key)).all() == ["x:20"]
    assert {p.conversation_id for p in session.scalars(select(Post))} == {1}
