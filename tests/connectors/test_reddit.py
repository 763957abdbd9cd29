"""Reddit connector: fetching and normalization through the real PRAW stack."""

from __future__ import annotations

import json
from datetime import timedelta

import praw
import requests
import responses
import time_machine

from connectors.base import Capability, PostKind, Source
from connectors.errors import ServerError
from connectors.reddit import RedditConnector
from connectors.reddit.cursor import Cursor
from connectors.registry import connector_class
from tests.connectors.contract import assert_contract, assert_moves_forward, assert_well_formed
from tests.connectors.test_reddit_support import (
    API,
    ME,
    ME_ID,
    NOW,
    RATE_HEADERS,
    SECRETS,
    SUB,
    T0,
    add_page,
    api_calls,
    connector,
    cursor_at,
    load,
    rsps,
    settings,
    source,
)

__all__ = ["rsps"]  # the fixture, imported for pytest

NEW = f"r/{SUB}/new"
COMMENTS = f"r/{SUB}/comments"
PAGE1 = load("new_page1.json")
PAGE2 = load("new_page2.json")
PAGE3 = load("new_page3.json")


def names(payload: dict) -> list[str]:
    return [child["data"]["name"] for child in payload["data"]["children"]]


def add_three_pages(rsps: responses.RequestsMock, size: int = 3) -> None:
    add_page(rsps, NEW, "new_page1.json", params={"limit": size})
    add_page(rsps, NEW, "new_page2.json", params={"limit": size, "after": names(PAGE1)[-1]})
    add_page(rsps, NEW, "new_page3.json", params={"limit": size, "after": names(PAGE2)[-1]})


def test_registry_loads_the_connector() -> None:
    assert connector_class("reddit") is RedditConnector
    assert Capability.RECONCILE in RedditConnector.capabilities
    assert set(RedditConnector.feeds) == {"subreddit", "inbox", "search"}


async def test_contract_over_three_pages(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3, max_pages=3)
    add_three_pages(rsps)
    start = cursor_at(4 * 3600, "submissions")
    first = await assert_contract(reddit, src, start, expect_self=True)
    assert len(first.posts) == 7
    assert {p.id for p in first.posts} == set(names(PAGE1) + names(PAGE2) + names(PAGE3))
    assert first.requests_made == 3 and not first.has_more
    assert [p.created_at for p in first.posts] == sorted(p.created_at for p in first.posts)
    # three pages, then the replayed first page: an idle poll of one request
    assert len(api_calls(rsps)) == 4
    assert all(
        call.request.headers["Authorization"] == "bearer <ACCESS_TOKEN>" for call in api_calls(rsps)
    )


async def test_budget_leaves_no_gap_and_no_repeat(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3, max_pages=2)
    add_three_pages(rsps)
    start = cursor_at(4 * 3600, "submissions")

    first = await reddit.fetch(src, start)
    assert_well_formed(reddit, src, first)
    assert first.requests_made == 2 and first.has_more
    assert {p.id for p in first.posts} == set(names(PAGE1) + names(PAGE2))

    second = await reddit.fetch(src, first.next_cursor)
    assert_moves_forward(reddit, first.next_cursor, second.next_cursor)
    assert second.requests_made == 1 and not second.has_more
    assert {p.id for p in second.posts} == set(names(PAGE3))

    third = await reddit.fetch(src, second.next_cursor)  # page 1 again: nothing new
    assert third.posts == [] and third.requests_made == 1 and not third.has_more
    assert third.next_cursor is not None
    assert reddit.cursor_position(third.next_cursor) == T0 - 5 * 60
    assert len(api_calls(rsps)) == 4


async def test_first_run_skips_existing_in_one_request(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3)
    add_page(rsps, NEW, "new_page1.json", params={"limit": 3})
    result = await reddit.fetch(src, None)
    assert result.posts == [] and result.requests_made == 1 and not result.has_more
    newest = PAGE1["data"]["children"][0]["data"]
    assert result.next_cursor is not None
    assert reddit.cursor_position(result.next_cursor) == newest["created_utc"]
    again = await reddit.fetch(src, result.next_cursor)
    assert again.posts == [] and again.requests_made == 1


