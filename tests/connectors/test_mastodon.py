"""Mastodon connector: the three feeds through the real Mastodon.py, over recorded traffic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connectors.base import PostKind, Source
from connectors.mastodon import MastodonConnector
from connectors.mastodon.normalize import id_key, snowflake_at
from connectors.registry import connector_class
from tests.connectors.contract import assert_contract, assert_moves_forward, assert_well_formed
from tests.connectors.test_mastodon_support import (
    BASE,
    FROZEN,
    TOKEN,
    load,
    make_connector,
    make_settings,
    replay,
    source,
)


@pytest.fixture
def frozen() -> Iterator[None]:
    """The clock of the recorded traffic (age windows and backfill cutoffs depend on it)."""
    with time_machine.travel(FROZEN, tick=False):
        yield


def test_registry_resolves_the_connector() -> None:
    assert connector_class("mastodon") is MastodonConnector
    assert MastodonConnector.platform == "mastodon"
    assert set(MastodonConnector.feeds) == {"mentions", "hashtag", "context"}


# -- mentions -------------------------------------------------------------------------


async def test_first_run_without_backfill_skips_existing_in_one_request() -> None:
    connector = make_connector()
    src = source("mentions")
    with replay("mentions_first_run.json") as rsps:
        result = await connector.fetch(src, None)
    assert result.posts == []
    assert result.next_cursor == "34975100"
    assert result.requests_made == 1 == len(rsps.calls)
    assert not result.has_more


async def test_mentions_paginate_forward_and_normalize() -> None:
    connector = make_connector()
    src = source("mentions", options={"limit": 2}, max_pages=3)
    expect = load("mentions_pages.json")["expect"]
    with replay("mentions_pages.json") as rsps:
        result = await connector.fetch(src, "34975100")
    assert_well_formed(connector, src, result)
    assert result.requests_made == 3 == len(rsps.calls)
    assert result.next_cursor == "34975105"
    assert not result.has_more  # the third page was short
    # four statuses; the notification whose status was removed (status: null) is skipped
    assert len(result.posts) == 4
    ids = [p.id for p in result.posts]
    assert ids == sorted(ids, key=id_key), "oldest first"
    rtl, emoji, direct, longest = result.posts

    assert rtl.kind is PostKind.MENTION and rtl.mentions_self
    assert rtl.text == expect["rtl"]
    assert rtl.language == "ar"
    assert rtl.in_reply_to_id is not None and rtl.conversation_id == rtl.in_reply_to_id
    assert rtl.author.handle == "layla@arabic.example" and rtl.author.name == "ليلى"
    assert rtl.url == f"https://arabic.example/@layla/{rtl.id}"
    assert rtl.created_at == datetime(2024, 5, 17, 14, 20, tzinfo=UTC)

    assert emoji.text == expect["emoji"]  # emoji, ZWJ and zero-width space intact
    assert "\u200d" in emoji.text and "\u200b" in emoji.text
    assert emoji.edited_at == datetime(2024, 5, 17, 14, 30, tzinfo=UTC)
    assert emoji.metrics == {"likes": 3, "replies": 1, "reposts": 1, "quotes": 0}
    assert emoji.author.followers == 312 and not emoji.author.is_self

    assert direct.kind is PostKind.MESSAGE  # visibility "direct" is a private message
    assert direct.author.handle == "bert" and direct.language is None

    assert longest.text == expect["text_500"] and len(longest.text) == 500
    assert longest.author.is_bot and longest.author.followers == 1900
    assert longest.url == "https://bots.example/users/artbot/statuses/99"  # url null: uri
    assert longest.edited_at is None and "quotes" not in longest.metrics

    for post in result.posts:  # raw is the notification as sent, not the SDK's retyped copy
        assert post.raw["type"] == "mention"
        assert post.raw["status"]["id"] == post.id
        assert isinstance(post.raw["created_at"], str)


async def test_full_pages_at_the_budget_report_more() -> None:
    connector = make_connector()
    src = source("mentions", options={"limit": 2}, max_pages=2)
    with replay("mentions_budget.json") as rsps:
        result = await connector.fetch(src, "34975100")
    assert result.requests_made == 2 == len(rsps.calls)
    assert result.has_more
    assert result.next_cursor == "34975104"


async def test_mentions_contract_same_page_twice() -> None:
    connector = make_connector()
    with replay("mentions_replay.json") as rsps:
        first = await assert_contract(connector, source("mentions"), "34975100")
    assert len(rsps.calls) == 2
    assert [p.id for p in first.posts] == sorted((p.id for p in first.posts), key=id_key)


async def test_idle_poll_costs_exactly_one_request() -> None:
    connector = make_connector()
    with replay("mentions_idle.json") as rsps:
        result = await connector.fetch(source("mentions"), "34975105")
    assert result.posts == []
    assert result.requests_made == 1 == len(rsps.calls)
    assert result.next_cursor == "34975105" and not result.has_more


async def test_mentions_backfill_walks_back_to_the_cutoff(frozen: None) -> None:
    connector = make_connector()
    src = source("mentions", options={"limit": 2}, backfill_hours=24, max_pages=3)
    with replay("mentions_backfill.json") as rsps:
        result = await connector.fetch(src, None)
    assert result.requests_made == 2 == len(rsps.calls)
    assert result.next_cursor == "34975102"  # the newest notification
    cutoff = FROZEN - timedelta(hours=24)
    assert len(result.posts) == 3
    assert all(p.created_at >= cutoff for p in result.posts)


# -- hashtag --------------------------------------------------------------------------


async def test_hashtag_first_run_anchors_at_the_newest() -> None:
    connector = make_connector()
    with replay("hashtag_first_run.json") as rsps:
        result = await connector.fetch(source("hashtag", options={"tag": "#museumweek"}), None)
    newest = load("hashtag_first_run.json")["interactions"][0]["response"]["json"][0]["id"]
    assert result.posts == [] and result.next_cursor == newest
    assert result.requests_made == 1 == len(rsps.calls)
    assert rsps.calls[0].request.url.startswith(f"{BASE}/api/v1/timelines/tag/museumweek?")


async def test_hashtag_backfill_pages_and_normalizes(frozen: None) -> None:
    connector = make_connector()
    src = source("hashtag", options={"tag": "museumweek", "limit": 3}, backfill_hours=24)
    with replay("hashtag_backfill.json") as rsps:
        result = await connector.fetch(src, None)
    assert_well_formed(connector, src, result)
    assert result.requests_made == 3 == len(rsps.calls)
    assert not result.has_more
    assert result.next_cursor == max((p.id for p in result.posts), key=id_key)
    assert rsps.calls[0].request.params["min_id"] == snowflake_at(FROZEN - timedelta(hours=24))
    quote, reply, removed, suspended, dead_quote, minimal = result.posts

    # a quote of our post: the server's "RE: <link>" fallback is not the author's text
    assert quote.text == "Can't wait! #museumweek"
    assert quote.mentions_self and quote.kind is PostKind.POST
    assert quote.raw["quote"]["state"] == "accepted"

    assert reply.kind is PostKind.REPLY and reply.mentions_self
    assert reply.in_reply_to_id == reply.conversation_id

    assert removed.deleted and removed.text == "Oops, wrong picture #museumweek"
    assert suspended.deleted and suspended.author.handle == "spammer@spam.example"
    assert not dead_quote.deleted and not dead_quote.mentions_self  # the quoted post is gone

    assert minimal.author.name is None and minimal.author.followers is None
    assert minimal.url == "https://tiny.example/notes/9x2" and minimal.language is None
    assert minimal.metrics == {} and minimal.edited_at is None and minimal.text == "#museumweek"


async def test_hashtag_contract_marks_own_posts() -> None:
    connector = make_connector()
    src = source("hashtag", options={"tag": "museumweek", "local": True})
    start = snowflake_at(FROZEN - timedelta(hours=30))
    with replay("hashtag_replay.json") as rsps:
        first = await assert_contract(connector, src, start, expect_self=True)
    assert len(rsps.calls) == 2
    own = [p for p in first.posts if p.author.is_self]
    assert len(own) == 1 and own[0].author.handle == "stadtmuseum"
    assert own[0].metrics == {"likes": 40, "replies": 2, "reposts": 12, "quotes": 1}


async def test_is_self_by_handle_when_no_account_id() -> None:
    connector = make_connector(account_id=None, handle="@StadtMuseum@social.example")
    src = source("hashtag", options={"tag": "museumweek", "local": True})
    start = snowflake_at(FROZEN - timedelta(hours=30))
    with replay("hashtag_replay.json", only=[0]):
        result = await connector.fetch(src, start)
    assert [p.author.handle for p in result.posts if p.author.is_self] == ["stadtmuseum"]


# -- context --------------------------------------------------------------------------


def _context_cursor(floor: str, threads: dict[str, list[object]]) -> str:
    return json.dumps({"v": 1, "floor": floor, "high": floor, "threads": threads})


async def test_context_first_run_remembers_threads_in_one_request(frozen: None) -> None:
    connector = make_connector()
    with replay("context_first_run.json") as rsps:
        result = await connector.fetch(source("context"), None)
    assert result.posts == [] and result.requests_made == 1 == len(rsps.calls)
    assert result.next_cursor is not None
    state = json.loads(result.next_cursor)
    assert state["floor"] == snowflake_at(FROZEN)
    assert len(state["threads"]) == 2  # the 10-day-old status is outside max_age_hours


async def test_context_scans_changed_threads_only(frozen: None) -> None:
    connector = make_connector()
    doc = load("context_scan.json")
    thread = doc["thread"]
    src = source("context", max_pages=3)
    cursor = _context_cursor(doc["first_floor"], {thread: [doc["first_floor"], 0]})
    with replay("context_scan.json") as rsps:
        first = await connector.fetch(src, cursor)
        assert first.requests_made == 2 == len(rsps.calls)
        assert_well_formed(connector, src, first)
        assert_moves_forward(connector, cursor, first.next_cursor)

        idle = await connector.fetch(src, first.next_cursor)
        assert idle.requests_made == 1 and idle.posts == []
        assert_moves_forward(connector, first.next_cursor, idle.next_cursor)

        again = await connector.fetch(src, idle.next_cursor)
        assert again.requests_made == 2
        assert_moves_forward(connector, idle.next_cursor, again.next_cursor)

        last = await connector.fetch(src, again.next_cursor)
        assert last.requests_made == 1 and last.posts == []
    assert len(rsps.calls) == 6

    r1, r2, r3, own_new = first.posts  # oldest first
    assert own_new.author.is_self and own_new.kind is PostKind.POST
    assert own_new.conversation_id == own_new.id
    assert [p.kind for p in (r1, r2, r3)] == [PostKind.REPLY] * 3
    assert all(p.conversation_id == thread for p in (r1, r2, r3))
    assert r1.in_reply_to_id == thread and r1.mentions_self
    assert r2.author.is_self and r2.in_reply_to_id == r1.id  # our answer inside the thread
    assert r3.mentions_self and r3.in_reply_to_id == thread  # answers our status, no @
    # the same context served again after one more reply: only that reply is new
    assert [p.id for p in again.posts] != [] and len(again.posts) == 1
    (r4,) = again.posts
    assert r4.in_reply_to_id == r1.id and r4.conversation_id == thread
    assert not r4.mentions_self  # a reply to Alice, without mentioning us
    assert {r4.id}.isdisjoint({p.id for p in first.posts})


async def test_context_overlapping_threads_return_each_reply_once(frozen: None) -> None:
    """Our reply R sits inside our thread S and both are watched: a reply to R comes from R's
    context first and is not returned again when S's whole thread is read later."""
    connector = make_connector()
    doc = load("context_overlap.json")
    thread, own_reply, floor = doc["thread"], doc["own_reply"], doc["floor"]
    cursor = _context_cursor(floor, {thread: [doc["seen_up_to"], 2], own_reply: [own_reply, 0]})
    src = source("context")
    with replay("context_overlap.json") as played:
        first = await connector.fetch(src, cursor)
        assert first.requests_made == 2 == len(played.calls)
        second = await connector.fetch(src, first.next_cursor)
        assert second.requests_made == 2 == len(played.calls) - 2
    (to_reply,) = first.posts
    assert to_reply.in_reply_to_id == own_reply and to_reply.conversation_id == thread
    assert to_reply.mentions_self
    (new_direct,) = second.posts
    assert new_direct.in_reply_to_id == thread and new_direct.id != to_reply.id
    assert_moves_forward(connector, first.next_cursor, second.next_cursor)


