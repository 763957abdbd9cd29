"""A burst of alerts: paced to Telegram's limits, a 429 ridden out, in order, none lost;
a flood on one topic summed up in one message."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.models import OutboxItem, OutboxKind, OutboxState
from bot.staff.context import parse_refs
from tests.helpers import make_post
from tests.staff.conftest import GROUP, Build
from tests.staff.fake_api import buttons, too_many


def alerts(world_salon: object) -> list[OutboxItem]:
    with world_salon.session() as session:  # type: ignore[attr-defined]
        return list(
            session.scalars(
                select(OutboxItem)
                .where(col(OutboxItem.kind) == OutboxKind.ALERT.value)
                .order_by(col(OutboxItem.id))
            )
        )


async def test_a_burst_of_200_with_a_429_in_the_middle_arrives_whole_and_in_order(
    world_factory: Build,
) -> None:
    posts = [make_post(str(i), f"the cafe was awful #{i:03}", minutes=i) for i in range(200)]
    world = await world_factory(posts, group_after=0)
    world.fake.fail("sendMessage", 50, too_many(retry_after=3))
    await world.run_pipeline()
    delivered = [m["text"] for m in world.fake.in_chat(GROUP)]
    assert len(delivered) == 200
    numbers = [int(text.split("awful #")[1][:3]) for text in delivered]
    assert numbers == list(range(200))  # in order, none lost, none twice
    assert all(item.state == OutboxState.SENT.value for item in alerts(world.salon))
    assert len(world.fake.requests("sendMessage")) == 201  # the refused one, sent again
    assert 3.0 in world.clock.slept  # waited what Telegram asked
    # 20 at once, then one every 3 s in a group (20 a minute): at least 180 * 3 s, none real
    assert world.clock.t >= 180 * 3


async def test_a_flood_on_one_topic_is_summed_up(world_factory: Build) -> None:
    posts = [make_post(str(i), f"opening hours are awful {i}", minutes=i) for i in range(30)]
    posts.append(make_post("99", "fire in the shop", minutes=40))
    world = await world_factory(posts, group_after=5)
    await world.run_pipeline()
    messages = world.fake.in_chat(GROUP)
    assert len(messages) == 1 + 5 + 1  # the urgent one, five alerts, one summary
    summary = messages[-1]["text"]
    assert summary.startswith("📚 25 more posts on visiting.hours")
    assert "opening hours are awful 5" in summary and "… and 15 more." in summary
    assert buttons(messages[-1]) == {}
    items = alerts(world.salon)
    assert all(item.state == OutboxState.SENT.value for item in items)
    summary_ref = [(GROUP, messages[-1]["message_id"])]
    assert sum(parse_refs(item.external_id) == summary_ref for item in items) == 25


async def test_private_chats_get_one_message_a_second(world_factory: Build) -> None:
    posts = [make_post(str(i), f"awful {i}", minutes=i) for i in range(5)]
    world = await world_factory(posts, chats=[], group_after=0, urgent_chat=None)
    await world.run_pipeline()
    # no staff chat: each staff user gets the alerts privately, one a second per chat
    assert [len(world.fake.in_chat(uid)) for uid in (111, 222)] == [5, 5]
    assert 4.0 <= world.clock.t < 6.0
