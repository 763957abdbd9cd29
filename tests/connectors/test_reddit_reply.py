"""Reddit connector: replies, reconciliation after a crash, and whoami."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from connectors.base import Author, Post, PostKind, parse_time
from connectors.errors import Forbidden, RateLimited, ServerError
from tests.connectors.test_reddit_support import (
    API,
    ME,
    ME_ID,
    RATE_HEADERS,
    T0,
    api_calls,
    connector,
    load,
    rsps,
)

__all__ = ["rsps"]

COMMENT_URL = f"{API}/api/comment/"
TEXT = "Yes, holidays included. See you soon!"
CREATED = load("comment_created.json")["json"]["data"]["things"][0]["data"]


def target(fullname: str, minutes_ago: float = 4) -> Post:
    """A post as the outbox rebuilds it from the store."""
    return Post(
        platform="reddit",
        id=fullname,
        source="reddit-inbox",
        kind=PostKind.REPLY,
        author=Author(id="t2_5g0ra2", handle="visitor_ben"),
        text="Thanks! Does that include holidays?",
        created_at=parse_time(T0 - minutes_ago * 60),
    )


def expect_comment(rsps: responses.RequestsMock, thing_id: str, text: str, **answer: Any) -> None:
    """``POST /api/comment`` with exactly this form (PRAW adds ``api_type=json``)."""
    answer.setdefault("json", load("comment_created.json"))
    rsps.add(
        responses.POST,
        COMMENT_URL,
        headers=RATE_HEADERS,
        match=[
            matchers.urlencoded_params_matcher(
                {"api_type": "json", "text": text, "thing_id": thing_id}
            ),
            matchers.query_param_matcher({"raw_json": "1"}),
        ],
        **answer,
    )


def posts_made(rsps: responses.RequestsMock) -> int:
    return sum(1 for call in api_calls(rsps) if call.request.method == "POST")


async def test_reply_to_a_comment(rsps: responses.RequestsMock) -> None:
    expect_comment(rsps, "t1_5ighn9f", TEXT)
    sent = await connector().reply(target("t1_5ighn9f"), TEXT, "outbox-1")
    assert sent.platform_id == CREATED["name"]
    assert sent.url == "https://www.reddit.com" + CREATED["permalink"]
    assert posts_made(rsps) == 1


async def test_reply_to_a_submission_keeps_unicode_exact(rsps: responses.RequestsMock) -> None:
    text = "Merci ! 🎨 نعم، مفتوح\u200b — see you"
    expect_comment(rsps, "t3_x2qxvs", text)
    sent = await connector().reply(target("t3_x2qxvs"), text, "outbox-2")
    assert sent.platform_id.startswith("t1_")
    assert posts_made(rsps) == 1


async def test_reply_to_a_private_message(rsps: responses.RequestsMock) -> None:
    pm = load("inbox.json")["data"]["children"][0]["data"]
    echoed = {**pm, "id": "1dm5xyz", "name": "t4_1dm5xyz", "author": ME, "dest": "visitor_dan"}
    echoed.update(parent_id=pm["name"], first_message_name=pm["name"], body="Of course!")
    answer = {"json": {"errors": [], "data": {"things": [{"kind": "t4", "data": echoed}]}}}
    expect_comment(rsps, pm["name"], "Of course!", json=answer)
    sent = await connector().reply(target(pm["name"]), "Of course!", "outbox-3")
    assert sent.platform_id == "t4_1dm5xyz"
    assert sent.url == "https://www.reddit.com/message/messages/1dm5xyz"


async def test_reddit_ratelimit_on_reply(rsps: responses.RequestsMock) -> None:
    expect_comment(rsps, "t1_5ighn9f", TEXT, json=load("comment_ratelimited.json"))
    with pytest.raises(RateLimited) as caught:
        await connector().reply(target("t1_5ighn9f"), TEXT, "outbox-4")
    assert caught.value.retry_after == 300.0  # "Take a break for 5 minutes"
    assert caught.value.platform == "reddit" and caught.value.source == "reddit-inbox"
    assert posts_made(rsps) == 1


async def test_locked_thread_is_forbidden(rsps: responses.RequestsMock) -> None:
    expect_comment(rsps, "t1_5ighn9f", TEXT, json=load("comment_thread_locked.json"))
    with pytest.raises(Forbidden, match="THREAD_LOCKED"):
        await connector().reply(target("t1_5ighn9f"), TEXT, "outbox-5")


async def test_reply_5xx_is_sent_once_only(rsps: responses.RequestsMock) -> None:
    expect_comment(rsps, "t1_5ighn9f", TEXT, json={"message": "Bad Gateway"}, status=502)
    with pytest.raises(ServerError):
        await connector().reply(target("t1_5ighn9f"), TEXT, "outbox-6")
    assert posts_made(rsps) == 1  # no automatic retry that could publish twice


def expect_history(rsps: responses.RequestsMock, user: str = ME) -> None:
    rsps.add(
        responses.GET,
        f"{API}/user/{user}/comments",
        json=load("user_comments.json"),
        headers=RATE_HEADERS,
        match=[matchers.query_param_matcher({"raw_json": "1", "limit": "100", "sort": "new"})],
    )


async def test_find_reply_finds_our_reply(rsps: responses.RequestsMock) -> None:
    expect_history(rsps)
    found = await connector().find_reply(target("t1_5ighn9f"), TEXT + "\n", "outbox-1")
    assert found is not None
    assert found.platform_id == CREATED["name"]
    assert found.url == "https://www.reddit.com" + CREATED["permalink"]
    assert len(api_calls(rsps)) == 1


async def test_find_reply_needs_the_same_parent_and_text(rsps: responses.RequestsMock) -> None:
    expect_history(rsps)
    reddit = connector()
    # same text, other parent (an old reply elsewhere); and same parent, other text
    assert await reddit.find_reply(target("t1_somewhere_else"), TEXT, "k") is None
    assert await reddit.find_reply(target("t1_5ighn9f"), "A different answer", "k") is None
    # the history page reaches back past the target's time: no second page was read
    assert len(api_calls(rsps)) == 2


async def test_find_reply_learns_the_handle_first(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, f"{API}/api/v1/me", json=load("me.json"), headers=RATE_HEADERS)
    expect_history(rsps)
    reddit = connector(username=None, password=None, refresh_token="<REFRESH_TOKEN>")
    found = await reddit.find_reply(target("t1_5ighn9f"), TEXT, "outbox-1")
    assert found is not None and found.platform_id == CREATED["name"]


async def test_whoami(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, f"{API}/api/v1/me", json=load("me.json"), headers=RATE_HEADERS)
    me = await connector().whoami()
    assert me == Author(
        id=ME_ID, handle=ME, name="Example Museum of Art", is_self=True, followers=1873
    )
