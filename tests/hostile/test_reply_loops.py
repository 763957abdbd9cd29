"""Two bots talking to each other: Salon answers automatically, and another account answers each
of Salon's replies at once. Over many poll cycles (across several days, so the daily caps reset)
Salon never enters a loop: flagged and listed bots are never answered, our own replies coming
back are never answered, and an unflagged bot gets at most ``per_conversation_auto_replies``
automatic replies in the conversation, after which staff are alerted with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.models import Decision, OutboxItem, OutboxKind
from connectors.base import Author
from tests.helpers import KeywordAnalyser
from tests.hostile.world import Echo, World, build, world_settings

Make = Callable[..., World]

CYCLES = 12  # polls 4 hours apart: two days, so the per-author daily cap resets once
PERSON = Author(id="u1", handle="visitor", name="A Visitor")
HELPFUL_BOT = Author(id="b1", handle="helpful_bot", name="Helpful Bot")  # not flagged
FLAGGED_BOT = Author(id="b2", handle="flagged_bot", is_bot=True)
LISTED_BOT = Author(id="b3", handle="listed_bot")


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    """Worlds in ``tmp_path`` (``policy``: the policy section; the rest: platform options),
    closed after the test."""
    made: list[World] = []

    def factory(policy: dict[str, Any] | None = None, **platform: Any) -> World:
        settings = world_settings(tmp_path, policy=policy or {})
        made.append(build(tmp_path, KeywordAnalyser(), settings=settings, **platform))
        return made[-1]

    yield factory
    for world in made:
        await world.salon.aclose()


async def run(world: World, opener: Author) -> str:
    """``opener`` asks us something; then the cycles run. The conversation's id."""
    first = world.platform.post("Are you open today? @lumenmuseum", opener)
    for _ in range(CYCLES):
        await world.cycle()
        world.tick(240)
    return first.id


def refusals(world: World) -> list[str]:
    with world.salon.session() as session:
        notes = session.scalars(
            select(col(Decision.note)).where(col(Decision.note).like("reply refused:%"))
        )
        return [str(note) for note in notes]


def replies_queued(world: World) -> int:
    with world.salon.session() as session:
        items = session.scalars(
            select(OutboxItem).where(col(OutboxItem.kind) == OutboxKind.REPLY.value)
        )
        return len(list(items))


@pytest.mark.parametrize(
    ("echo", "known_bots", "expected", "reason"),
    [
        (FLAGGED_BOT, [], 1, "author is an automated account"),
        (LISTED_BOT, ["@listed_bot"], 1, "author is an automated account"),
        (HELPFUL_BOT, [], 2, "conversation reached 2 automatic replies"),
    ],
    ids=["flagged-bot", "listed-bot", "unflagged-bot"],
)
async def test_a_bot_answering_each_reply_gets_a_bounded_number(
    make: Make, echo: Author, known_bots: list[str], expected: int, reason: str
) -> None:
    world = make({"known_bots": known_bots}, echo=Echo(echo))
    thread = await run(world, PERSON)
    ours = world.platform.replies_in(thread)
    assert len(ours) == expected  # the first to the visitor, then the bot: refused or capped
    assert replies_queued(world) == expected  # nothing left waiting to go out either
    answered = [
        p.author.handle for p in world.platform.feed if p.id in {r.in_reply_to_id for r in ours}
    ]
    assert answered[0] == "visitor"
    bot_posts = [p for p in world.platform.feed if p.author.id == echo.id]
    assert len(bot_posts) == expected  # the bot answered each of ours, then fell silent
    notes = refusals(world)
    assert notes and all(reason in note for note in notes), notes


@pytest.mark.parametrize("cap", [1, 3])
async def test_the_cap_is_the_setting(make: Make, cap: int) -> None:
    world = make({"per_conversation_auto_replies": cap}, echo=Echo(HELPFUL_BOT))
    thread = await run(world, PERSON)
    assert len(world.platform.replies_in(thread)) == cap


async def test_without_the_cap_the_daily_caps_still_bound_a_loop(make: Make) -> None:
    """``per_conversation_auto_replies: null``: the per-author daily cap is the only bound,
    so the loop goes on day after day: what the conversation cap is for."""
    policy: dict[str, Any] = {"per_conversation_auto_replies": None, "per_author_daily": 3}
    world = make(policy, echo=Echo(HELPFUL_BOT))
    thread = await run(world, PERSON)
    days = (world.now - world.platform.feed[0].created_at).days + 1
    ours = len(world.platform.replies_in(thread))
    assert 3 < ours <= 1 + 3 * days  # more than the conversation cap would allow, yet bounded


async def test_a_bot_that_starts_the_conversation_is_capped_too(make: Make) -> None:
    world = make(echo=Echo(HELPFUL_BOT))
    thread = await run(world, HELPFUL_BOT)
    assert len(world.platform.replies_in(thread)) == 2


@pytest.mark.parametrize(("self_flag", "expected"), [(True, 1), (False, 2)])
async def test_salon_never_loops_with_itself(make: Make, self_flag: bool, expected: int) -> None:
    """Our replies come back through the feed. Marked as ours, they are never answered;
    when the platform does not say they are ours (identity not configured), Salon answers its
    own reply as it would a stranger, but the conversation cap stops it."""
    world = make(self_flag=self_flag)
    thread = await run(world, PERSON)
    assert len(world.platform.replies_in(thread)) == expected
    if self_flag:
        assert refusals(world) == []  # own posts are not even triaged
    else:
        assert all("automatic replies" in note for note in refusals(world))


async def test_two_conversations_have_their_own_caps(make: Make) -> None:
    world = make(echo=Echo(HELPFUL_BOT))
    one = world.platform.post("Are you open today?", PERSON)
    other = world.platform.post("Is the café open?", Author(id="u2", handle="other"))
    for _ in range(CYCLES):
        await world.cycle()
        world.tick(240)
    assert len(world.platform.replies_in(one.id)) == 2
    assert len(world.platform.replies_in(other.id)) == 2