async def test_first_run_backfills_only_the_window(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3, backfill_hours=1)
    add_page(rsps, NEW, "new_page1.json", params={"limit": 3})
    add_page(rsps, NEW, "new_page2.json", params={"limit": 3, "after": names(PAGE1)[-1]})
    with time_machine.travel(NOW, tick=False):
        result = await reddit.fetch(src, None)
    # page 1 is 5-45 minutes old; page 2 (70 and 95 minutes) is outside the hour
    assert [p.id for p in result.posts] == list(reversed(names(PAGE1)))
    assert result.requests_made == 2 and not result.has_more
    assert all(NOW - p.created_at <= timedelta(hours=1) for p in result.posts)


async def test_idle_poll_costs_exactly_one_request(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3, max_pages=3)
    add_page(rsps, NEW, "new_page1.json", params={"limit": 3})
    warm = await reddit.fetch(src, None)  # first run; also fetches the access token
    before = len(rsps.calls)
    idle = await reddit.fetch(src, warm.next_cursor)
    assert idle.posts == [] and idle.requests_made == 1 and not idle.has_more
    assert len(rsps.calls) - before == 1  # one HTTP request in all, the token is cached
    assert idle.next_cursor == warm.next_cursor


async def test_empty_listing(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["comments"])
    add_page(rsps, COMMENTS, "empty_listing.json", params={"limit": 100})
    first = await reddit.fetch(src, None)
    assert first.posts == [] and first.requests_made == 1
    start = cursor_at(600, "comments")
    again = await reddit.fetch(src, start)
    assert again.posts == [] and again.next_cursor == start


async def test_submissions_normalized(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["submissions"], page_size=3)
    add_three_pages(rsps)
    result = await reddit.fetch(src, cursor_at(4 * 3600, "submissions"))
    by_id = {p.id: p for p in result.posts}
    raw = {c["data"]["name"]: c for page in (PAGE1, PAGE2, PAGE3) for c in page["data"]["children"]}

    for post in result.posts:
        data = raw[post.id]["data"]
        assert post.platform == "reddit" and post.kind is PostKind.POST
        assert post.conversation_id == post.id and post.in_reply_to_id is None
        assert post.url == "https://www.reddit.com" + data["permalink"]
        assert post.created_at.timestamp() == data["created_utc"]
        assert post.raw == raw[post.id]
        assert post.language is None

    crosspost, rtl, edited = (by_id[n] for n in names(PAGE1))
    assert crosspost.raw["data"]["crosspost_parent"].startswith("t3_")  # Reddit's quote
    assert crosspost.text == "Crosspost: our new Vermeer room"
    rtl_text = raw[rtl.id]["data"]["selftext"]
    assert "\u200b" in rtl_text and "\u200d" in rtl_text and "🇫🇷" in rtl_text
    assert rtl.text == raw[rtl.id]["data"]["title"] + "\n\n" + rtl_text
    assert edited.edited_at is not None
    assert edited.edited_at.timestamp() == raw[edited.id]["data"]["edited"]
    assert rtl.edited_at is None

    removed, deleted = (by_id[n] for n in names(PAGE2))
    assert removed.deleted and removed.author.handle == "visitor_anna"
    assert deleted.deleted and deleted.author.handle == "[deleted]" and deleted.author.id

    longest, own = (by_id[n] for n in names(PAGE3))
    assert len(raw[longest.id]["data"]["title"]) == 300  # Reddit's title limit
    assert len(raw[longest.id]["data"]["selftext"]) == 40000  # Reddit's self-text limit
    assert longest.text == "T" * 300 + "\n\n" + "é" * 40000 and not longest.deleted
    assert own.author.is_self and own.author.id == ME_ID and not crosspost.author.is_self
    assert own.metrics == {"likes": 211, "replies": 14, "reposts": 2, "awards": 1}
    assert not any(p.deleted for p in (crosspost, rtl, edited, longest, own))


