"""The outbox: delivery, retries with Retry-After, and exactly-once replies across crashes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.models import Conversation, OutboxItem, OutboxKind, OutboxState
from bot.outbox import CLAIM_BATCH, Outbox
from config.settings import OutboxSettings
from connectors.base import Capability, Post, Sent
from connectors.errors import ConnectorError, MalformedResponse, NetworkError, RateLimited
from connectors.replay import ReplayConnector, ReplaySettings
from tests.helpers import T0, KeywordAnalyser, make_post, replay_settings


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the app may swallow it)."""


class FlakyReplay(ReplayConnector):
    """Replay whose reply can crash before or after the platform accepts, or rate-limit."""

    crash_before = False
    crash_after = False
    rate_limit_once = False
    lost_answer: ConnectorError | None = None  # raised once, after the platform accepted

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        if self.rate_limit_once:
            self.rate_limit_once = False
            raise RateLimited("slow down", retry_after=120)
        if self.crash_before:
            raise Crash
        sent = super().reply_sync(to, text, key)
        if self.crash_after:
            raise Crash
        if self.lost_answer is not None:
            lost, self.lost_answer = self.lost_answer, None
            raise lost
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


@pytest.mark.parametrize(
    "lost",
    [NetworkError("connection reset mid-response"), MalformedResponse("200 with a cut-off body")],
)
async def test_a_reply_whose_answer_is_lost_is_checked_not_sent_again(
    tmp_path: Path, database_url: str, lost: ConnectorError
) -> None:
    salon = await prepared(tmp_path, database_url)
    salon.connectors["s"].lost_answer = lost  # type: ignore[attr-defined]
    first = await salon.deliver()
    assert (first.sent, first.in_doubt, first.failed) == (0, 1, 0)
    assert item_state(salon).state == OutboxState.SENDING.value  # not retried blindly
    second = await salon.deliver()  # the platform has it: recorded, not sent again
    assert (second.reconciled, second.sent) == (1, 0)
    assert item_state(salon).state == OutboxState.SENT.value
    assert len(replies_sent(tmp_path)) == 1


async def test_a_lost_answer_without_reconciliation_is_held_for_staff(
    tmp_path: Path, database_url: str
) -> None:
    salon = await prepared(tmp_path, database_url, capabilities=frozenset({Capability.REPLY}))
    salon.connectors["s"].lost_answer = NetworkError("timeout")  # type: ignore[attr-defined]
    assert (await salon.deliver()).in_doubt == 1
    assert (await salon.deliver()).held == 1
    assert item_state(salon).state == OutboxState.HELD.value
    assert len(replies_sent(tmp_path)) == 1


async def test_an_alert_whose_answer_is_unreadable_is_retried_not_failed(
    session: Session,
) -> None:
    def unreadable(key: str) -> None:
        raise MalformedResponse("200 but not JSON")

    outbox = Outbox({}, StepSink(unreadable), OutboxSettings(), clock=lambda: T0)
    add_alerts(session, 1, T0)
    stats = await outbox.drain(session)
    assert (stats.retried, stats.failed) == (1, 0)  # staff messages: at least once
    assert [state for _, state, _ in states(session)] == [OutboxState.QUEUED.value]


async def test_dry_run_decides_but_sends_nothing(tmp_path: Path, database_url: str) -> None:
    salon = await prepared(tmp_path, database_url)
    salon.outbox.settings = salon.outbox.settings.model_copy(update={"dry_run": True})
    assert (await salon.deliver()).sent == 0
    assert replies_sent(tmp_path) == []
    assert item_state(salon).state == OutboxState.QUEUED.value


# --- batches: claimed in one statement, recorded in one commit ---------------------------


def add_alerts(session: Session, count: int, now: datetime) -> None:
    session.add_all(
        OutboxItem(
            key=f"alert:{i}",
            kind=OutboxKind.ALERT.value,
            channel="staff",
            next_attempt_at=now,
            created_at=now + timedelta(microseconds=i),
            payload={"text": str(i)},
        )
        for i in range(count)
    )
    session.commit()


def states(session: Session) -> list[tuple[str, str, int]]:
    session.expire_all()
    items = session.scalars(select(OutboxItem).order_by(col(OutboxItem.id)))
    return [(item.key, item.state, item.attempts) for item in items]