async def test_context_defers_threads_beyond_the_budget(frozen: None) -> None:
    connector = make_connector()
    doc = load("context_scan.json")
    thread = doc["thread"]
    cursor = _context_cursor(doc["first_floor"], {thread: [doc["first_floor"], 0]})
    with replay("context_scan.json", only=[0]) as rsps:
        result = await connector.fetch(source("context", max_pages=1), cursor)
    assert result.requests_made == 1 == len(rsps.calls)
    assert result.has_more  # the thread with new replies waits for the next poll
    assert result.next_cursor is not None
    assert json.loads(result.next_cursor)["threads"][thread][1] == 0  # not marked as scanned
    assert [p.author.is_self for p in result.posts] == [True]


async def test_context_learns_its_account_id_once(frozen: None) -> None:
    connector = make_connector(account_id=None)
    with replay("whoami.json", "context_first_run.json") as rsps:
        result = await connector.fetch(source("context"), None)
    assert result.requests_made == 2 == len(rsps.calls)


# -- construction and cursors ---------------------------------------------------------


async def test_builds_its_own_sdk_client_from_settings() -> None:
    connector = MastodonConnector(make_settings())
    client = connector._client
    assert client.ratelimit_method == "throw"
    assert client.version_check_mode == "none"
    assert client.api_base_url == BASE and client.access_token == TOKEN
    with replay("mentions_idle.json") as rsps:
        result = await connector.fetch(source("mentions"), "34975105")
    assert result.requests_made == 1 == len(rsps.calls)
    await connector.aclose()
    assert connector._tap not in client.session.hooks["response"]


