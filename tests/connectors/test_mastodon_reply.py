"""Mastodon connector: replies, reconciliation (find_reply) and whoami."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import Post, PostKind, Sent
from connectors.errors import NotFound
from connectors.mastodon.normalize import Identity, status_to_post
from tests.connectors.test_mastodon_support import (
    OWN_ID,
    add_response,
    load,
    make_connector,
    offline,
    replay,
)


def _mention_post() -> Post:
    note = load("reply.json")["mention"]
    identity = Identity(account_id=OWN_ID, handle="stadtmuseum", host="social.example")
    return status_to_post(
        note["status"],
        identity=identity,
        source="mastodon-mentions",
        kind=PostKind.MENTION,
        raw=note,
        mentions_self=True,
    )


async def test_reply_mentions_the_author_and_keeps_visibility() -> None:
    connector = make_connector()
    to = _mention_post()
    text = "Yes, we are open on Fridays from 10:00 to 18:00."
    with replay("reply.json") as played:  # the recording checks form fields and headers
        sent = await connector.reply(to, text, "outbox-42")
    request = played.calls[0].request
    assert request.method == "POST" and request.url.endswith("/api/v1/statuses")
    assert request.headers["Idempotency-Key"] == "outbox-42"
    answer = load("reply.json")["interactions"][0]["response"]["json"]
    assert sent == Sent(platform_id=answer["id"], url=answer["url"])


def _post_with(visibility: str, *, is_self: bool = False) -> Post:
    post = _mention_post()
    raw: dict[str, Any] = dict(post.raw)
    raw["status"] = dict(raw["status"], visibility=visibility)
    post.raw = raw
    if is_self:
        post.author = type(post.author)(id=OWN_ID, handle="stadtmuseum", is_self=True)
    return post


@pytest.mark.parametrize(
    ("original", "setting", "expected"),
    [
        ("public", "match", "public"),
        ("unlisted", "match", "unlisted"),
        ("private", "match", "private"),
        ("direct", "match", "direct"),
        ("public", "unlisted", "unlisted"),
        ("private", "unlisted", "private"),
        ("unknown", "match", "unlisted"),
    ],
)
def test_reply_visibility(original: str, setting: str, expected: str) -> None:
    connector = make_connector(reply_visibility=setting)
    assert connector._reply_visibility(_post_with(original)) == expected


def test_compose_reply_does_not_mention_twice_or_ourselves() -> None:
    connector = make_connector()
    to = _mention_post()
    assert connector.compose_reply(to, "hi") == "@layla@arabic.example hi"
    assert connector.compose_reply(to, "@Layla@arabic.example hi") == "@Layla@arabic.example hi"
    assert connector.compose_reply(_post_with("public", is_self=True), " note ") == "note"


async def test_reply_to_a_deleted_status_is_not_found() -> None:
    connector = make_connector()
    answer = {"status": 404, "json": {"error": "Record not found"}}
    with offline() as played:
        add_response(played.mock, "POST", "/api/v1/statuses", answer)
        with pytest.raises(NotFound) as caught:
            await connector.reply(_mention_post(), "hello", "outbox-43")
    assert caught.value.source == "mastodon-mentions"


async def test_find_reply_recognises_our_reply_then_none() -> None:
    connector = make_connector()
    to = _mention_post()
    text = "Yes, we are open on Fridays from 10:00 to 18:00."
    with replay("find_reply.json") as played:
        found = await connector.find_reply(to, text, "outbox-42")
        missing = await connector.find_reply(to, text, "outbox-42")
    assert len(played.calls) == 2
    assert found is not None and found.url is not None
    assert found.url.endswith(f"/@stadtmuseum/{found.platform_id}")
    assert missing is None


async def test_find_reply_ignores_a_different_text() -> None:
    connector = make_connector()
    with replay("find_reply.json", only=[0]):
        found = await connector.find_reply(_mention_post(), "We are closed.", "outbox-44")
    assert found is None


async def test_whoami() -> None:
    connector = make_connector(account_id=None, handle=None)
    with replay("whoami.json") as played:
        me = await connector.whoami()
    assert len(played.calls) == 1
    assert me.id == OWN_ID and me.handle == "stadtmuseum" and me.is_self
    assert me.name == "Stadtmuseum" and me.followers == 5120 and not me.is_bot