class StepSink(ConsoleSink):
    """A quiet console sink that runs ``on_send`` before each alert (to crash, or stall)."""

    def __init__(self, on_send: Callable[[str], None]) -> None:
        super().__init__(quiet=True)
        self.on_send = on_send

    async def send_alert(self, payload: dict[str, Any], key: str) -> str:
        self.on_send(key)
        return await super().send_alert(payload, key)


async def test_a_drain_claims_and_records_items_in_batches(
    tmp_path: Path, database_url: str
) -> None:
    salon = await prepared(tmp_path, database_url)  # one reply, to a post, in a conversation
    with salon.session() as session:
        add_alerts(session, 2 * CLAIM_BATCH + 20, salon.outbox.clock())
    statements: list[str] = []
    event.listen(salon.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    stats = await salon.deliver()
    assert stats.sent == 2 * CLAIM_BATCH + 21
    assert len(statements) < 30  # not a few per item: three batches of a few statements each
    delivered = salon.sink.delivered  # type: ignore[attr-defined]
    assert sorted(delivered) == sorted(f"alert:{i}" for i in range(2 * CLAIM_BATCH + 20))
    assert [r["text"] for r in replies_sent(tmp_path)] == ["Tickets: https://example.org"]
    with salon.session() as session:
        reply = session.scalars(select(OutboxItem).where(OutboxItem.kind == "reply")).one()
        conv = session.scalars(select(Conversation)).one()
    assert reply.state == OutboxState.SENT.value and reply.sent_at is not None
    assert (conv.own_posts, conv.first_response_at) == (1, reply.sent_at)  # noted once


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        # a platform that cannot look a reply up: claimed alone (a crash holds one for staff)
        (frozenset({Capability.REPLY}), [["alert"] * 5, ["reply"]]),
        # one that can: in the chunk (a crash leaves it to reconcile)
        (None, [["alert"] * 5 + ["reply"]]),
    ],
)
async def test_a_reply_the_platform_cannot_look_up_is_claimed_on_its_own(
    tmp_path: Path,
    database_url: str,
    capabilities: frozenset[Capability] | None,
    expected: list[list[str]],
) -> None:
    salon = await prepared(tmp_path, database_url, capabilities=capabilities)
    with salon.session() as session:
        add_alerts(session, 5, salon.outbox.clock())
    claims: list[list[str]] = []
    claim = salon.outbox.claim

    def recording_claim(session: Session, ids: Sequence[int]) -> list[OutboxItem]:
        claimed = claim(session, ids)
        claims.append(sorted(item.kind for item in claimed))
        return claimed

    salon.outbox.claim = recording_claim  # type: ignore[method-assign]
    assert (await salon.deliver()).sent == 6
    assert sorted(claims) == expected


async def test_an_interrupted_batch_requeues_the_items_it_did_not_try(session: Session) -> None:
    def crash_on_second(key: str) -> None:
        if key == "alert:1":
            raise Crash

    outbox = Outbox({}, StepSink(crash_on_second), OutboxSettings(), clock=lambda: T0)
    add_alerts(session, 4, T0)
    with pytest.raises(Crash):
        await outbox.drain(session)
    assert states(session) == [
        ("alert:0", OutboxState.SENT.value, 1),  # recorded although the drain died after it
        ("alert:1", OutboxState.SENDING.value, 1),  # may have gone out: reconciled later
        ("alert:2", OutboxState.QUEUED.value, 0),  # never tried: no attempt counted
        ("alert:3", OutboxState.QUEUED.value, 0),
    ]


async def test_a_slow_platform_sends_the_rest_of_a_batch_under_a_fresh_claim(
    session: Session,
) -> None:
    now = [T0]
    settings = OutboxSettings()

    def stall(key: str) -> None:
        now[0] += timedelta(seconds=settings.sending_lease / 2)

    sink = StepSink(stall)
    outbox = Outbox({}, sink, settings, clock=lambda: now[0])
    add_alerts(session, 3, T0)
    assert (await outbox.drain(session)).sent == 1  # the claim grew old: the rest went back
    assert [s for _, s, _ in states(session)] == ["sent", "queued", "queued"]
    assert (await outbox.drain(session)).sent == 1
    assert (await outbox.drain(session)).sent == 1
    assert sink.delivered == ["alert:0", "alert:1", "alert:2"]
    assert [a for _, _, a in states(session)] == [1, 1, 1]
