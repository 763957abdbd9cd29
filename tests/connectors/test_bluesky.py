"""Bluesky feeds through the real atproto SDK with recorded traffic: contract, paging,
normalization (emoji, RTL, zero-width, maximum length, quotes, removed and deleted items,
missing optional fields, own posts), and request budgets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from connectors.base import Capability, PostKind, Source, parse_time
from connectors.bluesky import BlueskyConnector
from connectors.bluesky.cursors import EPOCH, Mark, SweepCursor, ThreadsCursor, ThreadState
from connectors.registry import connector_class
from tests.connectors.contract import assert_contract, assert_moves_forward, assert_well_formed
from tests.connectors.test_bluesky_replay import ME_DID, ME_HANDLE, Replay, load, make_connector

NOW = "2026-11-20T10:30:00Z"


def _items(fixture: str, key: str) -> dict[str, dict[str, Any]]:
    """Recorded items of a fixture by uri."""
    out: dict[str, dict[str, Any]] = {}
    for interaction in load(fixture)["interactions"]:
        for item in interaction["response"]["json"].get(key, []):
            out[item["uri"]] = item
    return out


NOTES = list(_items("notifications", "notifications").values())
N1, N2, N3, LIKE, N4, N5, N6, N7 = NOTES


def notifications(**kw: Any) -> Source:
    return Source(name="bsky-mentions", feed="notifications", **kw)


def search(**kw: Any) -> Source:
    return Source(name="bsky-search", feed="search", options={"query": "stadtmuseum"}, **kw)


def threads(**kw: Any) -> Source:
    return Source(name="bsky-threads", feed="threads", **kw)


# -- registration and configuration ----------------------------------------------------------


def test_registry_loads_the_connector_and_it_declares_its_capabilities() -> None:
    assert connector_class("bluesky") is BlueskyConnector
    assert BlueskyConnector.capabilities == {
        Capability.MENTIONS,
        Capability.SEARCH,
        Capability.THREAD,
        Capability.REPLY,
        Capability.RECONCILE,
    }
    assert BlueskyConnector.validate_source(notifications()) == []
    assert BlueskyConnector.validate_source(threads(options={"recent_posts": 5})) == []
    problems = BlueskyConnector.validate_source(
        Source(name="x", feed="search", options={"query": "", "colour": "red"})
    )
    assert any(p.startswith("options.query") for p in problems)
    assert any(p.startswith("options.colour") for p in problems)
    assert BlueskyConnector.validate_source(Source(name="x", feed="timeline"))[0].startswith(
        "feed:"
    )
    bad_reason = notifications(options={"reasons": ["like"]})
    assert BlueskyConnector.validate_source(bad_reason)[0].startswith("options.reasons")


# -- notifications ----------------------------------------------------------------------------


async def test_first_run_skips_existing_notifications_in_one_request() -> None:
    replay = Replay.of("notifications")
    connector = make_connector(replay)
    result = await connector.fetch(notifications(), None)
    assert result.posts == [] and result.requests_made == 1 and not result.has_more
    assert result.next_cursor is not None
    assert connector.cursor_position(result.next_cursor) == parse_time(N1["indexedAt"])
    assert replay.nsids == ["app.bsky.notification.listNotifications"]
    assert replay.calls[0].url.params.get_list("reasons") == ["mention", "reply", "quote"]


@time_machine.travel(NOW, tick=False)
async def test_backfill_pages_down_to_the_window_and_normalizes() -> None:
    replay = Replay.of("notifications")
    connector = make_connector(replay)
    source = notifications(backfill_hours=2)  # back to 08:30
    result = await connector.fetch(source, None)
    assert_well_formed(connector, source, result)
    replay.assert_all_played()
    assert result.requests_made == 3 and not result.has_more
    # newest first; the like (not a wanted reason) and the items before 08:30 are left out
    assert [p.id for p in result.posts] == [n["uri"] for n in (N1, N2, N3, N4, N5)]
    mention, reply, quote, long_reply, removed = result.posts

    assert mention.kind is PostKind.MENTION and mention.mentions_self
    assert mention.text == N1["record"]["text"]  # emoji, ZWJ family and umlauts untouched
    assert "👨\u200d👩\u200d👧\u200d👦" in mention.text and "🏛️" in mention.text
    assert mention.language == "de"
    assert mention.created_at == datetime(2026, 11, 20, 10, 20, 4, 870000, tzinfo=UTC)
    assert mention.author.name == "Alice ✨" and not mention.author.is_self
    rkey = N1["uri"].rsplit("/", 1)[1]
    assert mention.url == f"https://bsky.app/profile/alice.bsky.social/post/{rkey}"
    assert mention.conversation_id == mention.id and mention.in_reply_to_id is None
    assert mention.raw == N1 and mention.metrics == {} and mention.edited_at is None

    root = N2["record"]["reply"]["root"]["uri"]
    assert reply.kind is PostKind.REPLY and not reply.mentions_self
    assert reply.text == N2["record"]["text"]
    assert "\u200f" in reply.text and "\u200c" in reply.text and "\u200b" in reply.text
    assert reply.language == "ar" and reply.author.name == "نور"
    assert reply.conversation_id == root and reply.in_reply_to_id == root

    assert quote.kind is PostKind.MENTION and quote.mentions_self  # quotes our post
    assert quote.author.name is None and quote.language is None  # no optional fields sent
    assert quote.author.handle == "someone.bsky.social" and not quote.author.is_bot

    assert len(long_reply.text) == 300  # Bluesky's maximum: 300 graphemes (no combining marks)
    assert long_reply.text == N4["record"]["text"] and long_reply.author.is_bot
    assert long_reply.in_reply_to_id == N4["record"]["reply"]["parent"]["uri"]
    assert long_reply.conversation_id == root

    assert removed.deleted  # labelled !hide by Bluesky moderation
    assert not any(p.deleted for p in (mention, reply, quote, long_reply))
    assert connector.cursor_position(result.next_cursor or "") == parse_time(N1["indexedAt"])


@time_machine.travel(NOW, tick=False)
async def test_a_walk_cut_short_by_max_pages_resumes_where_it_stopped() -> None:
    replay = Replay.of("notifications")
    connector = make_connector(replay)
    source = notifications(max_pages=2, backfill_hours=24)
    first = await connector.fetch(source, None)
    assert first.requests_made == 2 and first.has_more
    assert [p.id for p in first.posts] == [n["uri"] for n in (N1, N2, N3, N4, N5)]

    second = await connector.fetch(source, first.next_cursor)
    assert_moves_forward(connector, first.next_cursor, second.next_cursor)
    assert second.requests_made == 1 and not second.has_more
    assert [p.id for p in second.posts] == [N6["uri"], N7["uri"]]
    assert replay.calls[-1].url.params["cursor"] == N5["indexedAt"]

    idle = await connector.fetch(source, second.next_cursor)
    assert idle.posts == [] and idle.requests_made == 1 and not idle.has_more
    assert "cursor" not in replay.calls[-1].url.params  # back at the head
    assert connector.cursor_position(idle.next_cursor or "") == parse_time(N1["indexedAt"])
    replay.assert_all_played()


async def test_notifications_contract() -> None:
    replay = Replay.of("notifications")
    connector = make_connector(replay)
    at_quote = SweepCursor(Mark(parse_time(N3["indexedAt"]), {N3["uri"]})).dump()
    result = await assert_contract(connector, notifications(), at_quote)
    assert [p.id for p in result.posts] == [N1["uri"], N2["uri"]]
    assert result.requests_made == 1  # the quote at the mark ends the walk on page 1


async def test_items_indexed_in_the_same_millisecond_are_neither_lost_nor_repeated() -> None:
    replay = Replay.of("notifications")
    connector = make_connector(replay)
    # a previous poll delivered another item indexed at exactly N2's time, but not N2
    tied = SweepCursor(Mark(parse_time(N2["indexedAt"]), {"at://did:plc:x/app.bsky.feed.post/y"}))
    result = await connector.fetch(notifications(), tied.dump())
    assert [p.id for p in result.posts] == [N1["uri"], N2["uri"]]
    again = await connector.fetch(notifications(), result.next_cursor)
    assert again.posts == []


async def test_an_empty_page() -> None:
    replay = Replay.of("notifications_empty")
    connector = make_connector(replay)
    first = await connector.fetch(notifications(), None)
    assert first.posts == [] and first.requests_made == 1 and first.next_cursor is not None
    assert connector.cursor_position(first.next_cursor) == EPOCH
    second = await connector.fetch(notifications(backfill_hours=5), first.next_cursor)
    assert second.posts == [] and second.requests_made == 1 and not second.has_more
    assert_moves_forward(connector, first.next_cursor, second.next_cursor)


# -- search -----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
async def test_search_contract_and_normalization() -> None:
    replay = Replay.of("search")
    connector = make_connector(replay)
    source = search(backfill_hours=24)
    result = await assert_contract(connector, source, None, expect_self=True)
    replay.assert_all_played()
    assert replay.calls[0].url.params["sort"] == "latest"
    posts = {p.id: p for p in result.posts}
    recorded = _items("search", "posts")
    assert set(posts) == {u for u, v in recorded.items() if v["indexedAt"] > "2026-11-19T10:30"}

    own, alice, future, bare = (posts[u] for u in list(recorded)[:4])
    assert own.author.is_self and own.kind is PostKind.POST
    assert own.metrics == {"replies": 1, "reposts": 4, "likes": 17, "quotes": 2, "bookmarks": 0}
    assert own.url == f"https://bsky.app/profile/{ME_HANDLE}/post/{own.id.rsplit('/', 1)[1]}"
    assert alice.kind is PostKind.REPLY and alice.in_reply_to_id == own.id
    assert alice.conversation_id == own.id
    # a client-set createdAt in 2027 is not believed: the time Bluesky indexed it is used
    assert future.created_at == parse_time(recorded[future.id]["indexedAt"])
    assert future.language == "ar" and "❤️" in future.text and "مساء" in future.text
    assert bare.metrics == {} and bare.author.name is None and bare.language is None
    assert bare.raw == recorded[bare.id]


# -- threads ----------------------------------------------------------------------------------

THREAD = load("threads")["interactions"][1]["response"]["json"]["thread"]
FEED = load("threads")["interactions"][0]["response"]["json"]["feed"]
OWN_REPLY, OWN_PLAIN, REPOST, OWN_ROOT = (entry["post"] for entry in FEED)


def _replies(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for child in node.get("replies", []):
        found[child.get("uri") or child["post"]["uri"]] = child
        found.update(_replies(child))
    return found


REPLIES = _replies(THREAD)
NOOR, ALICE, _, DEEP, GONE, BLOCKED = REPLIES


async def test_threads_first_run_watches_without_delivering() -> None:
    replay = Replay.of("threads")
    connector = make_connector(replay)
    first = await connector.fetch(threads(), None)
    assert first.posts == [] and first.requests_made == 1 and not first.has_more
    state = ThreadsCursor.load(first.next_cursor or "")
    # our reply sits in the thread of our post, which covers it
    assert {uri: s.replies for uri, s in state.threads.items()} == {
        OWN_ROOT["uri"]: 4,
        OWN_PLAIN["uri"]: 0,
    }
    idle = await connector.fetch(threads(), first.next_cursor)
    assert idle.posts == [] and idle.requests_made == 1
    assert replay.nsids == ["app.bsky.feed.getAuthorFeed"] * 2


@time_machine.travel(NOW, tick=False)
async def test_threads_backfill_contract_and_normalization() -> None:
    replay = Replay.of("threads")
    connector = make_connector(replay)
    source = threads(backfill_hours=48)
    result = await assert_contract(connector, source, None, expect_self=True)
    replay.assert_all_played()
    assert result.requests_made == 2
    assert replay.calls[1].url.params["depth"] == "6"
    posts = {p.id: p for p in result.posts}
    assert REPOST["uri"] not in posts  # a repost by us is not our post
    assert BLOCKED not in posts  # nothing to see
    assert set(posts) == {
        OWN_REPLY["uri"],
        OWN_PLAIN["uri"],
        OWN_ROOT["uri"],
        NOOR,
        ALICE,
        DEEP,
        GONE,
    }
    assert all(posts[u].author.is_self for u in (OWN_REPLY["uri"], OWN_PLAIN["uri"]))
    assert posts[OWN_ROOT["uri"]].kind is PostKind.POST
    assert posts[OWN_REPLY["uri"]].kind is PostKind.REPLY
    for uri in (NOOR, ALICE, DEEP, GONE):
        assert posts[uri].kind is PostKind.REPLY
        assert posts[uri].conversation_id == OWN_ROOT["uri"]
    assert posts[DEEP].in_reply_to_id == OWN_REPLY["uri"]
    assert posts[DEEP].text == "رائع، شكراً!"
    gone = posts[GONE]
    assert gone.deleted and gone.text == "" and gone.in_reply_to_id == OWN_ROOT["uri"]
    assert gone.raw == REPLIES[GONE] and gone.author.id == GONE.split("/")[2]
    assert gone.created_at == datetime(2026, 11, 20, 9, 50, tzinfo=UTC)  # from the TID rkey
    assert not any(p.deleted for u, p in posts.items() if u != GONE)


@time_machine.travel(NOW, tick=False)
async def test_threads_fetch_is_bounded_and_resumes_its_todo_list() -> None:
    replay = Replay.of("threads")
    connector = make_connector(replay)
    source = threads(max_pages=1, backfill_hours=48)
    first = await connector.fetch(source, None)
    assert first.requests_made == 1 and first.has_more
    assert {p.id for p in first.posts} == {OWN_REPLY["uri"], OWN_PLAIN["uri"], OWN_ROOT["uri"]}
    second = await connector.fetch(source, first.next_cursor)
    assert_moves_forward(connector, first.next_cursor, second.next_cursor)
    assert second.requests_made == 1 and not second.has_more
    assert replay.nsids == ["app.bsky.feed.getAuthorFeed", "app.bsky.feed.getPostThread"]
    assert {p.id for p in second.posts} == {NOOR, ALICE, DEEP, GONE}


async def test_a_changed_reply_count_brings_only_the_newer_replies() -> None:
    replay = Replay.of("threads")
    connector = make_connector(replay)
    alice_at = parse_time(REPLIES[ALICE]["post"]["indexedAt"])
    own_at = parse_time(OWN_REPLY["indexedAt"])
    state = ThreadsCursor(
        floor=parse_time("2026-11-18T00:00:00Z"),
        own=Mark(own_at, {OWN_REPLY["uri"]}),
        threads={
            OWN_ROOT["uri"]: ThreadState(2, Mark(alice_at, {ALICE}), gone=[GONE]),
            OWN_PLAIN["uri"]: ThreadState(0, Mark(parse_time("2026-11-18T00:00:00Z"))),
        },
    )
    result = await connector.fetch(threads(), state.dump())
    assert result.requests_made == 2
    # our own reply came with the author feed before; the tombstone was reported before
    assert {p.id for p in result.posts} == {NOOR, DEEP}
    again = await connector.fetch(threads(), result.next_cursor)
    assert again.posts == [] and again.requests_made == 1


# -- budgets and cursors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "source"),
    [("notifications", notifications()), ("search", search()), ("threads", threads())],
)
async def test_an_idle_poll_costs_exactly_one_request(fixture: str, source: Source) -> None:
    replay = Replay.of(fixture)
    connector = make_connector(replay)
    first = await connector.fetch(source, None)
    calls = len(replay.calls)
    idle = await connector.fetch(source, first.next_cursor)
    assert idle.posts == [] and not idle.has_more
    assert idle.requests_made == 1 and len(replay.calls) == calls + 1
    assert idle.next_cursor is not None
    assert connector.cursor_position(idle.next_cursor) == connector.cursor_position(
        first.next_cursor or ""
    )


def test_cursor_positions_sort_and_garbage_sorts_first() -> None:
    connector = make_connector(Replay([]))
    early = SweepCursor(Mark(parse_time("2026-01-01T00:00:00Z"))).dump()
    late = SweepCursor(Mark(parse_time("2026-06-01T00:00:00.5Z"), {"at://a/b/c"})).dump()
    assert connector.cursor_position(early) < connector.cursor_position(late)
    assert connector.cursor_position("not json") == EPOCH
    assert connector.cursor_position(ThreadsCursor(EPOCH, Mark()).dump()) == EPOCH


async def test_a_cursor_of_another_feed_is_refused() -> None:
    from connectors.errors import PermanentError

    connector = make_connector(Replay.of("threads"))
    with pytest.raises(PermanentError, match="cursor") as caught:
        await connector.fetch(threads(), SweepCursor(Mark()).dump())
    assert caught.value.platform == "bluesky" and caught.value.source == "bsky-threads"


def test_own_account_identity_comes_from_the_session() -> None:
    connector = make_connector(Replay([]), handle="@StadtMuseum.bsky.social")
    assert connector.settings.handle == ME_HANDLE
    connector._ensure_session("x")
    assert connector.me.did == ME_DID


async def test_a_re_created_post_comes_again_with_its_new_text() -> None:
    """Bluesky has no edits (the AppView ignores record updates, so ``edited_at`` stays None);
    a post deleted and re-created under the same record key is indexed again, and arrives as
    the same id with the new text and cid, for the store to upsert."""
    page = load("notifications")["interactions"][0]
    edited = {
        **N1,
        "cid": "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        "record": {**N1["record"], "text": N1["record"]["text"] + " (korrigiert)"},
        "indexedAt": "2026-11-20T10:40:00.000Z",
    }
    body = {**page["response"]["json"], "notifications": [edited, N1, N2, N3]}
    replay = Replay([{**page, "response": {**page["response"], "json": body}}])
    connector = make_connector(replay)
    cursor = SweepCursor(Mark(parse_time(N1["indexedAt"]), {N1["uri"]})).dump()
    result = await connector.fetch(notifications(), cursor)
    (post,) = result.posts
    assert post.id == N1["uri"] and post.text.endswith("(korrigiert)")
    assert post.raw["cid"] == edited["cid"] and post.edited_at is None
    replay.assert_all_played()
