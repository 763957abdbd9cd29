"""The staff bot inside Salon and the service; the weekly digest through the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.db import open_engine
from bot.models import OutboxState, utcnow
from bot.service import Service
from bot.staff import StaffBot, StaffBotError, TelegramSink
from bot.staff import staffbot as staffbot_module
from tests.helpers import KeywordAnalyser, settings_from
from tests.staff.conftest import GROUP, World, staff_settings
from tests.staff.fake_api import TOKEN, FakeTelegram


def test_salon_uses_the_telegram_sink_only_with_a_token(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("")
    with_token = Salon(staff_settings(tmp_path, data), connectors={})
    assert isinstance(with_token.sink, TelegramSink) and with_token.staff_bot is not None
    assert with_token.outbox.sink is with_token.sink
    with_token.engine.dispose()
    plain = Salon(settings_from({"database": {"url": "sqlite://"}}), connectors={})
    assert isinstance(plain.sink, ConsoleSink) and plain.staff_bot is None


def test_a_token_without_chats_or_users_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_from({"staff": {"telegram": {"token": TOKEN}}})
    engine = open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(StaffBotError, match=r"staff\.telegram: list the staff group's id"):
        StaffBot(settings, engine)
    engine.dispose()


async def test_the_weekly_digest_arrives_as_text_and_charts(world: World, tmp_path: Path) -> None:
    report = world.salon.digest(world.clock.now(), tmp_path / "digest", enqueue=True)
    world.salon.outbox.clock = lambda: utcnow() + timedelta(minutes=1)  # the item is due
    stats = await world.salon.deliver()
    assert stats.sent == 1
    text, *photos = world.fake.in_chat(GROUP)[-4:]
    assert text["text"].startswith(f"📊 {report.digest.institution}: weekly digest")
    assert [p["_png"] for p in photos] == [True, True, True]
    assert [p["caption"] for p in photos] == [
        "Public posts per channel and topic",
        "Sentiment per day",
        "Response this week and last",
    ]
    [item] = [i for i in [world.item(f"digest:{report.digest.start:%G-W%V}")] if i]
    assert item.state == OutboxState.SENT.value


async def test_a_long_digest_is_split_into_messages(world: World) -> None:
    summary = "\n".join(f"line {i} " + "x" * 90 for i in range(120))  # ~12,000 characters
    before = len(world.fake.in_chat(GROUP))
    await world.staff.sink.send_digest({"summary": summary}, "digest:test")
    texts = [m["text"] for m in world.fake.in_chat(GROUP)[before:]]
    assert len(texts) == 3  # each under 4096, cut at line ends
    assert all(text.endswith("x") or text.endswith("x\n") for text in texts)
    assert "".join(texts) == summary


async def test_the_service_runs_the_bot_on_its_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTelegram()
    monkeypatch.setattr(staffbot_module, "_bot", lambda settings, token: fake.bot())
    data = tmp_path / "in.jsonl"
    data.write_text("")
    salon = Salon(staff_settings(tmp_path, data), analyser=KeywordAnalyser(), connectors={})
    service = Service(salon)
    fake.on_idle = service.stop  # stop once the bot has asked Telegram for updates
    await asyncio.wait_for(service.run(), timeout=30)
    assert [m for m, _ in fake.calls][:3] == ["getMe", "setMyCommands", "getUpdates"]
