"""X connector fetching, driven through tweepy by recorded X API v2 traffic."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from connectors.base import PostKind
from tests.connectors.contract import assert_contract, assert_moves_forward, assert_well_formed
from tests.connectors.test_x_support import (
    ACCOUNT_ID,
    C1,
    C2,
    C3,
    L0,
    MENTIONS_URL,
    O4,
    OLD_SINCE,
    P0,
    P1,
    S0,
    S1,
    S2,
    S3,
    SEARCH_QUERY,
    T1,
    T2,
    T3,
    T5,
    T6,
    T7,
    V4,
    D,
    connector,
    cursor_of,
    frozen,
    page_body,
    play,
    rsps,
    source,
    tweet,
)

__all__ = ["frozen", "rsps"]  # the fixtures, imported for pytest
pytestmark = pytest.mark.usefixtures("frozen")  # the clock of the recorded traffic


def since(post_id: str) -> str:
    return json.dumps({"since_id": post_id})


@pytest.mark.parametrize("kind", ["built", "response", "dict"])
async def test_mentions_three_pages_are_normalized(rsps, kind):
    play(rsps, "mentions_pages.json")
    conn = connector(kind)
    src = source("mentions", max_pages=3)

    result = await conn.fetch(src, since(S0))

    assert result.requests_made == 3 and len(rsps.calls) == 3
    assert not result.has_more
    assert_well_formed(conn, src, result)
    assert_moves_forward(conn, since(S0), result.next_cursor)
    assert cursor_of(result) == {"since_id": T1}
    # chronological; the retweet T3 is dropped, the edited post keeps its original id O4,
    # and the deleted parent D of T5 comes back as a tombstone
    assert [p.id for p in result.posts] == [T7, T6, D, T5, O4, T2, T1]
    assert T3 not in {p.id for p in result.posts}
    posts = {p.id: p for p in result.posts}

    reply = posts[T1]
    assert reply.kind is PostKind.REPLY and reply.source == "x-mentions"
    assert reply.text == tweet("mentions_pages.json", 0, T1)["text"]
    assert "\u200d" in reply.text and "\u200f" in reply.text and "\u200b" in reply.text
    assert reply.in_reply_to_id == P0 and reply.conversation_id == P0
    assert reply.language == "ar" and reply.mentions_self
    assert reply.created_at == datetime(2026, 3, 10, 11, 50, 12, tzinfo=UTC)
    assert reply.url == f"https://x.com/amira_reads/status/{T1}"
    assert reply.author.id == "1290001122334455667" and reply.author.handle == "amira_reads"
    assert reply.author.name == "أميرة 📚" and reply.author.followers == 842
    assert not reply.author.is_self and not reply.author.is_bot
    assert reply.metrics == {
        "likes": 3,
        "replies": 0,
        "reposts": 0,
        "quotes": 0,
        "bookmarks": 0,
        "impressions": 57,
    }
    assert reply.raw == tweet("mentions_pages.json", 0, T1)
    assert reply.edited_at is None and not reply.deleted

    quote = posts[T2]
    assert quote.kind is PostKind.MENTION and quote.in_reply_to_id is None
    assert quote.text == "Loved this & more: @SalonMuseum's Sunday tours <3 https://t.co/Qx7LmN2pZa"
    assert {"type": "quoted", "id": P0} in quote.raw["referenced_tweets"]
    assert quote.conversation_id == T2 and quote.metrics["quotes"] == 0

    edited = posts[O4]
    assert edited.raw["id"] == V4 and edited.raw["edit_history_tweet_ids"] == [O4, V4]
    assert edited.created_at == datetime(2026, 3, 10, 10, 55, 30, tzinfo=UTC)
    assert edited.edited_at == datetime(2026, 3, 10, 11, 2, 10, tzinfo=UTC)
    assert edited.conversation_id == O4 and edited.url == f"https://x.com/lea_art/status/{O4}"

    orphan, gone = posts[T5], posts[D]
    assert orphan.in_reply_to_id == D and orphan.conversation_id == D
    assert gone.deleted and gone.text == "" and gone.author.id == "1122334455"
    assert gone.created_at == datetime(2026, 3, 10, 10, 20, tzinfo=UTC)
    assert gone.conversation_id == D and gone.raw["resource_id"] == D
    assert gone.url == f"https://x.com/i/web/status/{D}"

    longest = posts[T6]
    assert len(longest.text) == 280 and longest.text == tweet("mentions_pages.json", 2, T6)["text"]

    bare = posts[T7]  # no created_at, lang, metrics, entities or conversation_id in the payload
    assert bare.created_at == datetime(2026, 3, 10, 10, 5, tzinfo=UTC)  # from the snowflake id
    assert bare.language is None and bare.metrics == {} and bare.conversation_id == T7
    assert bare.author.name == "Quiet" and bare.author.followers is None
    assert bare.mentions_self and bare.kind is PostKind.MENTION


async def test_contract_after_the_last_page(rsps):
    play(rsps, "mentions_pages.json", only=[2], query={"pagination_token": None})
    play(rsps, "mentions_pages.json", only=[2], query={"pagination_token": None, "since_id": T6})
    conn = connector()
    first = await assert_contract(conn, source("mentions", max_pages=1), since(S0))
    assert {p.id for p in first.posts} == {T6, T7}
    assert len(rsps.calls) == 2


async def test_contract_in_the_middle_of_a_sweep(rsps):
    # the resumed request (pagination_token) is served page 1 again: nothing new may come out
    play(rsps, "mentions_pages.json", only=[0])
    play(rsps, "mentions_pages.json", only=[0], query={"pagination_token": page_token(1)})
    conn = connector()
    first = await assert_contract(conn, source("mentions", max_pages=1), since(S0))
    assert first.has_more and {p.id for p in first.posts} == {T1, T2}
    assert len(rsps.calls) == 2


def page_token(index: int) -> str:
    return page_body("mentions_pages.json", index - 1)["meta"]["next_token"]


async def test_fetch_is_bounded_and_resumes_where_it_stopped(rsps):
    play(rsps, "mentions_pages.json")
    conn = connector()
    src = source("mentions", max_pages=2)

    first = await conn.fetch(src, since(S0))
    assert first.requests_made == 2 and first.has_more
    assert {p.id for p in first.posts} == {T1, T2, O4, T5, D}
    paused = cursor_of(first)
    assert paused["since_id"] == S0 and paused["sweep"]["next_token"] == page_token(2)

    second = await conn.fetch(src, first.next_cursor)
    assert second.requests_made == 1 and not second.has_more
    assert {p.id for p in second.posts} == {T6, T7}
    assert cursor_of(second) == {"since_id": T1}
    assert len(rsps.calls) == 3
    cursors = [since(S0), first.next_cursor, second.next_cursor]
    positions = [conn.cursor_position(c) for c in cursors if c is not None]
    assert positions == sorted(positions) and positions[0] < positions[1] < positions[2]


async def test_idle_poll_costs_exactly_one_request(rsps):
    play(rsps, "mentions_empty.json")
    conn = connector()
    result = await conn.fetch(source("mentions", max_pages=3), since(T1))
    assert result.requests_made == 1 and len(rsps.calls) == 1
    assert result.posts == [] and not result.has_more
    assert cursor_of(result) == {"since_id": T1}


async def test_first_run_skips_existing_posts_in_one_request(rsps):
    play(rsps, "mentions_first_run.json")
    result = await connector().fetch(source("mentions", max_pages=3), None)
    assert result.posts == [] and result.requests_made == 1 and not result.has_more
    assert cursor_of(result) == {"since_id": T1}


async def test_first_run_with_backfill_uses_start_time(rsps):
    play(rsps, "mentions_backfill.json")  # recorded with start_time = now - 3 h
    result = await connector().fetch(source("mentions", backfill_hours=3), None)
    assert [p.id for p in result.posts] == [T2, T1]
    assert cursor_of(result) == {"since_id": T1}


async def test_account_id_lookup_counts_against_the_budget(rsps):
    play(rsps, "users_by_username.json")
    conn = connector(user_id=None, **{k: None for k in OAUTH1})
    result = await conn.fetch(source("mentions", max_pages=1), since(S0))
    assert result.requests_made == 1 and result.has_more and result.posts == []
    assert cursor_of(result) == {"since_id": S0}
    assert conn.identity.user_id == ACCOUNT_ID


OAUTH1 = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


async def test_search_marks_own_posts_and_keeps_long_text(rsps):
    play(rsps, "search_page.json")
    play(rsps, "search_page.json", query={"since_id": S1})
    conn = connector()
    src = source("search", options={"query": SEARCH_QUERY})
    result = await assert_contract(conn, src, since(S0), expect_self=True)

    posts = {p.id: p for p in result.posts}
    assert [p.id for p in result.posts] == [S3, S2, S1]
    own = posts[S1]
    assert own.author.is_self and own.author.handle == "SalonMuseum"
    assert own.author.followers == 15230 and own.kind is PostKind.POST
    assert not own.mentions_self
    note = tweet("search_page.json", 0, S2)["note_tweet"]["text"]
    assert posts[S2].text == note and len(note) > 280  # the full note, not the cut text
    assert posts[S3].text == "Vermeer at the Salon Museum is a must > anything else in town"
    assert not posts[S3].mentions_self and posts[S3].kind is PostKind.POST


async def test_search_with_a_week_old_watermark_sends_start_time(rsps):
    play(rsps, "search_stale_since.json")  # recorded without since_id, start_time = now - 7 d
    src = source("search", options={"query": SEARCH_QUERY})
    result = await connector().fetch(src, since(OLD_SINCE))
    assert [p.id for p in result.posts] == [S1]
    assert cursor_of(result) == {"since_id": S1}


async def test_conversation_seeds_threads_then_follows_replies(rsps):
    play(rsps, "conversation_seed.json")
    conn = connector()
    src = source("conversation", options={"lookback_hours": 72})

    first = await conn.fetch(src, None)
    assert first.posts == [] and first.requests_made == 1
    seeded = cursor_of(first)
    assert seeded == {
        "start_time": "2026-03-10T12:00:00Z",
        "roots": {P0: "2026-03-10T09:00:00Z", L0: "2026-03-09T15:00:00Z"},
    }

    play(rsps, "conversation_poll.json")
    # the second poll asks again with the watermark and the threads re-ordered by activity
    requery = f"(from:{ACCOUNT_ID} OR conversation_id:{L0} OR conversation_id:{P0}) -is:retweet"
    again = {"start_time": None, "since_id": C3, "query": requery}
    play(rsps, "conversation_poll.json", query=again)
    with time_machine.travel(datetime(2026, 3, 10, 12, 30, tzinfo=UTC), tick=False):
        result = await assert_contract(conn, src, first.next_cursor, expect_self=True)

    posts = {p.id: p for p in result.posts}
    assert [p.id for p in result.posts] == [C1, C2, C3]
    assert posts[C1].in_reply_to_id == P0 and posts[C1].conversation_id == P0
    assert posts[C2].author.is_self and posts[C2].in_reply_to_id == C1
    assert posts[C2].kind is PostKind.REPLY and not posts[C2].mentions_self
    assert posts[C3].conversation_id == L0 and posts[C3].in_reply_to_id == P1
    cursor = cursor_of(result)
    assert cursor["since_id"] == C3
    assert cursor["roots"] == {P0: "2026-03-10T12:10:00Z", L0: "2026-03-10T12:20:00Z"}
    assert len(rsps.calls) == 3


async def test_unknown_feed_or_bad_options_are_unsupported(rsps):
    from connectors.errors import Unsupported

    with pytest.raises(Unsupported):
        await connector().fetch(source("timeline"), None)
    with pytest.raises(Unsupported, match=r"options\.query"):
        await connector().fetch(source("search", options={}), None)
    assert len(rsps.calls) == 0


async def test_retweets_can_be_kept(rsps):
    play(rsps, "mentions_pages.json", only=[0])
    src = source("mentions", max_pages=1, options={"include_retweets": True})
    result = await connector().fetch(src, since(S0))
    assert {p.id for p in result.posts} == {T1, T2, T3}
    assert MENTIONS_URL in rsps.calls[0].request.url


async def test_an_empty_page_with_a_token_does_not_end_the_walk(rsps):
    # X may return a page emptied by its own filtering (e.g. withheld posts) that still
    # carries next_token: the walk must go on rather than move the watermark
    empty = {"meta": {"result_count": 0, "next_token": page_token(1)}}
    play(rsps, "mentions_pages.json", only=[0], body=empty)
    play(rsps, "mentions_pages.json", only=[1])
    result = await connector().fetch(source("mentions", max_pages=2), since(S0))
    assert {p.id for p in result.posts} == {O4, T5, D}
    assert result.has_more and result.requests_made == 2
    sweep = cursor_of(result)["sweep"]
    assert cursor_of(result)["since_id"] == S0
    assert sweep["next_token"] == page_token(2)
    assert sweep["newest_id"] == V4 and sweep["oldest_id"] == T5
