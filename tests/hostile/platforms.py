"""One poll of each platform's connector, answered with a body the test chooses (no tests here).

Each :class:`Platform` takes a recorded page (its ``seeds``, from the connector tests'
fixtures, in the platform's own wire format), lets the test change it, and serves the result
through the real SDK stack (``responses`` for requests-based SDKs, ``httpx.MockTransport`` for
atproto and python-telegram-bot) to the connector's public ``fetch`` from a saved cursor.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import responses
from telegram import Bot
from telegram.request import HTTPXRequest

from connectors.base import Connector, FetchResult, Source
from connectors.bluesky.cursors import Mark, SweepCursor
from connectors.replay import ReplayConnector, resolve_path
from tests.connectors import test_bluesky_replay as bluesky
from tests.connectors import test_mastodon_support as mastodon
from tests.connectors import test_reddit_support as reddit
from tests.connectors import test_telegram_replay as tg
from tests.connectors import test_x_support as x
from tests.hostile.strategies import dumps

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(slots=True)
class Outcome:
    """What one poll did: the connector, what it was asked, and its result or its error."""

    connector: Connector
    source: Source
    cursor: str | None
    result: FetchResult | None = None
    error: Exception | None = None


def json_body(doc: Any) -> bytes:
    """A page as the platform sends it: one JSON document."""
    return dumps(doc).encode()


@dataclass(frozen=True, slots=True)
class Platform:
    """A connector, recorded pages to start from, and a poll answered with any body
    (``encode`` turns a page into the bytes sent). ``own_platform``: its posts carry the
    connector's platform name (replayed posts keep the platform they were recorded on)."""

    name: str
    seeds: tuple[Any, ...]
    poll: Callable[[bytes], Outcome]
    encode: Callable[[Any], bytes] = json_body
    own_platform: bool = True


def _run(connector: Connector, source: Source, cursor: str | None) -> Outcome:
    outcome = Outcome(connector, source, cursor)
    try:
        outcome.result = asyncio.run(_fetch_and_close(connector, source, cursor))
    except Exception as exc:  # the test decides which errors are acceptable
        outcome.error = exc
    return outcome


async def _fetch_and_close(connector: Connector, source: Source, cursor: str | None) -> FetchResult:
    try:
        return await connector.fetch(source, cursor)
    finally:
        await connector.aclose()


# -- X: tweepy over requests ------------------------------------------------------------------


def _x_poll(body: bytes) -> Outcome:
    connector = x.connector("dict")
    source = x.source("mentions", max_pages=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, x.MENTIONS_URL, body=body, content_type=JSON_TYPE)
        return _run(connector, source, json.dumps({"since_id": x.S0}))


X = Platform(
    "x",
    tuple(x.page_body("mentions_pages.json", i) for i in range(3)),
    _x_poll,
)

# -- Reddit: praw / prawcore over requests ----------------------------------------------------


def _reddit_poll(body: bytes) -> Outcome:
    connector = reddit.connector()
    source = reddit.source(items=["submissions"], page_size=3, max_pages=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, reddit.TOKEN_URL, json=reddit.load("token.json"))
        mock.add(
            responses.GET,
            f"{reddit.API}/r/{reddit.SUB}/new",
            body=body,
            content_type=JSON_TYPE,
            headers=reddit.RATE_HEADERS,
        )
        return _run(connector, source, reddit.cursor_at(4 * 3600, "submissions"))


REDDIT = Platform(
    "reddit",
    tuple(reddit.load(f"new_page{i}.json") for i in (1, 2, 3)),
    _reddit_poll,
)

# -- Mastodon: Mastodon.py over requests ------------------------------------------------------

_MASTODON_PAGES = mastodon.load("mentions_pages.json")["interactions"]


