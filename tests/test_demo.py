"""End to end: `salon demo` on the bundled data, run twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import open_engine
from bot.demo_runner import DemoSummary, run_demo
from bot.models import Decision, OutboxItem, OutboxKind, OutboxState, Post


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary, DemoSummary]:
    import asyncio

    out = tmp_path_factory.mktemp("demo")
    console = Console(file=open(out / "console.txt", "w"), width=120)  # noqa: SIM115
    first = asyncio.run(run_demo(out, console))
    second = asyncio.run(run_demo(out, console))
    return out, first, second


def tagged(session: Session, tag: str) -> list[Post]:
    return [p for p in session.scalars(select(Post)) if p.raw.get("demo_tag") == tag]


def test_everything_is_ingested_and_classified(demo) -> None:
    _out, first, _ = demo
    assert first.new_posts >= 320 and first.total_posts == first.new_posts
    assert first.classified > 250
    assert not first.warnings


def test_hours_question_gets_a_drafted_reply(demo) -> None:
    out, *_ = demo
    with Session(open_engine(f"sqlite:///{out / 'salon-demo.db'}")) as session:
        (post,) = tagged(session, "hours-question")
        decisions = session.scalars(select(Decision).where(Decision.post_id == post.id)).all()
        assert [(d.rule, d.action) for d in decisions] == [("opening-hours", "draft_reply")]
        reply = session.scalars(
            select(OutboxItem).where(OutboxItem.post_id == post.id, OutboxItem.kind == "reply")
        ).one()
        assert reply.state == OutboxState.DRAFT.value
        assert "Tuesday to Sunday" in reply.payload["text"]


def test_abuse_is_flagged_and_never_answered(demo) -> None:
    out, *_ = demo
    with Session(open_engine(f"sqlite:///{out / 'salon-demo.db'}")) as session:
        abusive = tagged(session, "abusive")
        assert abusive
        for post in abusive:
            rules = set(session.scalars(select(Decision.rule).where(Decision.post_id == post.id)))
            assert rules == {"abuse"}, (post.text, rules)
            kinds = set(
                session.scalars(select(OutboxItem.kind).where(OutboxItem.post_id == post.id))
            )
            assert kinds == {OutboxKind.ALERT.value}


def test_own_posts_are_not_triaged(demo) -> None:
    out, *_ = demo
    with Session(open_engine(f"sqlite:///{out / 'salon-demo.db'}")) as session:
        own = session.scalar(
            select(func.count())
            .select_from(Decision)
            .join(Post, Post.id == Decision.post_id)
            .where(Post.is_own)
        )
        assert own == 0
        assert session.scalar(select(func.count()).select_from(Post).where(Post.is_own)) > 10


def test_second_run_adds_nothing(demo) -> None:
    _out, first, second = demo
    assert second.new_posts == 0 and second.classified == 0
    assert second.total_posts == first.total_posts
    assert second.outbox == first.outbox
    assert second.alerts_delivered == 0 and second.replies_sent == 0


def test_digest_files_are_written(demo) -> None:
    out, first, _ = demo
    for chart in ("volumes", "sentiment", "response"):
        assert (out / f"digest-{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "digest.md").read_text()
    assert "weekly digest" in markdown and "## Waiting for an answer" in markdown
    assert "<script" not in (out / "digest.html").read_text().lower()
    assert first.unanswered > 0
    # the demo's people who talk across its communities (bot/demo/make_data.py) come out
    connectors = markdown.split("## Key connectors")[1].split("## Groups")[0]
    for handle in ("samokonjo", "ruthcalder", "theolindqvist", "inesferreira"):
        assert f"**{handle}**" in connectors


def test_the_rumour_raises_spike_alerts_and_questions_get_reminders(demo) -> None:
    _out, first, second = demo
    assert "negative posts Fri 06 Nov 06:00 UTC" in " ".join(first.spikes)
    assert first.reminders > 0
    assert second.spikes == [] and second.reminders == 0
