"""The outbox: delivery, retries with Retry-After, and exactly-once replies across crashes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.models import OutboxItem, OutboxState
from connectors.base import Capability, Post, Sent
from connectors.errors import RateLimited
from connectors.replay import ReplayConnector, ReplaySettings
from tests.helpers import KeywordAnalyser, make_post, replay_settings


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the app may swallow it)."""


class FlakyReplay(ReplayConnector):
    """Replay whose reply can crash before or after the platform accepts, or rate-limit."""

    crash_before = False
    crash_after = False
    rate_limit_once = False

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        if self.rate_limit_once:
            self.rate_limit_once = False
            raise RateLimited("slow down", retry_after=120)
        if self.crash_before:
            raise Crash
        sent = super().reply_sync(to, text, key)
        if self.crash_after:
            raise Crash
        return sent


def build(tmp_path: Path, url: str, *, capabilities: frozenset[Capability] | None = None) -> Salon:
    settings = replay_settings(tmp_path, [make_post("1", "are tickets on sale?")], url=url)
    connector = FlakyReplay(ReplaySettings(replies_path=tmp_path / "replies.jsonl"))
    if capabilities is not None:
        connector.capabilities = capabilities  # type: ignore[misc]
    return Salon(
        settings,
        analyser=KeywordAnalyser(),
        sink=ConsoleSink(quiet=True),
        connectors={"s": connector},
    )


def replies_sent(tmp_path: Path) -> list[dict]:
    path = tmp_path / "replies.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def prepared(tmp_path: Path, url: str, **kwargs: object) -> Salon:
    salon = build(tmp_path, url, **kwargs)  # type: ignore[arg-type]
    await salon.poll("s")
    salon.classify()
    assert salon.triage().auto_replies == 1
    return salon


def item_state(salon: Salon) -> OutboxItem:
    with salon.session() as session:
        return session.scalars(select(OutboxItem)).one()


def later(salon: Salon, seconds: float) -> None:
    now = salon.outbox.clock()
    salon.outbox.clock = lambda: now + timedelta(seconds=seconds)


async def test_reply_is_sent_once(tmp_path: Path, database_url: str) -> None:
    salon = await prepared(tmp_path, database_url)
    assert (await salon.deliver()).sent == 1
    assert (await salon.deliver()).sent == 0
    assert [r["text"] for r in replies_sent(tmp_path)] == ["Tickets: https://example.org"]
    assert item_state(salon).state == OutboxState.SENT.value


async def test_rate_limit_retries_after_the_platforms_delay(
    tmp_path: Path, database_url: str
) -> None:
    salon = await prepared(tmp_path, database_url)
    salon.connectors["s"].rate_limit_once = True  # type: ignore[attr-defined]
    stats = await salon.deliver()
    item = item_state(salon)
    assert stats.retried == 1 and item.state == OutboxState.QUEUED.value
    assert item.next_attempt_at is not None
    wait = (item.next_attempt_at - salon.outbox.clock()).total_seconds()
    assert 110 <= wait <= 121
    assert (await salon.deliver()).sent == 0  # not due yet
    later(salon, 130)
    assert (await salon.deliver()).sent == 1
    assert len(replies_sent(tmp_path)) == 1


@pytest.mark.parametrize("step", ["crash_before", "crash_after"])
async def test_a_crash_at_any_step_never_sends_twice(
    tmp_path: Path, database_url: str, step: str
) -> None:
    salon = await prepared(tmp_path, database_url)
    setattr(salon.connectors["s"], step, True)
    with pytest.raises(Crash):
        await salon.deliver()
    assert item_state(salon).state == OutboxState.SENDING.value
    restarted = build(tmp_path, database_url)  # a new process on the same store and platform
    assert (await restarted.deliver()).sent == 0  # the claim's lease has not expired yet
    later(restarted, 600)
    stats = await restarted.deliver()
    assert len(replies_sent(tmp_path)) == 1
    assert item_state(restarted).state == OutboxState.SENT.value
    assert stats.reconciled + stats.sent == 1


async def test_without_reconciliation_an_interrupted_reply_is_held(
    tmp_path: Path, database_url: str
) -> None:
    salon = await prepared(tmp_path, database_url)
    salon.connectors["s"].crash_after = True  # type: ignore[attr-defined]
    with pytest.raises(Crash):
        await salon.deliver()
    restarted = build(tmp_path, database_url, capabilities=frozenset({Capability.REPLY}))
    later(restarted, 600)
    assert (await restarted.deliver()).held == 1
    assert item_state(restarted).state == OutboxState.HELD.value
    assert len(replies_sent(tmp_path)) == 1


async def test_dry_run_decides_but_sends_nothing(tmp_path: Path, database_url: str) -> None:
    salon = await prepared(tmp_path, database_url)
    salon.outbox.settings = salon.outbox.settings.model_copy(update={"dry_run": True})
    assert (await salon.deliver()).sent == 0
    assert replies_sent(tmp_path) == []
    assert item_state(salon).state == OutboxState.QUEUED.value
