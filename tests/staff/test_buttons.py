"""Each button's effect on the store, the message edited in place, stale and forged presses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from bot.models import Conversation, Correction, OutboxState, Post, StaffAction
from bot.staff.buttons import Act, Signer
from bot.staff.context import parse_refs
from tests.staff.conftest import GROUP, JO, MARIA, URGENT, World
from tests.staff.fake_api import TOKEN, buttons


def conversation(world: World, post_id: str) -> Conversation:
    with world.salon.session() as session:
        post = session.scalars(select(Post).where(col(Post.key) == f"x:{post_id}")).one()
        conv = session.get(Conversation, post.conversation_id)
        assert conv is not None
        return conv


def actions(world: World) -> list[tuple[str, str]]:
    with world.salon.session() as session:
        rows = session.scalars(select(StaffAction).order_by(col(StaffAction.id)))
        return [(a.actor, a.action) for a in rows]


def draft_state(world: World) -> str:
    item = world.item("reply:x:1")
    assert item is not None
    return item.state


async def test_alerts_carry_the_buttons_their_state_allows(world: World) -> None:
    draft = buttons(world.message(world.alert("1")))
    assert list(draft) == [
        "✅ Approve",
        "✏️ Edit",
        "🗑 Dismiss",
        "👤 Assign",
        "⏰ 1 h",
        "⏰ 1 day",
        "✔️ Handled",
        "🏷 Wrong topic",
        "🏷 Wrong sentiment",
    ]
    assert "✅ Approve" not in buttons(world.message(world.alert("2")))  # no draft, no Approve
    urgent = world.alert("3")
    assert [chat for chat, _ in parse_refs(urgent.external_id)] == [
        GROUP,
        URGENT,
    ]  # urgent alerts also go to the urgent chat


async def test_approve_queues_the_draft_once_and_says_who(world: World) -> None:
    message = await world.press("1", "✅ Approve")
    assert draft_state(world) == OutboxState.QUEUED.value
    assert "✅ Approved by @maria 10:00" in message["text"]
    assert "✅ Approve" not in buttons(message) and "✏️ Edit" not in buttons(message)
    answers = world.fake.requests("answerCallbackQuery")
    assert answers[-1]["text"] == "Approved: the reply is queued."
    await world.salon.deliver()
    # a second press of the same (now stale) button, say from an old copy, changes nothing
    data = Signer(TOKEN).encode(Act.APPROVE, world.alert("1").id or 0)
    world.fake.press(data, JO, message)
    await world.staff.poll_once()
    assert world.fake.requests("answerCallbackQuery")[-1]["text"].startswith("Nothing to approve")
    await world.salon.deliver()
    assert [r["text"] for r in world.replies()] == [
        "Tickets are on sale at https://example.org/tickets"
    ]
    assert actions(world) == [("@maria", "approve")]


async def test_edit_asks_for_text_and_replaces_the_draft(world: World) -> None:
    await world.press("1", "✏️ Edit", by=JO)
    prompt = world.fake.sent[-1]
    assert prompt["text"].startswith("✏️ New text for the draft reply of alert #")
    assert prompt["_reply_markup"]["force_reply"] is True
    world.fake.write("See you at the <b>desk</b> & online!", JO, GROUP, reply_to=prompt)
    await world.staff.poll_once()
    item = world.item("reply:x:1")
    assert item is not None and item.payload["text"] == "See you at the <b>desk</b> & online!"
    assert item.state == OutboxState.DRAFT.value  # edited, still waiting for approval
    message = world.message(world.alert("1"))
    assert "See you at the <b>desk</b> & online!" in message["text"]
    assert "✏️ Draft edited by Jo (222)" in message["text"]
    await world.press("1", "✅ Approve")
    await world.salon.deliver()
    assert [r["text"] for r in world.replies()] == ["See you at the <b>desk</b> & online!"]


async def test_a_reply_to_something_else_edits_nothing(world: World) -> None:
    other = world.fake.sent[0]
    world.fake.write("new text?", JO, GROUP, reply_to={**other, "text": "alert #2 whatever"})
    await world.staff.poll_once()
    item = world.item("reply:x:1")
    assert item is not None and item.payload["text"].startswith("Tickets are on sale")


async def test_dismiss_cancels_the_draft(world: World) -> None:
    message = await world.press("1", "🗑 Dismiss")
    assert draft_state(world) == OutboxState.CANCELLED.value
    assert "🗑 Dismissed by @maria" in message["text"]
    assert not {"✅ Approve", "🗑 Dismiss"} & set(buttons(message))
    await world.salon.deliver()
    assert world.replies() == []


async def test_assign_offers_the_staff_then_records_the_choice(world: World) -> None:
    menu = await world.press("2", "👤 Assign")
    assert list(buttons(menu)) == ["maria", "sam", "user 222", "« Back"]  # members, then users
    world.fake.write("/help", JO, GROUP)  # once Jo has written, the bot knows Jo's name
    await world.staff.poll_once()
    menu = await world.press("2", "« Back")
    menu = await world.press("2", "👤 Assign")
    assert list(buttons(menu)) == ["maria", "sam", "Jo (222)", "« Back"]
    message = await world.press("2", "sam")
    assert conversation(world, "2").assigned_to == "sam"
    assert "👤 Assigned to sam by @maria" in message["text"]
    assert "👤 Assign" in buttons(message)  # back to the alert's own buttons


async def test_snooze_sets_the_conversation_aside(world: World) -> None:
    await world.press("2", "⏰ 1 day")
    snoozed = conversation(world, "2").snoozed_until
    assert snoozed == world.clock.now() + timedelta(days=1)
    message = await world.press("2", "⏰ 1 h")
    assert conversation(world, "2").snoozed_until == world.clock.now() + timedelta(hours=1)
    assert "⏰ Snoozed until Wed 04 Nov 11:00 by @maria" in message["text"]


async def test_handled_closes_the_conversation(world: World) -> None:
    message = await world.press("2", "✔️ Handled")
    assert conversation(world, "2").state == "handled"
    assert "✔️ Marked handled by @maria" in message["text"]
    assert "✔️ Handled" not in buttons(message)
    assert actions(world) == [("@maria", "state:handled")]


async def test_corrections_are_stored_as_training_labels(world: World) -> None:
    menu = await world.press("2", "🏷 Wrong topic")
    assert "visiting.hours" in buttons(menu) and "« Back" in buttons(menu)
    await world.press("2", "complaints.service")
    menu = await world.press("2", "🏷 Wrong sentiment")
    assert list(buttons(menu)) == ["negative", "neutral", "positive", "« Back"]
    message = await world.press("2", "neutral")
    with world.salon.session() as session:
        rows = session.scalars(select(Correction).order_by(col(Correction.id))).all()
        post = session.scalars(select(Post).where(col(Post.key) == "x:2")).one()
    assert [(c.post_id, c.task, c.labels, c.actor) for c in rows] == [
        (post.id, "topics", ["complaints.service"], "@maria"),
        (post.id, "sentiment", ["neutral"], "@maria"),
    ]
    assert "🏷 sentiment corrected to neutral by @maria" in message["text"]


async def test_forged_and_unknown_buttons_do_nothing(world: World) -> None:
    alert = world.alert("1")
    message = world.message(alert)
    real = buttons(message)["✅ Approve"]
    forged = real.rsplit(":", 1)[0] + ":AAAAAAAAAAA"
    world.fake.press(forged, MARIA, message)
    world.fake.press(f"ap:{alert.id}:", MARIA, message)  # unsigned
    world.fake.press(Signer(TOKEN).encode(Act.APPROVE, 99999), MARIA, message)  # no such alert
    await world.staff.poll_once()
    answers = [a.get("text") for a in world.fake.requests("answerCallbackQuery")]
    assert answers == [
        "This button is not valid any more.",
        "This button is not valid any more.",
        "This alert is no longer in the store.",
    ]
    assert draft_state(world) == OutboxState.DRAFT.value
    with world.salon.session() as session:
        assert session.scalar(select(func.count()).select_from(StaffAction)) == 0
    assert world.fake.requests("editMessageText") == []


async def test_both_copies_of_an_urgent_alert_are_updated(world: World) -> None:
    await world.press("3", "✔️ Handled", index=1)  # pressed in the urgent chat
    alert = world.alert("3")
    for index in (0, 1):
        assert "✔️ Marked handled by @maria" in world.message(alert, index)["text"]
