"""A small world for the staff bot: a store fed through the real pipeline, a fake Bot API, a
fake clock (sleeping advances it; nothing really waits)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app import Salon
from bot.db import open_engine
from bot.models import OutboxItem, OutboxKind, Post
from bot.staff import StaffBot
from bot.staff.context import parse_refs
from connectors.base import Post as IncomingPost
from connectors.replay import ReplayConnector, ReplaySettings
from connectors.serialize import post_to_dict
from tests.conftest import NewDatabase
from tests.helpers import KeywordAnalyser, make_post, settings_from
from tests.staff.fake_api import TOKEN, FakeTelegram, buttons, user

GROUP = -1001900000001
URGENT = -1001900000002
MARIA = user(111, "maria", "Maria")
JO = user(222, None, "Jo")
STRANGER = user(999, "eve", "Eve")
START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # a Wednesday; the posts are on Monday

RULES = [
    {"name": "crisis", "when": {"keywords": ["fire"]}, "action": "alert", "priority": "urgent"},
    {
        "name": "tickets",
        "when": {"topic": "visiting.tickets"},
        "action": "draft_reply",
        "template": "t",
    },
    {"name": "complaints", "when": {"intent": "complaint"}, "action": "alert", "priority": "high"},
]


class FakeClock:
    """Monotonic seconds and wall time that move only when someone sleeps (or on ``advance``)."""

    def __init__(self, start: datetime = START) -> None:
        self.start, self.t = start, 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


def staff_settings(tmp_path: Path, data: Path, url: str | None = None, **telegram: Any) -> Any:
    return settings_from(
        {
            "database": {"url": url or f"sqlite:///{tmp_path / 'db.sqlite'}"},
            "sources": [
                {"name": "s", "platform": "replay", "feed": "file", "options": {"path": str(data)}}
            ],
            "templates": {"t": {"text": "Tickets are on sale at {{ facts.url }}"}},
            "facts": {"url": {"value": "https://example.org/tickets"}},
            "triage": {"rules": RULES},
            "staff": {
                "telegram": {
                    "token": TOKEN,
                    "chats": [GROUP],
                    "users": [MARIA["id"], JO["id"]],
                    "urgent_chat": URGENT,
                    **telegram,
                },
                "members": {"maria": MARIA["id"], "sam": None},
            },
        }
    )


@dataclass
class World:
    """The store, the staff bot over the fake API, and the pipeline that fills them."""

    fake: FakeTelegram
    clock: FakeClock
    staff: StaffBot
    salon: Salon
    tmp_path: Path

    async def run_pipeline(self) -> None:
        """Poll, classify, triage (at the fake time) and deliver."""
        await self.salon.poll_until_caught_up("s")
        self.salon.classify()
        self.salon.triage(now=self.clock.now())
        await self.salon.deliver()

    def alert(self, post_id: str) -> OutboxItem:
        """The alert about post ``x:<post_id>``."""
        with self.salon.session() as session:
            return session.scalars(
                select(OutboxItem)
                .join(Post, col(Post.id) == col(OutboxItem.post_id))
                .where(
                    col(Post.key) == f"x:{post_id}", col(OutboxItem.kind) == OutboxKind.ALERT.value
                )
            ).one()

    def item(self, key: str) -> OutboxItem | None:
        with self.salon.session() as session:
            return session.scalars(select(OutboxItem).where(col(OutboxItem.key) == key)).first()

    def message(self, alert: OutboxItem, index: int = 0) -> dict[str, Any]:
        """The current state of the alert's message (its ``index``-th copy)."""
        ref = parse_refs(alert.external_id)[index]
        return self.fake.messages[ref]

    async def press(
        self, post_id: str, label: str, by: dict[str, Any] = MARIA, *, index: int = 0
    ) -> dict[str, Any]:
        """Press the button ``label`` on the alert about ``post_id``; the message after."""
        alert = self.alert(post_id)
        message = self.message(alert, index)
        data = buttons(message)[label]
        self.fake.press(data, by, message)
        await self.staff.poll_once()
        return self.message(alert, index)

    def replies(self) -> list[dict[str, Any]]:
        path = self.tmp_path / "replies.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


Build = Callable[..., Awaitable[World]]


@pytest.fixture
async def world_factory(tmp_path: Path, new_database: NewDatabase) -> AsyncIterator[Build]:
    made: list[World] = []

    async def build(posts: list[IncomingPost] | None = None, **telegram: Any) -> World:
        if posts is None:
            posts = [
                make_post("1", "are tickets on sale?"),
                make_post("2", "the cafe was awful", minutes=5),
                make_post("3", "fire alarm in the east wing!", minutes=10),
            ]
        folder = tmp_path / f"world{len(made)}"
        folder.mkdir()
        data = folder / "in.jsonl"
        data.write_text("".join(json.dumps(post_to_dict(p)) + "\n" for p in posts))
        settings = staff_settings(folder, data, new_database(), **telegram)
        engine = open_engine(settings.database.url)
        fake, clock = FakeTelegram(), FakeClock()
        staff = StaffBot(
            settings,
            engine,
            bot=fake.bot(),
            clock=clock.now,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )
        connector = ReplayConnector(ReplaySettings(replies_path=folder / "replies.jsonl"))
        salon = Salon(
            settings,
            engine=engine,
            analyser=KeywordAnalyser(),
            sink=staff.sink,
            connectors={"s": connector},
        )
        salon.outbox.clock = clock.now
        world = World(fake, clock, staff, salon, folder)
        made.append(world)
        return world

    yield build
    for world in made:
        await world.staff.aclose()
        await world.salon.aclose()


@pytest.fixture
async def world(world_factory: Build) -> World:
    """Three posts (a ticket question with a draft, a complaint, an urgent one), delivered."""
    w = await world_factory()
    await w.run_pipeline()
    return w
