"""The commands, and the polling loop that registers them."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col

from bot.models import Conversation, OutboxState, Post, SourceState, StaffAction
from bot.staff.commands import COMMANDS
from tests.staff.conftest import GROUP, JO, MARIA, World


async def command(world: World, text: str, by: dict = MARIA) -> str:
    """Send ``text`` in the staff group; the bot's answer."""
    before = len(world.fake.in_chat(GROUP))
    world.fake.write(text, by, GROUP)
    await world.staff.poll_once()
    answers = world.fake.in_chat(GROUP)[before:]
    assert answers, f"no answer to {text}"
    return "\n".join(m.get("text", "") or m.get("caption", "") for m in answers)


async def test_inbox_lists_open_items_by_priority(world: World) -> None:
    text = await command(world, "/inbox")
    lines = [line for line in text.splitlines() if line.startswith(("🔴", "🟠", "🟡"))]
    assert [line[0] for line in lines] == ["🔴", "🟠", "🟡"]
    assert "fire alarm" in lines[0] and "cafe was awful" in lines[1] and "tickets" in lines[2]
    assert "📝 draft waiting" in text
    await world.press("2", "✔️ Handled")
    await world.press("1", "🗑 Dismiss")
    text = await command(world, "/inbox")
    assert "cafe was awful" not in text and "tickets" not in text and "fire alarm" in text


async def test_status_shows_sources_outbox_and_pause(world: World) -> None:
    with world.salon.session() as session:
        state = session.get(SourceState, "s")
        assert state is not None
        state.consecutive_failures, state.last_error = 2, "server said <500> & gave up"
        session.commit()
    text = await command(world, "/status")
    assert "s (replay): last poll" in text
    assert "⚠️ 2 failures" in text and "error: server said <500> & gave up" in text
    assert "1 draft" in text
    assert "▶️ Public replies are going out" in text


async def test_pause_and_resume_hold_public_replies(world: World) -> None:
    assert (await command(world, "/pause")).startswith("⏸ Public replies are paused")
    await world.press("1", "✅ Approve")
    await world.salon.deliver()
    item = world.item("reply:x:1")
    assert item is not None and item.state == OutboxState.QUEUED.value  # held back
    assert world.replies() == []
    assert "Public replies are paused (by @maria" in (await command(world, "/status"))
    assert (await command(world, "/resume", by=JO)).startswith("▶️ Public replies are going")
    await world.salon.deliver()
    assert len(world.replies()) == 1
    with world.salon.session() as session:
        done = [(a.actor, a.action) for a in session.scalars(select(StaffAction))]
    assert ("@maria", "pause") in done and ("Jo (222)", "resume") in done


async def test_mute_a_conversation(world: World) -> None:
    with world.salon.session() as session:
        post = session.scalars(select(Post).where(col(Post.key) == "x:2")).one()
        conv_id = post.conversation_id
    assert (await command(world, f"/mute {conv_id}")).startswith("🔕 Conversation x:2 muted")
    with world.salon.session() as session:
        conv = session.get(Conversation, conv_id)
        assert conv is not None and conv.state == "muted"
    assert "no conversation 'x:nope'" in await command(world, "/mute x:nope")
    assert (await command(world, "/mute")).startswith("Usage: /mute")


async def test_digest_sends_the_week_so_far_and_its_charts(world: World) -> None:
    before = len(world.fake.in_chat(GROUP))
    await command(world, "/digest")
    message, *photos = world.fake.in_chat(GROUP)[before:]
    assert message["text"].startswith("📊 Test Museum: this week so far")
    assert "3 public posts" in message["text"]
    assert "the cafe was awful" in message["text"]  # waiting for an answer
    assert len(photos) == 3
    assert all(p["photo"][0]["file_size"] > 1000 and p["_png"] is True for p in photos)


async def test_help(world: World) -> None:
    text = await command(world, "/help")
    assert all(f"/{c.command}" in text for c in COMMANDS)
    assert "Approve" in text and "Wrong topic" in text


async def test_run_registers_the_commands_and_stops_when_asked(world: World) -> None:
    stopping = asyncio.Event()
    update = world.fake.write("/help", MARIA, GROUP)
    world.fake.on_idle = stopping.set  # once the queue is empty, the service stops
    await asyncio.wait_for(world.staff.run(stopping), timeout=30)
    [registered] = world.fake.requests("setMyCommands")
    assert [c["command"] for c in registered["commands"]] == [c.command for c in COMMANDS]
    assert world.fake.in_chat(GROUP)[-1]["text"].startswith("Salon staff bot")
    # the update was confirmed (offset past it) only by the fetch after it was handled
    offsets = [r.get("offset") for r in world.fake.requests("getUpdates")]
    assert offsets == [None, update["update_id"] + 1]
