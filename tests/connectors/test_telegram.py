"""The Telegram connector against recorded Bot API traffic (see test_telegram_replay)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from connectors.base import Author, Capability, Post, PostKind, Source
from connectors.errors import PermanentError, Unsupported
from connectors.registry import connector_class
from connectors.telegram import TelegramConnector, TelegramSettings
from tests.connectors.contract import assert_contract, assert_well_formed
from tests.connectors.test_telegram_replay import (
    CHANNEL_ID,
    FORUM_ID,
    GROUP_ID,
    TOKEN,
    Cassette,
    connector,
    get_updates,
    load,
    play,
    settings,
)

CHATS: list[int | str] = [GROUP_ID, "@museum_demo", FORUM_ID]


def source(max_pages: int = 3, backfill_hours: float | None = None, **options: Any) -> Source:
    opts: dict[str, Any] = {"chats": CHATS, **options}
    return Source(
        name="tg-museum",
        feed="updates",
        options=opts,
        max_pages=max_pages,
        backfill_hours=backfill_hours,
    )


def recorded_updates(name: str) -> dict[str, dict[str, Any]]:
    """Recorded updates of a fixture by post id (the last state of each message wins)."""
    out: dict[str, dict[str, Any]] = {}
    for exchange in load(name)["interactions"]:
        for update in exchange["response"]["json"]["result"]:
            message = next(v for k, v in update.items() if k != "update_id")
            if "chat" in message:
                out[f"{message['chat']['id']}:{message['message_id']}"] = update
    return out


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


T0 = 1747731600


async def fetch_all_pages() -> tuple[list[Any], dict[str, Post], Cassette]:
    """Fetch thread_pages.json page by page, as the scheduler would."""
    results = []
    posts: dict[str, Post] = {}
    src = source(page_size=4)
    with play("thread_pages.json") as cassette:
        conn = connector(cassette)
        cursor: str | None = "1000"
        for _ in range(4):
            result = await conn.fetch(src, cursor)
            assert_well_formed(conn, src, result)
            results.append((cursor, result))
            posts.update({p.id: p for p in result.posts})
            cursor = result.next_cursor
    return results, posts, cassette


# -- fetch: cursor, paging, bounds --------------------------------------------------------


async def test_contract_with_the_same_page_served_twice() -> None:
    with play("same_page_twice.json") as cassette:
        conn = connector(cassette)
        first = await assert_contract(conn, source(page_size=4), "1000", expect_self=True)
    assert first.next_cursor == "1004"
    assert [params["offset"] for _, params in cassette.calls] == [1000, 1004]


async def test_pages_follow_the_cursor_and_never_confirm_ahead() -> None:
    results, posts, cassette = await fetch_all_pages()
    cursors = [r.next_cursor for _, r in results]
    assert cursors == ["1004", "1008", "1011", "1011"]
    assert [r.has_more for _, r in results] == [True, True, False, False]
    assert all(r.requests_made == 1 for _, r in results)
    # every getUpdates carried exactly the cursor the fetch was given: nothing confirmed early
    sent = [params["offset"] for method, params in cassette.calls if method == "getUpdates"]
    assert sent == [int(c) for c, _ in results if c is not None]
    assert len(cassette.calls) == 4
    expected = {f"{GROUP_ID}:{m}" for m in (900, 901, 902, 903, 904, 905, 906)}
    assert set(posts) == expected | {f"{CHANNEL_ID}:50"}


async def test_idle_poll_costs_exactly_one_request() -> None:
    with play("idle.json") as cassette:
        result = await connector(cassette).fetch(source(), "1011")
    assert result.posts == []
    assert result.next_cursor == "1011"
    assert result.has_more is False
    assert result.requests_made == 1
    assert len(cassette.calls) == 1


async def test_first_run_without_backfill_skips_the_queue_in_one_request() -> None:
    with play("first_run.json") as cassette:
        result = await connector(cassette).fetch(source(), None)
    assert result.posts == []
    assert result.next_cursor == "4712"  # past the newest queued update
    assert result.requests_made == 1
    assert cassette.calls[0][1]["offset"] == -1


async def test_first_run_on_an_empty_queue_then_polls_from_the_start() -> None:
    with play("first_run_empty.json") as cassette:
        conn = connector(cassette)
        first = await conn.fetch(source(), None)
        second = await conn.fetch(source(), first.next_cursor)
    assert first.posts == [] and first.next_cursor == "0"
    assert "offset" not in cassette.calls[1][1]  # offset 0 is sent as "no offset"
    assert [p.text for p in second.posts] == ["Encore une question…"]
    assert second.next_cursor == "4713"
    assert conn.cursor_position(second.next_cursor) > conn.cursor_position(first.next_cursor)


@time_machine.travel(datetime(2025, 5, 21, 9, 0, tzinfo=UTC), tick=False)
async def test_first_run_with_backfill_keeps_only_the_window() -> None:
    with play("backfill.json") as cassette:
        result = await connector(cassette).fetch(source(backfill_hours=2), None)
    assert [p.text for p in result.posts] == ["Question récente"]
    assert result.next_cursor == "2002"  # the old update is behind the cursor all the same
    assert "offset" not in cassette.calls[0][1]


async def test_zero_pages_make_no_request() -> None:
    with play([]) as cassette:
        result = await connector(cassette).fetch(source(max_pages=0), "1000")
    assert result.requests_made == 0 and result.next_cursor == "1000" and result.has_more


# -- normalization ------------------------------------------------------------------------


async def test_every_post_keeps_its_update_exactly_as_sent() -> None:
    _, posts, _ = await fetch_all_pages()
    recorded = recorded_updates("thread_pages.json")
    for post in posts.values():
        assert post.raw == recorded[post.id], post.id
        message = next(v for k, v in post.raw.items() if k != "update_id")
        assert post.text == message.get("text", message.get("caption"))
        assert post.created_at == at(message["date"])
        assert post.created_at.tzinfo is not None
        assert post.metrics == {} and post.deleted is False and post.language is None


async def test_channel_post_and_its_automatic_forward_are_our_own_posts() -> None:
    _, posts, _ = await fetch_all_pages()
    channel = posts[f"{CHANNEL_ID}:50"]
    assert channel.kind is PostKind.POST
    assert channel.author.is_self and channel.author.handle == "museum_demo"
    assert channel.url == "https://t.me/museum_demo/50"
    assert channel.conversation_id == channel.id and channel.in_reply_to_id is None
    assert channel.text.startswith("Nouvelle exposition")  # a photo's caption
    forward = posts[f"{GROUP_ID}:900"]
    assert forward.kind is PostKind.POST
    assert forward.author.is_self and forward.author.id == str(CHANNEL_ID)
    assert forward.url == "https://t.me/museum_demo_chat/900"
    assert forward.conversation_id == forward.id


async def test_comments_and_replies_link_up_into_one_thread() -> None:
    _, posts, _ = await fetch_all_pages()
    root = f"{GROUP_ID}:900"
    alice = posts[f"{GROUP_ID}:901"]
    assert alice.kind is PostKind.COMMENT
    assert (alice.in_reply_to_id, alice.conversation_id) == (root, root)
    assert alice.mentions_self  # @museum_demo, and a comment under our post
    assert alice.author.handle == "alice_art" and alice.author.name == "Alice Martin"
    yael = posts[f"{GROUP_ID}:902"]
    assert yael.kind is PostKind.REPLY
    assert yael.in_reply_to_id == alice.id and yael.conversation_id == root
    assert not yael.mentions_self
    quote = posts[f"{GROUP_ID}:904"]
    assert quote.kind is PostKind.COMMENT and quote.conversation_id == root
    assert quote.raw["message"]["quote"]["text"] == "Lumières du Nord"


async def test_an_edit_replaces_the_text_and_sets_edited_at() -> None:
    results, _, _ = await fetch_all_pages()
    first = next(p for p in results[0][1].posts if p.id == f"{GROUP_ID}:901")
    assert first.edited_at is None and "Pentecôte" not in first.text
    edited = next(p for p in results[1][1].posts if p.id == f"{GROUP_ID}:901")
    assert edited.edited_at == at(T0 + 400) and edited.created_at == at(T0 + 300)
    assert "lundi de Pentecôte" in edited.text
    assert edited.kind is PostKind.COMMENT and edited.conversation_id == f"{GROUP_ID}:900"


async def test_rtl_zero_width_and_emoji_text_is_kept_exactly() -> None:
    _, posts, _ = await fetch_all_pages()
    text = posts[f"{GROUP_ID}:902"].text
    page = load("thread_pages.json")["interactions"][1]["response"]["json"]["result"]
    assert text == page[0]["message"]["text"]
    for char in ("\u200f", "\u200b", "\u200d", "\u2067", "\u2069", "👩"):
        assert char in text


async def test_a_message_at_the_maximum_length_is_whole_and_mentions_us() -> None:
    _, posts, _ = await fetch_all_pages()
    long = posts[f"{GROUP_ID}:906"]
    assert len(long.text) == 4096
    assert long.kind is PostKind.MENTION and long.mentions_self  # @museum_demo_bot
    assert long.author.handle == "omar_reads"


async def test_missing_optional_fields_bots_and_anonymous_admins() -> None:
    _, posts, _ = await fetch_all_pages()
    ghost = posts[f"{GROUP_ID}:904"].author  # "Deleted Account": no username, no last name
    assert (ghost.id, ghost.handle, ghost.name) == ("333333333", "333333333", "Deleted Account")
    assert not ghost.is_self and not ghost.is_bot and ghost.followers is None
    yael = posts[f"{GROUP_ID}:902"].author
    assert yael.handle == "222222222" and yael.name == "יעל"
    spam = posts[f"{GROUP_ID}:903"]
    assert spam.author.is_bot and spam.kind is PostKind.MESSAGE
    admin = posts[f"{GROUP_ID}:905"]
    assert admin.author.is_self and admin.author.id == str(GROUP_ID)


async def test_service_messages_and_unlisted_chats_are_skipped() -> None:
    results, posts, _ = await fetch_all_pages()
    assert f"{GROUP_ID}:907" not in posts  # pin of a deleted (inaccessible) message
    assert not any(p.id.startswith("-1001999999999:") for p in posts.values())
    first = results[0][1]
    assert first.warnings == [
        "skipped 1 update(s) from chat -1001999999999 (Random Group): not listed in options.chats"
    ]
    assert all(r.warnings == [] for _, r in results[1:])  # the service message is routine


async def test_edited_channel_post_topic_external_reply_and_reply_to_the_bot() -> None:
    with play("extras.json") as cassette:
        result = await connector(cassette).fetch(source(), "3000")
    posts = {p.id: p for p in result.posts}
    assert result.next_cursor == "3005"
    recorded = recorded_updates("extras.json")
    assert all(p.raw == recorded[p.id] for p in posts.values())
    edited = posts[f"{CHANNEL_ID}:50"]
    assert edited.kind is PostKind.POST and edited.edited_at == at(T0 + 3600)
    assert "vendredi" in edited.text
    topic = posts[f"{FORUM_ID}:12"]
    assert topic.kind is PostKind.MESSAGE and topic.in_reply_to_id is None
    assert topic.conversation_id == f"{FORUM_ID}:10"
    assert topic.url == "https://t.me/c/1500000003/12?thread=10"
    external = posts[f"{GROUP_ID}:908"]
    assert external.kind is PostKind.REPLY and external.mentions_self
    assert external.in_reply_to_id == external.conversation_id == f"{CHANNEL_ID}:50"
    thanks = posts[f"{GROUP_ID}:910"]
    assert thanks.kind is PostKind.REPLY and thanks.mentions_self
    assert thanks.in_reply_to_id == f"{GROUP_ID}:909"
    assert thanks.conversation_id == f"{GROUP_ID}:900"
    assert not any(p.id.startswith("555555555:") for p in posts.values())  # no DMs by default
    assert result.warnings == [
        "skipped 1 direct message(s) to the bot: options.private_messages is off"
    ]


async def test_direct_messages_when_asked_for() -> None:
    with play("extras.json") as cassette:
        result = await connector(cassette).fetch(source(private_messages=True), "3000")
    dm = next(p for p in result.posts if p.id == "555555555:3")
    assert dm.kind is PostKind.MESSAGE and dm.url is None and dm.text == "مرحبا، هل المتحف مفتوح؟"


async def test_feed_options_drop_channel_posts_and_forwards() -> None:
    first_page = load("thread_pages.json")["interactions"][:1]
    with play(first_page) as cassette:
        result = await connector(cassette).fetch(
            source(page_size=4, channel_posts=False, automatic_forwards=False), "1000"
        )
    assert [p.id for p in result.posts] == [f"{GROUP_ID}:901"]
    assert result.next_cursor == "1004"


async def test_parents_seen_in_an_earlier_fetch_give_the_root_in_basic_groups() -> None:
    group = {"id": -4000000001, "title": "Basic group", "type": "group"}
    user = {"id": 111111111, "is_bot": False, "first_name": "Alice"}
    a = {"message_id": 1, "from": user, "chat": group, "date": T0, "text": "root"}
    b = {"message_id": 2, "from": user, "chat": group, "date": T0 + 1, "text": "mid",
         "reply_to_message": a}  # fmt: skip
    c = {"message_id": 3, "from": user, "chat": group, "date": T0 + 2, "text": "leaf",
         "reply_to_message": {k: v for k, v in b.items() if k != "reply_to_message"}}  # fmt: skip

    def page(offset: int, updates: list[dict[str, Any]]) -> dict[str, Any]:
        return get_updates(offset, 100, {"status": 200, "json": {"ok": True, "result": updates}})

    exchanges = [
        page(10, [{"update_id": 10, "message": a}, {"update_id": 11, "message": b}]),
        page(12, [{"update_id": 12, "message": c}]),
    ]
    src = Source(name="basic", feed="updates", options={"chats": [-4000000001]})
    with play(exchanges) as cassette:
        conn = connector(cassette)
        first = await conn.fetch(src, "10")
        second = await conn.fetch(src, first.next_cursor)
    assert [p.conversation_id for p in first.posts] == ["-4000000001:1"] * 2
    leaf = second.posts[0]
    assert leaf.in_reply_to_id == "-4000000001:2" and leaf.conversation_id == "-4000000001:1"
    assert leaf.url is None  # basic groups have no message links


# -- reply, whoami, construction, settings ----------------------------------------------


async def test_reply_sends_a_threaded_plain_text_message() -> None:
    to = Post(
        platform="telegram",
        id=f"{GROUP_ID}:901",
        source="tg-museum",
        kind=PostKind.COMMENT,
        author=connector_author(),
        text="Bonjour @museum_demo ! Est-ce ouvert le lundi ? 🤔",
        created_at=at(T0 + 300),
    )
    text = "Oui, le musée est ouvert le lundi de 10 h à 18 h. 🙂"
    with play("send_message.json") as cassette:
        sent = await connector(cassette).reply(to, text, key="outbox-42")
    method, params = cassette.calls[0]
    assert method == "sendMessage"
    assert params == {"chat_id": GROUP_ID, "text": text, "reply_parameters": {"message_id": 901}}
    assert sent.platform_id == f"{GROUP_ID}:909"
    assert sent.url == "https://t.me/museum_demo_chat/909"


def connector_author() -> Author:
    return Author(id="111111111", handle="alice_art", name="Alice Martin")


async def test_reply_refuses_other_platforms_without_a_request() -> None:
    to = Post(
        platform="mastodon",
        id="1",
        source="m",
        kind=PostKind.POST,
        author=connector_author(),
        text="x",
        created_at=at(T0),
    )
    with play([]) as cassette, pytest.raises(Unsupported):
        await connector(cassette).reply(to, "hi", key="k")


async def test_no_reconcile_capability_and_find_reply_is_unsupported() -> None:
    assert Capability.RECONCILE not in TelegramConnector.capabilities
    assert Capability.REPLY in TelegramConnector.capabilities
    with play([]) as cassette:
        conn = connector(cassette)
        with pytest.raises(Unsupported):
            await conn.find_reply(
                Post(
                    platform="telegram",
                    id=f"{GROUP_ID}:901",
                    source="s",
                    kind=PostKind.COMMENT,
                    author=connector_author(),
                    text="x",
                    created_at=at(T0),
                ),
                "hi",
                "k",
            )


async def test_whoami_is_the_bot() -> None:
    with play("get_me.json") as cassette:
        me = await connector(cassette).whoami()
    assert (me.id, me.handle, me.name) == ("7000000001", "museum_demo_bot", "Demo Museum")
    assert me.is_self and me.is_bot


async def test_whoami_teaches_the_bot_handle_for_mentions() -> None:
    with play("get_me.json") as cassette:
        conn = connector(cassette, bot_username=None)
        assert "museum_demo_bot" not in conn.normalizer.handles
        await conn.whoami()
    assert "museum_demo_bot" in conn.normalizer.handles


async def test_a_cursor_that_is_not_an_offset_is_a_permanent_error() -> None:
    with play([]) as cassette, pytest.raises(PermanentError, match="not a getUpdates offset"):
        await connector(cassette).fetch(source(), "next-page-token")


def test_registry_and_settings_model() -> None:
    assert connector_class("telegram") is TelegramConnector
    assert TelegramConnector.Settings is TelegramSettings
    assert set(TelegramConnector.feeds) == {"updates"}


async def test_built_from_settings_without_a_client() -> None:
    conn = TelegramConnector(settings(base_url="http://127.0.0.1:8081/bot"))
    assert conn.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    await conn.aclose()


def test_secrets_stay_out_of_reprs_and_validation_errors() -> None:
    secret = TOKEN.split(":")[1]
    conf = settings()
    conn = TelegramConnector(conf)
    for text in (repr(conf), str(conf), repr(conn), str(conf.model_dump())):
        assert secret not in text
    assert conf.bot_id == 7000000001
    assert conf.account_handle == "museum_demo"
    bad = "12345:short-secret"
    with pytest.raises(ValueError) as info:
        TelegramSettings(bot_token=bad)  # type: ignore[arg-type]
    assert "short-secret" not in str(info.value) and "bot_token" in str(info.value)


async def test_the_token_is_redacted_from_http_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with play("idle.json") as cassette:
        await connector(cassette).fetch(source(), "1011")
    assert "getUpdates" in caplog.text  # httpx did log the request URL…
    assert TOKEN.split(":")[1] not in caplog.text  # …without the token


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"chats": []}, "options.chats"),
        ({"chats": ["not a handle!"]}, "options.chats"),
        ({"chats": [GROUP_ID], "page_size": 500}, "options.page_size"),
        ({"chats": [GROUP_ID], "channel": "x"}, "options.channel"),
        ({}, "options.chats"),
    ],
)
def test_invalid_feed_options_name_the_field(options: dict[str, Any], problem: str) -> None:
    errors = TelegramConnector.validate_source(Source(name="t", feed="updates", options=options))
    assert errors and all(e.startswith(problem) for e in errors), errors


def test_valid_feed_options_and_unknown_feed() -> None:
    ok = Source(name="t", feed="updates", options={"chats": ["-1001500000002", "@Museum_Demo"]})
    assert TelegramConnector.validate_source(ok) == []
    assert TelegramConnector.validate_source(Source(name="t", feed="mentions"))[0].startswith(
        "feed:"
    )