def test_cursor_positions_sort() -> None:
    connector = make_connector()
    assert connector.cursor_position("34975105") > connector.cursor_position("9999999")
    assert connector.cursor_position("112457023488000000") > connector.cursor_position("9" * 17)
    low = _context_cursor("100", {})
    high = json.dumps({"v": 1, "floor": "100", "high": "250", "threads": {}})
    assert connector.cursor_position(high) > connector.cursor_position(low)


def test_validate_source_names_bad_options() -> None:
    ok = Source(name="m", feed="hashtag", options={"tag": "#museumweek"})
    assert MastodonConnector.validate_source(ok) == []
    problems = MastodonConnector.validate_source(
        Source(name="m", feed="hashtag", options={"tag": "two words", "colour": "red"})
    )
    assert any(p.startswith("options.tag") for p in problems)
    assert any(p.startswith("options.colour") for p in problems)
    assert MastodonConnector.validate_source(Source(name="m", feed="home"))[0].startswith("feed:")


def test_snowflake_matches_mastodon_ids() -> None:
    # Mastodon ids are (milliseconds << 16) | sequence; the API reference's example status
    # 103270115826048975 was created at 2019-12-08T03:48:33.901Z.
    moment = datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)
    flake = int(snowflake_at(moment))
    assert flake >> 16 == 1575776913901 and flake & 0xFFFF == 0
    decoded = datetime.fromtimestamp((103270115826048975 >> 16) / 1000, tz=UTC)
    assert abs(decoded - moment) < timedelta(seconds=1)
    assert id_key(snowflake_at(moment - timedelta(seconds=1))) < id_key("103270115826048975")
    assert id_key(snowflake_at(moment + timedelta(seconds=1))) > id_key("103270115826048975")


def test_settings_never_show_the_token() -> None:
    settings = make_settings()
    connector = make_connector()
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert TOKEN not in repr(connector)
    assert TOKEN not in settings.model_dump_json()
