"""A small platform in memory, and Salon over it (no tests here).

:class:`FakePlatform` is a connector whose feed serves whatever the test (or the platform's
own simulated accounts) posted since the cursor, and whose ``reply`` publishes our reply on
that feed; an ``echo`` account may answer each of our replies at once, as an automated account
would. :func:`build` makes a Salon over it with a store in a temporary folder, a given
analyser, and alerts either printed to a string or sent to a fake Telegram Bot API.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from rich.console import Console

from bot.alerts import AlertSink, ConsoleSink
from bot.app import Salon
from bot.classify import Analyser
from bot.db import open_engine
from config.settings import Settings
from connectors.base import (
    Author,
    Connector,
    ConnectorSettings,
    FetchResult,
    Post,
    PostKind,
    Sent,
    Source,
    capability_set,
)
from tests.helpers import settings_from

T = TypeVar("T")
PLATFORM = "fake"
SOURCE = "fake-mentions"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning
MUSEUM = Author(id="museum", handle="lumenmuseum", name="Lumen Museum", is_self=True)


class _Feed(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Echo:
    """An account that answers each of our replies at once with ``text``."""

    author: Author
    text: str = "Thanks! What else can you tell me? @lumenmuseum"


@dataclass
class FakePlatform(Connector):
    """A feed in memory: posts are served once, in order, from an offset cursor."""

    platform: ClassVar[str] = PLATFORM
    capabilities = capability_set("mentions", "reply", "reconcile")
    Settings: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    feeds: ClassVar[dict[str, type[BaseModel]]] = {"mentions": _Feed}

    clock: Callable[[], datetime] = lambda: START
    echo: Echo | None = None
    self_flag: bool = True  # our replies come back marked as ours (False: identity unknown)
    feed: list[Post] = field(default_factory=list)
    sent: dict[str, Sent] = field(default_factory=dict)  # idempotency key -> receipt
    replies: list[Post] = field(default_factory=list)  # our replies, as published
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def publish(self, post: Post) -> Post:
        """Put ``post`` on the feed (as its author did)."""
        self.feed.append(post)
        return post

    def post(self, text: str, author: Author, *, reply_to: Post | None = None) -> Post:
        """A new post by ``author`` on the feed, now (a reply if ``reply_to`` is given)."""
        pid = f"p{next(self._ids)}"
        thread = (reply_to.conversation_id or reply_to.id) if reply_to else pid
        return self.publish(
            Post(
                platform=PLATFORM,
                id=pid,
                source=SOURCE,
                kind=PostKind.REPLY if reply_to else PostKind.MENTION,
                author=author,
                text=text,
                created_at=self.clock(),
                conversation_id=thread,
                in_reply_to_id=reply_to.id if reply_to else None,
                mentions_self=True,
                raw={"id": pid},
            )
        )

    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        start = int(cursor or 0)
        posts = [
            Post(**{**vars_of(p), "source": source.name}) for p in self.feed[start:]
        ]  # a copy: the store must not see our objects change
        return FetchResult(posts, str(len(self.feed)), requests_made=1)

    def cursor_position(self, cursor: str) -> Any:
        return int(cursor)

    async def reply(self, to: Post, text: str, key: str) -> Sent:
        if key in self.sent:
            raise AssertionError(f"reply {key} sent twice")
        author = MUSEUM if self.self_flag else Author(id=MUSEUM.id, handle=MUSEUM.handle)
        thread = self._thread_of(to)
        ours = self.post(text, author, reply_to=to)
        ours.conversation_id = thread
        self.replies.append(ours)
        self.sent[key] = Sent(ours.id)
        if self.echo is not None:
            answer = self.post(self.echo.text, self.echo.author, reply_to=ours)
            answer.conversation_id = thread
        return self.sent[key]

    async def find_reply(self, to: Post, text: str, key: str) -> Sent | None:
        return self.sent.get(key)

    def _thread_of(self, post: Post) -> str:
        for known in self.feed:
            if known.id == post.id:
                return known.conversation_id or known.id
        return post.conversation_id or post.id

    def replies_in(self, thread: str) -> list[Post]:
        """Our replies published in conversation ``thread``."""
        return [p for p in self.replies if p.conversation_id == thread]


def vars_of(post: Post) -> dict[str, Any]:
    """A post's fields, as keyword arguments for a copy."""
    return {name: getattr(post, name) for name in Post.__dataclass_fields__}


def world_settings(folder: Path, **sections: Any) -> Settings:
    """A configuration polling the fake platform, with a store in ``folder``."""
    data: dict[str, Any] = {
        "database": {"url": f"sqlite:///{folder / 'salon.db'}"},
        "sources": [{"name": SOURCE, "platform": PLATFORM, "feed": "mentions"}],
        "templates": {"answer": {"text": "Hello {{ author }}! We open at {{ facts.hours }}."}},
        "facts": {"hours": {"value": "10:00"}},
        "triage": {"rules": [{"name": "answer", "action": "auto_reply", "template": "answer"}]},
        **sections,
    }
    return settings_from(data)


@dataclass
class World:
    """Salon over a :class:`FakePlatform`, on a clock the test moves."""

    salon: Salon
    platform: FakePlatform
    now: datetime = START
    console: io.StringIO = field(default_factory=io.StringIO)

    def tick(self, minutes: float = 1) -> None:
        """Move the clock."""
        self.now += timedelta(minutes=minutes)

    async def cycle(self) -> None:
        """One round: poll, classify, triage and deliver, at the current time."""
        await self.salon.poll(SOURCE, now=self.now)
        self.salon.classify()
        self.salon.triage(now=self.now)
        await self.salon.deliver()


def build(
    folder: Path,
    analyser: Analyser,
    *,
    settings: Settings | None = None,
    sink: AlertSink | None = None,
    **platform: Any,
) -> World:
    """A world in ``folder`` (``platform``: :class:`FakePlatform` options)."""
    settings = settings or world_settings(folder)
    console = io.StringIO()
    holder: dict[str, World] = {}
    fake = FakePlatform(clock=lambda: holder["world"].now, **platform)
    salon = Salon(
        settings,
        engine=open_engine(settings.database.url),
        analyser=analyser,
        sink=sink or ConsoleSink(Console(file=console, width=100), quiet=True),
        connectors={SOURCE: fake},
        clock=lambda: holder["world"].now,
    )
    salon.outbox.clock = salon.clock
    world = World(salon, fake, console=console)
    holder["world"] = world
    return world


class Runner:
    """An event loop of its own, for module-scoped worlds driven from sync (hypothesis) tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, step: Awaitable[T]) -> T:
        """Run one coroutine to the end."""
        return self.loop.run_until_complete(step)

    def close(self) -> None:
        """Close the loop (after the world's own ``aclose``)."""
        self.loop.close()
