"""Hostile posts through the whole loop: poll → store → classify (the shipped spaCy pipeline)
→ triage → outbox → staff alerts on a fake Telegram Bot API (which refuses bad HTML, as
Telegram does) and automatic replies.

- text, handles and names (huge, bidi and zero-width controls, markup, template syntax, SQL)
  are stored exactly as the platform sent them (lone surrogates, which no database or
  classifier can take, become U+FFFD); every post is classified and decided;
- the automatic reply is the template filled with the author's handle verbatim: a post's text
  or a handle written as template syntax is data, never evaluated;
- every alert reaches Telegram (its HTML accepted), nothing is left failing in the outbox;
- a batch with one item the store cannot take is not half-written, and the cursor stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import col

from bot.db import open_engine
from bot.models import (
    Author,
    Classification,
    Conversation,
    Decision,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    SourceState,
)
from bot.staff import StaffBot
from connectors.base import Author as IncomingAuthor
from connectors.base import Post as IncomingPost
from connectors.base import valid_unicode
from tests.helpers import KeywordAnalyser, settings_from
from tests.hostile.strategies import HOSTILE, HUGE, texts
from tests.hostile.world import PLATFORM, SOURCE, Runner, World, build
from tests.nlp.pipelines import classifier
from tests.staff.conftest import FakeClock
from tests.staff.fake_api import TOKEN, FakeTelegram

STAFF_CHAT = -1001900000001
TEMPLATE = "Hello {{ author }}! We open at {{ facts.hours }}."


def expected_reply(handle: str) -> str:
    """The template filled by hand: the handle is inserted as it is, never evaluated."""
    return f"Hello {handle}! We open at 10:00.".strip()


def loop_settings(folder: Path) -> Any:
    return settings_from(
        {
            "database": {"url": f"sqlite:///{folder / 'salon.db'}"},
            "sources": [{"name": SOURCE, "platform": PLATFORM, "feed": "mentions"}],
            "templates": {"answer": {"text": TEMPLATE}},
            "facts": {"hours": {"value": "10:00"}},
            "triage": {
                "rules": [
                    {"name": "tell-staff", "group": "staff", "action": "alert"},
                    {
                        "name": "answer",
                        "group": "reply",
                        "action": "auto_reply",
                        "template": "answer",
                    },
                ]
            },
            "policy": {"per_author_daily": 1000, "per_channel_daily": 100_000},
            "staff": {"telegram": {"token": TOKEN, "chats": [STAFF_CHAT], "group_after": 0}},
        }
    )


class Loop(Runner):
    """One world for the whole module (the classifier and the store are built once)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder, self.settings, self.count = folder, loop_settings(folder), 0
        self.fake = FakeTelegram()
        self.world: World | None = None
        self.staff: StaffBot | None = None

    def start(self) -> World:
        if self.world is None:
            clock = FakeClock()  # Telegram's flood limits are kept without really waiting
            self.staff = StaffBot(
                self.settings,
                open_engine(self.settings.database.url),
                bot=self.fake.bot(),
                monotonic=clock.monotonic,
                sleep=clock.sleep,
            )
            self.world = build(
                self.folder, classifier(), settings=self.settings, sink=self.staff.sink
            )
        return self.world

    def close(self) -> None:
        if self.world is not None:
            self.run(self.world.salon.aclose())
        if self.staff is not None:
            self.run(self.staff.aclose())
        super().close()


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    made = Loop(tmp_path_factory.mktemp("hostile-loop"))
    yield made
    made.close()


text = texts(huge=3000)  # a full-size huge post is the explicit example below
person = st.tuples(text, st.one_of(st.none(), text))


@settings(HOSTILE, max_examples=max(5, HOSTILE.max_examples // 2))
@given(posts=st.lists(st.tuples(text, person), min_size=1, max_size=3))
@example(posts=[(HUGE, (HUGE[:300], HUGE[:500]))])
def test_hostile_posts_are_stored_exactly_decided_and_delivered(
    loop: Loop, posts: list[tuple[str, tuple[str, str | None]]]
) -> None:
    world = loop.start()
    published: list[IncomingPost] = []
    for text, (handle, name) in posts:
        loop.count += 1
        someone = IncomingAuthor(id=f"a{loop.count}", handle=handle, name=name)
        published.append(world.platform.post(text, someone))
    text_of = {sent.id: text for sent, (text, _) in zip(published, posts, strict=True)}
    world.tick(1)
    loop.run(world.cycle())

    with world.salon.session() as session:
        for sent in published:
            post = session.scalars(select(Post).where(col(Post.key) == sent.key)).one()
            assert post.text == sent.text == valid_unicode(text_of[sent.id])
            stored = session.get(Author, post.author_id)
            assert stored is not None
            assert (stored.handle, stored.name) == (sent.author.handle, sent.author.name)
            assert post.classified and post.triaged
            assert session.get(Classification, post.id) is not None
            rules = set(
                session.scalars(select(col(Decision.rule)).where(col(Decision.post_id) == post.id))
            )
            assert "tell-staff" in rules
            items = list(
                session.scalars(select(OutboxItem).where(col(OutboxItem.post_id) == post.id))
            )
            for item in items:
                if item.kind == OutboxKind.REPLY.value:  # drafted when not in English
                    assert item.state in (OutboxState.SENT.value, OutboxState.DRAFT.value)
                    assert item.payload["text"] == expected_reply(sent.author.handle)
                    continue
                assert item.state == OutboxState.SENT.value, (item.key, item.state, item.last_error)
                assert item.payload["text"] == sent.text
                assert item.payload["author"] == sent.author.handle
    replies = {r.in_reply_to_id: r.text for r in world.platform.replies}
    for sent in published:
        if sent.id in replies:
            assert replies[sent.id] == expected_reply(sent.author.handle)


BROKEN: dict[str, dict[str, Any]] = {
    "text missing": {"text": None},
    "id missing": {"id": None},
    "author id missing": {"author": IncomingAuthor(id=None, handle="x")},  # type: ignore[arg-type]
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
async def test_a_batch_with_one_item_the_store_refuses_is_not_half_written(
    tmp_path: Path, broken: str
) -> None:
    world = build(tmp_path, KeywordAnalyser())
    good = [
        world.platform.post(f"question {i}?", IncomingAuthor(id=f"u{i}", handle=f"u{i}"))
        for i in range(3)
    ]
    bad = world.platform.post("bad", IncomingAuthor(id="u9", handle="u9"))
    for name, value in BROKEN[broken].items():
        setattr(bad, name, value)
    with pytest.raises(Exception):  # noqa: B017 - the database driver's own error
        await world.salon.poll(SOURCE, now=world.now)
    with world.salon.session() as session:
        for table in (Post, Author, Conversation, SourceState):
            assert session.scalar(select(func.count()).select_from(table)) == 0, table
    assert good  # the good items were in the same fetch, and went nowhere
    await world.salon.aclose()