def _mastodon_poll(body: bytes) -> Outcome:
    connector = mastodon.make_connector()
    source = mastodon.source("mentions", options={"limit": 2}, max_pages=1)
    headers = {
        k: v
        for k, v in _MASTODON_PAGES[0]["response"]["headers"].items()
        if k.lower() != "content-type"
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.GET,
            f"{mastodon.BASE}/api/v1/notifications",
            body=body,
            content_type=JSON_TYPE,
            headers=headers,
        )
        return _run(connector, source, "34975100")


MASTODON = Platform(
    "mastodon",
    tuple(page["response"]["json"] for page in _MASTODON_PAGES),
    _mastodon_poll,
)

# -- Bluesky: atproto over httpx --------------------------------------------------------------

_BLUESKY_PAGES = bluesky.load("notifications")["interactions"]
_BLUESKY_SINCE = SweepCursor(Mark(datetime(2026, 11, 19, tzinfo=UTC))).dump()


def _bluesky_poll(body: bytes) -> Outcome:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("app.bsky.notification.listNotifications"):
            return httpx.Response(200, content=body, headers={"content-type": JSON_TYPE})
        return httpx.Response(400, json={"error": "InvalidRequest", "message": "not in test"})

    connector = bluesky.make_connector(answer)
    source = Source(name="bsky-mentions", feed="notifications", max_pages=1)
    return _run(connector, source, _BLUESKY_SINCE)


BLUESKY = Platform(
    "bluesky",
    tuple(page["response"]["json"] for page in _BLUESKY_PAGES),
    _bluesky_poll,
)

# -- Telegram: python-telegram-bot over httpx (public fetch only: its normalizer may change) --

_TELEGRAM_PAGES = [
    exchange["response"]["json"]
    for name in ("thread_pages.json", "extras.json")
    for exchange in tg.load(name)["interactions"]
    if exchange["response"].get("json", {}).get("result")
]


def _telegram_poll(body: bytes) -> Outcome:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/getUpdates"):
            return httpx.Response(200, content=body, headers={"content-type": JSON_TYPE})
        return httpx.Response(400, json={"ok": False, "error_code": 400, "description": "no"})

    transport = httpx.MockTransport(answer)
    bot = Bot(
        tg.TOKEN,
        request=HTTPXRequest(httpx_kwargs={"transport": transport}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"transport": transport}),
    )
    connector = tg.TelegramConnector(tg.settings(), client=bot)
    chats: list[int | str] = [tg.GROUP_ID, "@museum_demo", tg.FORUM_ID]
    source = Source(name="tg-museum", feed="updates", options={"chats": chats}, max_pages=1)
    return _run(connector, source, "1000")


TELEGRAM = Platform("telegram", tuple(_TELEGRAM_PAGES), _telegram_poll)

# -- replay: JSONL files (the demo's, or any exported data) ------------------------------------

_REPLAY_LINES = [
    json.loads(line)
    for name in ("x.jsonl", "telegram.jsonl")
    for line in resolve_path(f"demo:{name}").read_text(encoding="utf-8").splitlines()[:3]
]
_REPLAY_SINCE = json.dumps({"offset": 0, "started": "2026-11-02T09:00:00+00:00"})


def jsonl_body(doc: Any) -> bytes:
    """A replay file: one line per post (a list), or the whole document on one line."""
    lines = doc if isinstance(doc, list) else [doc]
    return "\n".join(dumps(line) for line in lines).encode()


def _replay_poll(body: bytes) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="salon-hostile-") as folder:
        path = f"{folder}/posts.jsonl"
        with open(path, "wb") as handle:
            handle.write(body)
        source = Source(name="replay", feed="file", options={"path": path}, max_pages=1)
        return _run(ReplayConnector(), source, _REPLAY_SINCE)


REPLAY = Platform(
    "replay",
    (_REPLAY_LINES[:3], _REPLAY_LINES[3:]),
    _replay_poll,
    encode=jsonl_body,
    own_platform=False,
)

PLATFORMS = {p.name: p for p in (X, REDDIT, MASTODON, BLUESKY, TELEGRAM, REPLAY)}
