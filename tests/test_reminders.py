"""Reminders and escalation for unanswered questions, on a frozen clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.alerts import ConsoleSink
from bot.conversations import set_state, snooze
from bot.models import OutboxItem
from bot.reminders import due_level, reminder_key
from config.errors import ConfigError
from config.settings import StaffSettings
from tests.helpers import MUSEUM, T0, make_post, settings_from
from tests.test_conversations import Clock, build_salon, ingest

STAFF = {"remind_after_hours": 24, "escalate_after_hours": 48, "telegram": {"urgent_chat": 42}}


def alerts(salon: Any) -> list[OutboxItem]:
    with salon.session() as session:
        return list(
            session.scalars(
                select(OutboxItem).where(OutboxItem.key.startswith("remind:")).order_by("id")
            )
        )


def remind_at(salon: Any, clock: Clock, hours: float) -> list[str]:
    """Run the reminder job ``hours`` after T0; the keys of the alerts it enqueued."""
    before = {item.key for item in alerts(salon)}
    clock.now = T0 + timedelta(hours=hours)
    salon.remind()
    return [item.key for item in alerts(salon) if item.key not in before]


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def salon(database_url: str, clock: Clock) -> Any:
    salon = build_salon(database_url, clock, staff=STAFF)
    ingest(salon, make_post("10", "are you open on monday?"))
    return salon


def test_reminder_then_escalation_then_nothing_more(salon: Any, clock: Clock) -> None:
    assert remind_at(salon, clock, 23) == []
    assert remind_at(salon, clock, 25) == [reminder_key("x:10", T0, 1)]
    assert remind_at(salon, clock, 26) == []
    assert remind_at(salon, clock, 49) == [reminder_key("x:10", T0, 2)]
    assert remind_at(salon, clock, 60) == []
    reminder, escalation = alerts(salon)
    assert (reminder.priority, reminder.payload["to"], reminder.payload["action"]) == (
        "high",
        "staff",
        "reminder",
    )
    assert (escalation.priority, escalation.payload["to"]) == ("urgent", "urgent")
    assert escalation.payload["text"] == "are you open on monday?"
    assert escalation.payload["why"] == "unanswered for 49 h (escalation after 48 h)"


async def test_reminders_are_delivered_once(salon: Any, clock: Clock) -> None:
    remind_at(salon, clock, 25)
    await salon.deliver()
    await salon.deliver()
    remind_at(salon, clock, 30)
    await salon.deliver()
    sink: ConsoleSink = salon.sink
    assert sink.delivered == [reminder_key("x:10", T0, 1)]


def test_when_both_are_due_only_the_escalation_goes(salon: Any, clock: Clock) -> None:
    assert remind_at(salon, clock, 50) == [reminder_key("x:10", T0, 2)]
    assert remind_at(salon, clock, 51) == []


def test_an_answer_stops_reminders(salon: Any, clock: Clock) -> None:
    answer = make_post("11", "yes", author=MUSEUM, reply_to="10", root="10", minutes=60)
    ingest(salon, answer)
    assert remind_at(salon, clock, 50) == []


def test_snoozed_conversations_wait_for_the_snooze_to_end(salon: Any, clock: Clock) -> None:
    with salon.session() as session:
        snooze(session, "x:10", T0 + timedelta(hours=30), actor="ana", now=T0)
        session.commit()
    assert remind_at(salon, clock, 25) == []
    assert remind_at(salon, clock, 31) == [reminder_key("x:10", T0, 1)]


@pytest.mark.parametrize("state", ["handled", "muted"])
def test_handled_and_muted_conversations_are_skipped(salon: Any, clock: Clock, state: str) -> None:
    with salon.session() as session:
        set_state(session, "x:10", state, actor="ana")
        session.commit()
    assert remind_at(salon, clock, 50) == []


def test_a_later_question_in_the_same_thread_is_reminded_again(salon: Any, clock: Clock) -> None:
    assert remind_at(salon, clock, 25) == [reminder_key("x:10", T0, 1)]
    ingest(
        salon,
        make_post("11", "sorry", author=MUSEUM, reply_to="10", root="10", minutes=26 * 60),
        make_post("12", "and tuesday?", reply_to="11", root="10", minutes=27 * 60),
    )
    assert remind_at(salon, clock, 40) == []
    later = T0 + timedelta(hours=27)
    assert remind_at(salon, clock, 52) == [reminder_key("x:10", later, 1)]


def test_questions_older_than_the_age_limit_are_left_to_the_digest(
    salon: Any, clock: Clock
) -> None:
    assert remind_at(salon, clock, 24 * 8) == []


def test_a_rule_can_shorten_the_delay_and_ask_for_an_answer(
    database_url: str, clock: Clock
) -> None:
    rules = [
        {
            "name": "complaint",
            "when": {"intent": "complaint"},
            "action": "alert",
            "remind_after_hours": 2,
        },
        {
            "name": "praise",
            "when": {"intent": "praise"},
            "action": "digest_only",
            "remind_after_hours": 3,
        },
    ]
    salon = build_salon(database_url, clock, staff=STAFF, triage={"rules": rules})
    ingest(salon, make_post("10", "the cafe was awful"), make_post("20", "we love it!"))
    assert remind_at(salon, clock, 1) == []
    assert remind_at(salon, clock, 2.5) == [reminder_key("x:10", T0, 1)]
    assert remind_at(salon, clock, 3.5) == [reminder_key("x:20", T0, 1)]
    # the escalation keeps the configured 24 h gap after the rule's reminder
    assert remind_at(salon, clock, 25) == []
    assert remind_at(salon, clock, 26.5) == [reminder_key("x:10", T0, 2)]


def test_due_level_follows_the_settings() -> None:
    staff = StaffSettings(remind_after_hours=4, escalate_after_hours=10)
    assert due_level(staff, timedelta(hours=3)) is None
    assert due_level(staff, timedelta(hours=4)).level == 1  # type: ignore[union-attr]
    assert due_level(staff, timedelta(hours=10)).level == 2  # type: ignore[union-attr]
    never = StaffSettings(remind_after_hours=4, escalate_after_hours=None)
    assert due_level(never, timedelta(days=5)).level == 1  # type: ignore[union-attr]


def test_escalating_before_reminding_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from({"staff": {"remind_after_hours": 24, "escalate_after_hours": 12}})
    assert "staff: escalate_after_hours (12) must be greater than remind_after_hours (24)" in str(
        caught.value
    )