async def test_comments_normalized(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    src = source(items=["comments"])
    payload = load("comments.json")
    add_page(rsps, COMMENTS, "comments.json", params={"limit": 100})
    last = payload["data"]["after"]  # the listing goes on: the next page is empty
    add_page(rsps, COMMENTS, "empty_listing.json", params={"limit": 100, "after": last})
    result = await reddit.fetch(src, cursor_at(3600, "comments"))
    assert_well_formed(reddit, src, result)
    assert result.requests_made == 2 and not result.has_more
    by_id = {p.id: p for p in result.posts}
    raw = {c["data"]["name"]: c["data"] for c in payload["data"]["children"]}
    assert set(by_id) == set(raw)
    thanks, ours, deleted, removed, question, longest, automod = (
        by_id[c["data"]["name"]] for c in payload["data"]["children"]
    )
    for post in result.posts:
        assert post.conversation_id == raw[post.id]["link_id"]
        assert post.in_reply_to_id == raw[post.id]["parent_id"]
        assert post.text == raw[post.id]["body"]
        assert post.url == "https://www.reddit.com" + raw[post.id]["permalink"]
    assert thanks.kind is PostKind.REPLY and thanks.mentions_self and "🎨" in thanks.text
    assert ours.author.is_self and ours.kind is PostKind.REPLY and not ours.mentions_self
    assert deleted.deleted and deleted.author.handle == "[deleted]" and deleted.text == "[deleted]"
    assert removed.deleted and removed.kind is PostKind.COMMENT and removed.text == "[removed]"
    assert question.edited_at is not None and "\u200c" in question.text and not question.deleted
    assert len(longest.text) == 10000 and longest.text == "ñ" * 10000  # Reddit's comment limit
    assert automod.author.is_bot and not question.author.is_bot
    assert question.metrics == {"likes": 4, "awards": 0}


async def test_inbox_mentions_and_replies(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    payload = load("inbox.json")
    add_page(rsps, "message/inbox", "inbox.json", params={"limit": 100, "mark": "false"})
    result = await reddit.fetch(source("inbox"), cursor_at(3600, "inbox"))
    kinds = {p.id: p.kind for p in result.posts}
    children = {c["data"]["name"]: c["data"] for c in payload["data"]["children"]}
    pm, mention, reply, post_reply, gone = children
    assert pm not in kinds  # private messages are off by default
    assert kinds == {
        mention: PostKind.MENTION,
        reply: PostKind.REPLY,
        post_reply: PostKind.REPLY,
        gone: PostKind.REPLY,
    }
    by_id = {p.id: p for p in result.posts}
    assert by_id[mention].mentions_self and not by_id[post_reply].mentions_self
    link = children[mention]["context"].split("/comments/")[1].split("/")[0]
    assert by_id[mention].conversation_id == f"t3_{link}"
    assert by_id[reply].in_reply_to_id == children[reply]["parent_id"]
    assert by_id[reply].url == "https://www.reddit.com" + children[reply]["context"].split("?")[0]
    assert by_id[gone].deleted and by_id[gone].author.handle == "[deleted]"


async def test_inbox_private_messages_when_asked(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    add_page(rsps, "message/inbox", "inbox.json", params={"limit": 100, "mark": "false"})
    src = source("inbox", types=["message"])
    result = await reddit.fetch(src, cursor_at(3600, "inbox"))
    assert [p.kind for p in result.posts] == [PostKind.MESSAGE]
    pm = result.posts[0]
    assert pm.text == "Can we book a school visit for 30 pupils?"
    assert pm.conversation_id == pm.id
    assert pm.url == f"https://www.reddit.com/message/messages/{pm.id.removeprefix('t4_')}"


async def test_search_sends_query_and_sort(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    add_page(
        rsps,
        f"r/{SUB}/search",
        "search.json",
        params={
            "q": "vermeer",
            "sort": "new",
            "t": "all",
            "type": "link",
            "limit": 100,
            "restrict_sr": "on",
        },
    )
    src = source("search", query="vermeer", subreddits=[f"r/{SUB}"])
    result = await assert_contract(reddit, src, cursor_at(24 * 3600, "search"))
    assert {p.kind for p in result.posts} == {PostKind.POST}
    assert len(result.posts) == 2


async def test_missing_optional_fields(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    add_page(rsps, NEW, "new_minimal.json", params={"limit": 100})
    result = await reddit.fetch(source(items=["submissions"]), cursor_at(600, "submissions"))
    (post,) = result.posts
    assert post.author.id == post.author.handle == "quiet_one"  # no author_fullname
    assert post.text == "Minimal payload" and post.edited_at is None and post.metrics == {}
    assert not post.deleted and post.author.followers is None


async def test_two_listings_share_the_budget(rsps: responses.RequestsMock) -> None:
    reddit = connector()
    add_page(rsps, NEW, "new_page1.json", params={"limit": 3})
    add_page(rsps, COMMENTS, "comments.json", params={"limit": 3})
    src = source(page_size=3, max_pages=1)  # both listings, one request per fetch
    first = await reddit.fetch(src, None)
    assert first.requests_made == 1 and set(Cursor.decode(first.next_cursor).lists) == {
        "submissions"
    }
    second = await reddit.fetch(src, first.next_cursor)  # the other listing's turn
    assert second.requests_made == 1 and not second.has_more
    state = Cursor.decode(second.next_cursor)
    assert set(state.lists) == {"submissions", "comments"}  # each listing polled once
    wide = source(page_size=3, max_pages=3)
    idle = await reddit.fetch(wide, second.next_cursor)
    assert idle.requests_made == 2 and idle.posts == [] and not idle.has_more  # one per listing
    assert len(api_calls(rsps)) == 4


async def test_injected_client_is_used_and_never_retries(rsps: responses.RequestsMock) -> None:
    session = requests.Session()
    client = praw.Reddit(
        client_id="<CLIENT_ID>",
        client_secret="<CLIENT_SECRET>",
        username=ME,
        password="<PASSWORD>",
        user_agent="python:salon-tests:0.1",
        check_for_updates=False,
        requestor_kwargs={"session": session},
    )
    reddit = RedditConnector(settings(), client=client)
    assert reddit.reddit is client
    rsps.add(responses.GET, f"{API}/{NEW}", status=502, headers=RATE_HEADERS)
    try:
        await reddit.fetch(source(items=["submissions"]), cursor_at(60, "submissions"))
    except ServerError as exc:
        assert exc.platform == "reddit"
    else:
        raise AssertionError("a 502 must raise ServerError")
    assert len(api_calls(rsps)) == 1  # prawcore's own retries are off


def test_validate_source_names_the_field() -> None:
    bad = Source(name="r", feed="subreddit", options={"subreddits": ["not a name!"]})
    problems = RedditConnector.validate_source(bad)
    assert problems and problems[0].startswith("options.subreddits")
    extra = Source(name="r", feed="search", options={"query": "x", "sort": "top"})
    assert any(p.startswith("options.sort") for p in RedditConnector.validate_source(extra))
    assert RedditConnector.validate_source(Source(name="r", feed="timeline"))[0].startswith("feed:")
    good = Source(name="r", feed="inbox", options={"types": ["username_mention"]})
    assert RedditConnector.validate_source(good) == []


def test_secrets_stay_out_of_reprs() -> None:
    conf = settings(refresh_token="<REFRESH_TOKEN>")
    reddit = RedditConnector(conf)
    shown = repr(conf) + str(conf) + repr(reddit) + json.dumps(conf.model_dump(mode="json"))
    assert not any(secret in shown for secret in SECRETS)
