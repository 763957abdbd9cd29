"""getUpdates read as raw JSON: UTF-16 entity offsets, shape checks, PTB's warning.

The pages are built here in the Bot API's wire format and played through the real
``telegram.Bot`` (see test_telegram_replay).
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import PostKind, Source
from connectors.errors import MalformedResponse
from connectors.telegram.normalize import entity_texts
from tests.connectors.test_telegram_replay import GROUP_ID, connector, get_updates, load, play

T0 = 1747731600
SOURCE = Source(name="tg-museum", feed="updates", options={"chats": [GROUP_ID]})
GROUP = {"id": GROUP_ID, "title": "Demo Museum · Chat", "username": "museum_demo_chat",
         "type": "supergroup"}  # fmt: skip
ALICE = {"id": 111111111, "is_bot": False, "first_name": "Alice", "username": "alice_art"}
BOT = {"id": 7000000001, "is_bot": True, "first_name": "Demo Museum",
       "username": "museum_demo_bot"}  # fmt: skip


def message(message_id: int, **fields: Any) -> dict[str, Any]:
    """A group message from Alice with ``fields`` on top."""
    return {"message_id": message_id, "from": ALICE, "chat": GROUP, "date": T0, **fields}


def answer(*updates: Any) -> dict[str, Any]:
    return {"status": 200, "json": {"ok": True, "result": list(updates)}}


async def fetch_page(*updates: Any) -> dict[str, Any]:
    """Posts by id of one getUpdates page holding ``updates`` (from offset 1)."""
    with play([get_updates(1, 100, answer(*updates))]) as cassette:
        result = await connector(cassette).fetch(SOURCE, "1")
    return {p.id: p for p in result.posts}


# -- mentions: the Bot API counts entity offsets in UTF-16 code units ---------------------


def test_entity_texts_count_utf16_code_units() -> None:
    text = "😀 @museum_demo 🏛️ @alice_art"
    # 😀 is two UTF-16 units, so @museum_demo starts at unit 3 (code point 2); 🏛️ is
    # U+1F3DB (two units) and U+FE0F (one), so @alice_art starts at unit 20 (code point 18)
    assert text.index("@museum_demo") == 2 and text.index("@alice_art") == 18
    entities = [
        {"type": "mention", "offset": 3, "length": 12},
        {"type": "url", "offset": 0, "length": 2},
        {"type": "mention", "offset": 20, "length": 10},
    ]
    found = list(entity_texts(text, entities, frozenset({"mention"})))
    assert found == ["@museum_demo", "@alice_art"]


async def test_a_mention_after_emoji_is_found_in_text_and_in_captions() -> None:
    text = "🎨🖼️ Bonjour @Museum_Demo !"  # 🎨 2 units, 🖼 2, U+FE0F 1, " Bonjour " 9
    caption = "👩‍🎨 merci @museum_demo_bot"  # 👩 2, ZWJ 1, 🎨 2, " merci " 7
    posts = await fetch_page(
        {
            "update_id": 1,
            "message": message(
                901, text=text, entities=[{"type": "mention", "offset": 14, "length": 12}]
            ),
        },
        {
            "update_id": 2,
            "message": message(
                902,
                photo=[{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}],
                caption=caption,
                caption_entities=[{"type": "mention", "offset": 12, "length": 16}],
            ),
        },
        {  # the same mention with code-point offsets (wrong for the Bot API): not ours
            "update_id": 3,
            "message": message(
                903, text=text, entities=[{"type": "mention", "offset": 12, "length": 12}]
            ),
        },
    )
    first, second, wrong = (posts[f"{GROUP_ID}:{n}"] for n in (901, 902, 903))
    assert first.mentions_self and first.kind is PostKind.MENTION
    assert second.mentions_self and second.kind is PostKind.MENTION
    assert not wrong.mentions_self and wrong.kind is PostKind.MESSAGE


async def test_a_text_mention_of_the_bot_counts_and_of_someone_else_does_not() -> None:
    def text_mention(user: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "text_mention", "offset": 0, "length": 5, "user": user}]

    posts = await fetch_page(
        {"update_id": 1, "message": message(901, text="Salut !", entities=text_mention(BOT))},
        {"update_id": 2, "message": message(902, text="Salut !", entities=text_mention(ALICE))},
    )
    assert posts[f"{GROUP_ID}:901"].mentions_self
    assert not posts[f"{GROUP_ID}:902"].mentions_self


async def test_raw_is_the_update_as_received() -> None:
    update = {"update_id": 1, "message": message(901, text="Bonjour", new_field={"x": [1]})}
    (post,) = (await fetch_page(update)).values()
    assert post.raw == update  # unknown fields included, nothing added


# -- shape checks: a clear error, and the cursor stays ------------------------------------


GOOD = {"update_id": 1011, "message": message(901, text="ok")}


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({"update_id": 1011}, "result is an object, expected an array of updates"),
        ([GOOD, "1012"], "result[1] is a string, expected an update"),
        ([{"update_id": "1011", "message": GOOD["message"]}], "result[0].update_id is a string"),
        ([{"message": GOOD["message"]}], "result[0].update_id is missing"),
        (
            [GOOD, {"update_id": 1012, "message": {"message_id": 9, "date": T0, "text": "x"}}],
            "update 1012: message.chat is missing",
        ),
        (
            [{"update_id": 1011, "edited_message": {**message(9), "date": None}}],
            "update 1011: edited_message.date is missing",
        ),
        (
            [{"update_id": 1011, "message": message(9, chat={**GROUP, "id": str(GROUP_ID)})}],
            "update 1011: message.chat.id is a string, expected an integer",
        ),
        (
            [{"update_id": 1011, "message": message(9, text=["x"])}],
            "update 1011: message.text is an array, expected a string",
        ),
        (
            [{"update_id": 1011, "channel_post": message(9, entities={"type": "mention"})}],
            "update 1011: channel_post.entities is an object, expected an array",
        ),
        (
            [{"update_id": 1011, "message": message(9, entities=[{"type": "mention"}])}],
            "update 1011: message.entities[0].offset is missing",
        ),
        (
            [
                {
                    "update_id": 1011,
                    "message": message(9, reply_to_message={**message(8), "from": 1}),
                }
            ],
            "update 1011: message.reply_to_message.from is an integer, expected an object",
        ),
        (
            [{"update_id": 1011, "message": message(9, is_automatic_forward="yes")}],
            "update 1011: message.is_automatic_forward is a string, expected a boolean",
        ),
    ],
)
async def test_wrong_shapes_are_clear_errors_and_the_cursor_stays(
    result: Any, problem: str
) -> None:
    idle = load("idle.json")["interactions"][0]["response"]
    bad = {"status": 200, "json": {"ok": True, "result": result}}
    with play([get_updates(1011, 100, bad), get_updates(1011, 100, idle)]) as cassette:
        conn = connector(cassette)
        with pytest.raises(MalformedResponse) as info:
            await conn.fetch(SOURCE, "1011")
        retry = await conn.fetch(SOURCE, "1011")
    assert f"the Bot API answer does not have the expected shape ({problem}" in str(info.value)
    assert info.value.platform == "telegram" and info.value.source == "tg-museum"
    assert [params["offset"] for _, params in cassette.calls] == [1011, 1011]
    assert retry.next_cursor == "1011"


async def test_json_nested_too_deep_to_decode_is_malformed() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError, PTB lets it out
    body = {"status": 200, "body": f'{{"ok": true, "result": {deep}}}'}
    with play([get_updates(1011, 100, body)]) as cassette, pytest.raises(MalformedResponse):
        await connector(cassette).fetch(SOURCE, "1011")


async def test_updates_of_other_kinds_are_skipped_and_confirmed() -> None:
    other = {"update_id": 1, "message_reaction": {"chat": GROUP, "message_id": 5}}
    with play([get_updates(1, 100, answer(other))]) as cassette:
        result = await connector(cassette).fetch(SOURCE, "1")
    assert result.posts == [] and result.next_cursor == "2"


# -- the raw call itself ------------------------------------------------------------------


@pytest.mark.filterwarnings("error::telegram.warnings.PTBUserWarning")
async def test_reading_updates_raw_gives_no_ptb_warning() -> None:
    """PTB warns on ``do_api_request("getUpdates")``; the connector silences exactly that."""
    with play("idle.json") as cassette:
        result = await connector(cassette).fetch(SOURCE, "1011")
    assert result.next_cursor == "1011"
