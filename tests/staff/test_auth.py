"""Only staff chats and users are obeyed; a stranger gets one polite refusal, and a log line
without what they wrote."""

from __future__ import annotations

import logging

import pytest

from bot.models import OutboxState
from tests.staff.conftest import GROUP, JO, MARIA, STRANGER, Build, World
from tests.staff.fake_api import buttons, user

SECRET = "my private phone is 555-0199"


async def test_a_stranger_in_private_gets_one_refusal(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stranger_chat = STRANGER["id"]
    before = len(world.fake.sent)
    with caplog.at_level(logging.INFO):
        for text in ("/inbox", SECRET, "/pause"):
            world.fake.write(text, STRANGER, stranger_chat)
        await world.staff.poll_once()
        world.fake.write("/status", STRANGER, stranger_chat)
        await world.staff.poll_once()
    refusals = world.fake.sent[before:]
    assert len(refusals) == 1
    assert refusals[0]["chat"]["id"] == stranger_chat
    assert refusals[0]["text"].startswith("Sorry, this bot works only for the staff of")
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot.staff")]
    assert sum("refused a message from user 999" in line for line in logged) == 4
    assert not any(SECRET in r.getMessage() for r in caplog.records)  # never the contents
    assert world.fake.requests("setMyCommands") == []  # and nothing was obeyed


async def test_a_stranger_pressing_a_button_changes_nothing(world: World) -> None:
    message = world.message(world.alert("1"))
    for _ in range(2):
        world.fake.press(buttons(message)["✅ Approve"], STRANGER, message)
    await world.staff.poll_once()
    item = world.item("reply:x:1")
    assert item is not None and item.state == OutboxState.DRAFT.value
    answers = [a.get("text") for a in world.fake.requests("answerCallbackQuery")]
    assert len(answers) == 2 and str(answers[0]).startswith("Sorry") and answers[1] is None


async def test_staff_writing_in_a_strange_group_is_not_obeyed(world: World) -> None:
    world.fake.write("/inbox", MARIA, -100777)
    world.fake.write("/inbox", JO, -100777)  # the same group: refused once, for the group
    await world.staff.poll_once()
    sent = [m for m in world.fake.sent if m["chat"]["id"] == -100777]
    assert [m["text"][:5] for m in sent] == ["Sorry"]


async def test_a_user_list_restricts_who_in_the_staff_group_is_obeyed(world: World) -> None:
    world.fake.write("/pause", user(333, "intern"), GROUP)
    world.fake.write("/pause", MARIA, GROUP)
    await world.staff.poll_once()
    texts = [m["text"] for m in world.fake.in_chat(GROUP)][-2:]
    assert texts[0].startswith("Sorry") and texts[1].startswith("⏸ Public replies are paused")


async def test_without_a_user_list_every_member_of_the_staff_group_is_staff(
    world_factory: Build,
) -> None:
    world = await world_factory(users=[])
    world.fake.write("/help", user(333, "intern"), GROUP)
    world.fake.write("/help", user(333, "intern"), 333)  # but not in private
    await world.staff.poll_once()
    assert world.fake.in_chat(GROUP)[-1]["text"].startswith("Salon staff bot")
    assert world.fake.in_chat(333)[-1]["text"].startswith("Sorry")
