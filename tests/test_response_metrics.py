"""Response metrics on a hand-built week: rate, times, dialogue share, per channel and topic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversations import set_state
from bot.digest import build_digest
from bot.models import OutboxItem, OutboxKind, OutboxState, Post
from bot.response_metrics import Figures, percentile, response_metrics, table_rows
from tests.helpers import MUSEUM, T0, make_post
from tests.test_conversations import Clock, build_salon, ingest

WEEK = timedelta(days=7)


def ours(pid: str, to: str, minutes: int) -> Any:
    return make_post(pid, "here you go", author=MUSEUM, reply_to=to, root=to, minutes=minutes)


@pytest.fixture
def salon(database_url: str) -> Any:
    """Eight threads, each a case (see the comments)."""
    salon = build_salon(database_url, Clock(T0 + WEEK))
    ingest(
        salon,
        # A: answered after 2 h, then they follow up: a dialogue
        make_post("10", "are you open?"),
        ours("11", "10", 120),
        make_post("12", "thanks", reply_to="11", root="10", minutes=180),
        # B: answered after 4 h
        make_post("20", "are tickets on sale?", minutes=60),
        ours("21", "20", 300),
        # C: a complaint on Mastodon nobody answered
        make_post("30", "the cafe was awful", platform="mastodon"),
        # D: a question on Mastodon staff muted
        make_post("40", "where is the cloakroom?", platform="mastodon"),
        # E: our announcement, no reaction
        make_post("50", "New gallery opens!", author=MUSEUM),
        # F: people talking among themselves: not ours
        make_post("60", "anyone going tonight?", mentions_self=False),
        # G: asked before the window, answered inside it
        make_post("70", "is the lift working?", minutes=-2 * 24 * 60),
        ours("71", "70", 60),
        # H: answered by a bot reply the outbox sent after 1 h
        make_post("80", "do you have lockers?", minutes=10),
    )
    with salon.session() as session:
        set_state(session, "mastodon:40", "muted", actor="ana")
        post_id = session.scalars(select(Post.id).where(Post.key == "x:80")).one()
        session.add(
            OutboxItem(
                key="reply:x:80",
                kind=OutboxKind.REPLY.value,
                channel="src",
                state=OutboxState.SENT.value,
                post_id=post_id,
                payload={"text": "yes, free lockers"},
                external_id="9001",
                created_at=T0,
                sent_at=T0 + timedelta(minutes=70),
            )
        )
        session.commit()
    return salon


def test_overall_figures(salon: Any) -> None:
    with salon.session() as session:
        metrics = response_metrics(session, T0, T0 + WEEK)
    overall = metrics.overall
    assert (overall.conversations, overall.dialogues) == (7, 1)  # A B C D E G H; A talks back
    assert (overall.asked, overall.answered) == (4, 3)  # A B C H (D muted, G asked earlier)
    assert overall.response_rate == pytest.approx(0.75)
    assert sorted(overall.hours) == pytest.approx([1.0, 2.0, 4.0])
    assert overall.median_hours == pytest.approx(2.0)
    assert overall.p90_hours == pytest.approx(3.6)
    assert overall.dialogue_share == pytest.approx(1 / 7)


def test_per_channel_and_topic(salon: Any) -> None:
    with salon.session() as session:
        metrics = response_metrics(session, T0, T0 + WEEK)
    x, mastodon = metrics.by_platform["x"], metrics.by_platform["mastodon"]
    assert (x.conversations, x.asked, x.answered) == (5, 3, 3)
    assert (mastodon.conversations, mastodon.asked, mastodon.answered) == (2, 1, 0)
    assert mastodon.response_rate == 0.0 and mastodon.median_hours is None
    assert metrics.by_topic["visiting.hours"].hours == pytest.approx([2.0])
    assert metrics.by_topic["visiting.tickets"].hours == pytest.approx([4.0])
    assert set(metrics.by_source) == {"src"}
    with salon.session() as session:
        (waiting,) = metrics.waiting_posts()
        assert session.get(Post, waiting).key == "mastodon:30"


def test_answers_after_the_window_do_not_count(salon: Any) -> None:
    with salon.session() as session:
        metrics = response_metrics(session, T0, T0 + timedelta(hours=3))
    assert (metrics.overall.asked, metrics.overall.answered) == (4, 2)
    assert sorted(metrics.overall.hours) == pytest.approx([1.0, 2.0])  # B is answered at 5 h


def test_digest_uses_the_metrics(salon: Any) -> None:
    with salon.session() as session:
        digest = build_digest(session, "Test Museum", T0, T0 + WEEK)
    assert (digest.needing_answer, digest.answered) == (4, 3)
    assert digest.median_response_hours == pytest.approx(2.0)
    assert [item.text for item in digest.unanswered] == ["the cafe was awful"]
    assert digest.responses is not None and set(digest.responses.by_platform) == {"x", "mastodon"}


def test_percentile_and_table_rows() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.9) == pytest.approx(4.6)
    assert percentile([7.0], 0.9) == 7.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    busy = Figures(conversations=4, dialogues=1, asked=2, answered=1, hours=[1.5])
    quiet = Figures(conversations=1)
    assert table_rows({"quiet": quiet, "busy": busy}) == [
        ("busy", "2", "50%", "1.5 h", "1.5 h", "25%"),
        ("quiet", "0", "–", "–", "–", "0%"),
    ]
