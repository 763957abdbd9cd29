"""Replies (send_post with strong refs), reconciliation, whoami and login, through the SDK."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.base import Post, Source
from connectors.bluesky import BlueskyConnector, Settings
from connectors.errors import Forbidden, PermanentError
from tests.connectors.test_bluesky_replay import (
    ME_DID,
    ME_HANDLE,
    PDS,
    Replay,
    load,
    make_client,
    make_connector,
)

CREATED = load("reply")["interactions"][0]["response"]["json"]
OUR_TEXT = "Ja! Sonntags um 11 und 15 Uhr, Treffpunkt im Foyer. 🏛️"


async def _posts(fixture: str, source: Source) -> dict[str, Post]:
    connector = make_connector(Replay.of(fixture))
    result = await connector.fetch(source, '{"v":1,"kind":"sweep","mark":{"at":null,"ids":[]}}')
    return {p.id: p for p in result.posts}


async def _mentions() -> list[Post]:
    posts = await _posts("notifications", Source(name="m", feed="notifications"))
    return list(posts.values())


def _ref(strong_ref: dict[str, Any]) -> dict[str, Any]:
    return {"uri": strong_ref["uri"], "cid": strong_ref["cid"]}


def _body(replay: Replay) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(replay.calls[-1].read())
    return data


async def test_reply_to_a_mention_sends_root_and_parent_strong_refs() -> None:
    mention = (await _mentions())[0]
    replay = Replay.of("reply")
    connector = make_connector(replay, reply_langs=["de"])
    text = "Ja! Sonntags um 11 Uhr — mehr unter https://stadtmuseum.example/fuehrungen 🏛️"
    sent = await connector.reply(mention, text, key="outbox-1")
    replay.assert_all_played()
    assert replay.nsids == ["com.atproto.repo.createRecord"]
    body = _body(replay)
    assert body["repo"] == ME_DID and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["text"] == text and record["langs"] == ["de"]
    assert record["$type"] == "app.bsky.feed.post" and record["createdAt"]
    ref = {"uri": mention.raw["uri"], "cid": mention.raw["cid"]}
    assert _ref(record["reply"]["root"]) == ref and _ref(record["reply"]["parent"]) == ref
    link = record["facets"][0]
    start = text.encode().index(b"https://")
    assert {k: link["index"][k] for k in ("byteStart", "byteEnd")} == {
        "byteStart": start,
        "byteEnd": start + len(b"https://stadtmuseum.example/fuehrungen"),
    }
    assert link["features"][0]["uri"] == "https://stadtmuseum.example/fuehrungen"
    rkey = CREATED["uri"].rsplit("/", 1)[1]
    assert sent.platform_id == CREATED["uri"]
    assert sent.url == f"https://bsky.app/profile/{ME_HANDLE}/post/{rkey}"


async def test_reply_inside_a_thread_keeps_the_thread_root() -> None:
    long_reply = (await _mentions())[3]  # a reply to Alice, in the thread of our post
    replay = Replay.of("reply")
    await make_connector(replay).reply(long_reply, "Danke!", key="outbox-2")
    reply = _body(replay)["record"]["reply"]
    assert reply["root"]["$type"] == "com.atproto.repo.strongRef"
    assert _ref(reply["root"]) == long_reply.raw["record"]["reply"]["root"]
    assert _ref(reply["parent"]) == {"uri": long_reply.raw["uri"], "cid": long_reply.raw["cid"]}
    assert reply["root"]["uri"] != reply["parent"]["uri"]


async def test_no_reply_to_posts_that_did_not_address_us_unless_allowed() -> None:
    posts = await _posts(
        "search", Source(name="s", feed="search", options={"query": "stadtmuseum"})
    )
    stranger = next(p for p in posts.values() if p.author.handle == "someone.bsky.social")
    replay = Replay.of("reply")
    with pytest.raises(Forbidden, match="tagged"):
        await make_connector(replay).reply(stranger, "Hallo!", key="k")
    assert replay.calls == []
    permissive = make_connector(replay, replies_only_when_addressed=False)
    sent = await permissive.reply(stranger, "Hallo!", key="k")
    assert sent.platform_id == CREATED["uri"]


async def test_no_reply_when_the_threadgate_disallows_it_or_the_text_is_too_long() -> None:
    mention = (await _mentions())[0]
    gated = replace(mention, raw={**mention.raw, "viewer": {"replyDisabled": True}})
    replay = Replay.of("reply")
    connector = make_connector(replay)
    with pytest.raises(Forbidden, match="reply settings"):
        await connector.reply(gated, "Hallo!", key="k")
    with pytest.raises(PermanentError, match="3000"):
        await connector.reply(mention, "ä" * 1501, key="k")
    assert replay.calls == []


async def test_find_reply_finds_only_our_reply_with_that_text() -> None:
    mention = (await _mentions())[0]
    replay = Replay.of("find_reply")
    connector = make_connector(replay)
    found = await connector.find_reply(mention, OUR_TEXT, key="k")
    assert found is not None and found.platform_id.startswith(f"at://{ME_DID}/")
    assert found.url is not None and found.url.startswith(f"https://bsky.app/profile/{ME_HANDLE}/")
    assert await connector.find_reply(mention, OUR_TEXT + " ", key="k") is None
    params = replay.calls[0].url.params
    assert params["uri"] == mention.id and params["depth"] == "1"
    replay.assert_all_played()


async def test_whoami() -> None:
    replay = Replay.of("whoami")
    me = await make_connector(replay).whoami()
    assert (me.id, me.handle, me.name) == (ME_DID, ME_HANDLE, "Stadtmuseum")
    assert me.is_self and me.followers == 4821 and not me.is_bot
    replay.assert_all_played()


async def test_login_with_an_app_password_is_replayed_and_counted() -> None:
    replay = Replay.of("session", "notifications")
    settings = Settings(handle=ME_HANDLE, app_password=SecretStr("xxxx-xxxx-xxxx-xxxx"))
    connector = BlueskyConnector(settings, client=make_client(replay, logged_in=False))
    source = Source(name="m", feed="notifications", max_pages=1)
    first = await connector.fetch(source, None)
    assert first.requests_made == 1 and first.has_more and first.next_cursor is None
    body = json.loads(replay.calls[0].read())
    assert body == {"identifier": ME_HANDLE, "password": "xxxx-xxxx-xxxx-xxxx"}
    second = await connector.fetch(source, None)
    assert second.requests_made == 1 and second.next_cursor is not None
    assert replay.nsids == [
        "com.atproto.server.createSession",
        "app.bsky.notification.listNotifications",
    ]
    pds_host = PDS.removeprefix("https://")
    assert replay.calls[1].url.host == pds_host  # the DID document's PDS, not bsky.social
    assert replay.calls[1].headers["authorization"].startswith("Bearer ey")
    assert connector.me.did == ME_DID


def test_settings_reject_unknown_keys_and_bad_dids() -> None:
    with pytest.raises(ValueError, match="extra"):
        Settings(handle=ME_HANDLE, password="x")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="did:"):
        Settings(handle=ME_HANDLE, did="plc:abc")
    assert Settings(handle=ME_HANDLE).service == "https://bsky.social"


async def test_a_session_of_another_account_than_settings_did_is_refused() -> None:
    from connectors.errors import AuthError

    connector = make_connector(Replay([]), did="did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
    with pytest.raises(AuthError) as caught:
        await connector.whoami()
    assert caught.value.credential == "did" and ME_DID in str(caught.value)
