"""Replying on X: parameters sent, X's mention rule, reconciliation and whoami."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from responses import matchers

from connectors.base import Post, Sent
from connectors.errors import Forbidden, NotFound, Unsupported
from connectors.x.normalize import USER_FIELDS, Identity, parse_page, to_post
from connectors.x.settings import OAUTH1_KEYS
from tests.connectors.test_x_support import (
    ACCOUNT_ID,
    API,
    O4,
    R1,
    T1,
    V4,
    connector,
    fault,
    frozen,
    load,
    page_body,
    play,
    rsps,
    tweet,
)

__all__ = ["frozen", "rsps"]  # the fixtures, imported for pytest
pytestmark = pytest.mark.usefixtures("frozen")  # the clock of the recorded traffic

REPLY_TEXT = "Yes! Family tickets & activity packs are at the desk: https://salon.example/family"
IDENTITY = Identity(ACCOUNT_ID, "SalonMuseum")


def recorded_post(name: str, index: int, post_id: str, **kwargs) -> Post:
    page = parse_page(page_body(name, index))
    post = to_post(tweet(name, index, post_id), page, source="x-mentions", identity=IDENTITY)
    assert post is not None
    return replace(post, **kwargs) if kwargs else post


async def test_reply_sends_text_and_parent_with_user_context(rsps):
    play(rsps, "reply_create.json")  # matches the JSON body and an OAuth 1.0a signature
    to = recorded_post("mentions_pages.json", 0, T1)
    sent = await connector().reply(to, REPLY_TEXT, "outbox-42")
    assert sent == Sent(platform_id=R1, url=f"https://x.com/SalonMuseum/status/{R1}")
    body = json.loads(rsps.calls[0].request.body)
    assert body == {"text": REPLY_TEXT, "reply": {"in_reply_to_tweet_id": T1}}


async def test_reply_refused_without_a_mention_before_any_request(rsps):
    to = recorded_post("mentions_pages.json", 0, T1, mentions_self=False)
    with pytest.raises(Forbidden) as caught:
        await connector().reply(to, REPLY_TEXT, "outbox-43")
    assert "mention" in str(caught.value) and caught.value.platform == "x"
    assert len(rsps.calls) == 0


async def test_reply_to_another_platform_is_unsupported(rsps):
    to = recorded_post("mentions_pages.json", 0, T1, platform="mastodon")
    with pytest.raises(Unsupported):
        await connector().reply(to, REPLY_TEXT, "outbox-44")
    assert len(rsps.calls) == 0


async def test_reply_to_an_edited_post_answers_its_latest_version(rsps):
    to = recorded_post("mentions_pages.json", 1, V4)
    assert to.id == O4
    created = load("reply_create.json")["interactions"][0]["response"]
    rsps.add(
        "POST",
        f"{API}/2/tweets",
        json=created["body"],
        status=201,
        match=[
            matchers.json_params_matcher(
                {"text": "Open daily", "reply": {"in_reply_to_tweet_id": V4}}
            )
        ],
    )
    sent = await connector().reply(to, "Open daily", "outbox-45")
    assert sent.platform_id == R1


async def test_reply_to_a_deleted_post_is_not_found(rsps):
    fault(rsps, "reply_not_allowed", f"{API}/2/tweets", method="POST")
    to = recorded_post("mentions_pages.json", 0, T1)
    with pytest.raises(NotFound):
        await connector().reply(to, REPLY_TEXT, "outbox-46")


async def test_find_reply_recognizes_our_earlier_reply(rsps):
    play(rsps, "reply_find.json")
    to = recorded_post("mentions_pages.json", 0, T1)
    found = await connector().find_reply(to, REPLY_TEXT, "outbox-42")
    assert found == Sent(platform_id=R1, url=f"https://x.com/SalonMuseum/status/{R1}")


async def test_find_reply_is_none_for_another_text(rsps):
    play(rsps, "reply_find.json")
    to = recorded_post("mentions_pages.json", 0, T1)
    assert await connector().find_reply(to, "A different answer", "outbox-47") is None


async def test_whoami_reports_the_authenticated_account(rsps):
    play(rsps, "users_me.json")
    me = await connector().whoami()
    assert me.id == ACCOUNT_ID and me.handle == "SalonMuseum" and me.is_self
    assert me.name == "Salon Museum" and me.followers == 15230


async def test_whoami_with_an_app_only_token_looks_up_the_configured_account(rsps):
    play(rsps, "users_by_username.json", query={"user.fields": ",".join(USER_FIELDS)})
    conn = connector(user_id=None, **{k: None for k in OAUTH1_KEYS})
    me = await conn.whoami()
    assert me.id == ACCOUNT_ID and me.handle == "SalonMuseum" and me.is_self
    assert conn.identity.user_id == ACCOUNT_ID
