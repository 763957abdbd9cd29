"""Connectors: HTTP requests per idle poll, and items/s when normalizing recorded payloads.

    .venv/bin/python bench/bench_connectors.py

Prints two Markdown tables and writes them to ``bench/results/connectors.md``.

1. *Requests per idle poll.* For every connector and feed: a first poll that skips what exists
   (the cursor lands at the head), then an idle poll from that cursor, both through the real
   SDK answered from the tests' recorded traffic (``tests/connectors``). The requests of the
   idle poll are counted on the transport (``responses`` / ``httpx.MockTransport``) and
   compared with the connector's own ``requests_made``. Target: exactly one per listing.
2. *Normalizing 10,000 recorded items* per platform, on one core: items built from the
   recorded payloads (ids and texts varied), put through the functions the connector runs on
   every page (decode checks and item-to-``Post``), best of three rounds, per CPU second of
   this process (``time.process_time``: other load on a shared machine does not count).
   Baseline in the same process: ``json.loads`` of the same items. Target: at least 20,000
   items/s.

The whole run takes about 15 s of CPU on one core.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import responses  # noqa: E402
import time_machine  # noqa: E402

from connectors.base import Connector, PostKind, Source  # noqa: E402
from connectors.bluesky import normalize as bsky  # noqa: E402
from connectors.mastodon import normalize as masto  # noqa: E402
from connectors.reddit import normalize as rd  # noqa: E402
from connectors.reddit.connector import parse_listing  # noqa: E402
from connectors.telegram.settings import UpdatesOptions  # noqa: E402
from connectors.telegram.wire import check_updates  # noqa: E402
from connectors.x import normalize as xn  # noqa: E402
from tests.connectors import test_bluesky_replay as bs_t  # noqa: E402
from tests.connectors import test_mastodon_support as ms_t  # noqa: E402
from tests.connectors import test_reddit_support as rd_t  # noqa: E402
from tests.connectors import test_telegram_replay as tg_t  # noqa: E402
from tests.connectors import test_x_support as x_t  # noqa: E402

ITEMS = 10_000
TARGET = 20_000.0
RESULTS = ROOT / "bench" / "results" / "connectors.md"
IDLE_NOTES = (
    "Counted per poll. Once per process come on top: Reddit's OAuth token request (prawcore, "
    "not counted by the connector) and Bluesky's `createSession` login (counted in the first "
    "poll; the recorded client here is already logged in). X's `mentions` feed needs the "
    "account id: one lookup per process when neither `user_id` nor an OAuth 1.0a token gives it."
)
SPEED_NOTES = (
    "Rates are items per CPU second of this process (`time.process_time`), best of three, so "
    "other load on a shared machine does not count. Telegram reads getUpdates as raw JSON "
    "(`Bot.do_api_request`), shape-checks it and normalizes the dicts; `Post.raw` is the update "
    "as received. Before, `Bot.get_updates` parsed every update into python-telegram-bot "
    "objects (4,160 items/s by itself, not counted in the Telegram row then) and the normalizer, "
    "which rebuilt the JSON with `Update.to_dict` (7,091 items/s), ran at 5,177 items/s: about "
    "2,300 items/s for the two together, against the row above for the whole path now."
)


# -- 1. requests per idle poll ---------------------------------------------------------------


@dataclass
class Idle:
    """One idle poll: requests seen by the transport and reported by the connector."""

    platform: str
    feed: str
    wire: int
    reported: int
    first_run: int
    expected: int = 1
    why: str = ""


Counter = Callable[[], int]
Query = dict[str, str | None] | None
Listing = tuple[str, str, dict[str, Any]]  # path, fixture, exact query


async def two_polls(conn: Connector, src: Source, count: Counter) -> tuple[int, int, int]:
    """First poll (skip existing), then the idle one: (wire, reported, first-run) requests."""
    first = await conn.fetch(src, None)
    before = count()
    idle = await conn.fetch(src, first.next_cursor)
    if idle.posts or idle.has_more:
        raise AssertionError(f"idle poll brought {len(idle.posts)} posts, has_more={idle.has_more}")
    return count() - before, idle.requests_made, first.requests_made


@contextmanager
def mock(**kwargs: Any) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True, **kwargs) as rsps:
        yield rsps


async def x_case(feed: str, first: str, first_query: Query, idle: str, idle_query: Query) -> Idle:
    """X: the first poll asks for the newest page, the idle one is answered
    ``result_count: 0`` (recorded in ``mentions_empty.json``)."""
    options = {"search": {"query": x_t.SEARCH_QUERY}, "conversation": {"lookback_hours": 72}}
    with time_machine.travel(x_t.NOW, tick=False), mock() as rsps:
        x_t.play(rsps, first, query=first_query)
        x_t.play(rsps, idle, query=idle_query, body=x_t.page_body("mentions_empty.json"))
        conn = x_t.connector()
        src = x_t.source(feed, options=options.get(feed, {}))
        wire, made, first_made = await two_polls(conn, src, lambda: len(rsps.calls))
    return Idle("x", feed, wire, made, first_made)


async def x_idle() -> list[Idle]:
    threads = f"(from:{x_t.ACCOUNT_ID} OR conversation_id:{x_t.P0} OR conversation_id:{x_t.L0})"
    return [
        await x_case("mentions", "mentions_first_run.json", None, "mentions_empty.json", None),
        await x_case(
            "search",
            "search_page.json",
            {"since_id": None, "max_results": "10"},  # first run: a short page, no watermark
            "search_page.json",
            {"since_id": x_t.S1},
        ),
        # seeded from our own recent posts, then one search over their threads
        await x_case(
            "conversation",
            "conversation_seed.json",
            None,
            "conversation_poll.json",
            {"query": f"{threads} -is:retweet"},
        ),
    ]


async def reddit_case(feed: str, options: dict[str, Any], pages: list[Listing]) -> Idle:
    """Reddit listings have no "since": an idle poll reads the same newest page again."""
    with mock() as rsps:
        rsps.add(responses.POST, rd_t.TOKEN_URL, json=rd_t.load("token.json"))
        for _ in range(2):  # the first poll, then the idle one
            for path, fixture, params in pages:
                rd_t.add_page(rsps, path, fixture, params=params)
        conn = rd_t.connector()
        src = rd_t.source(feed, **options)
        wire, made, first_made = await two_polls(conn, src, lambda: len(rsps.calls))
    why = "two listings (new submissions, new comments), one page each" if len(pages) > 1 else ""
    return Idle("reddit", feed, wire, made, first_made, expected=len(pages), why=why)


async def reddit_idle() -> list[Idle]:
    sub = rd_t.SUB
    search = {"q": "museum", "sort": "new", "t": "all", "type": "link", "limit": 100}
    return [
        await reddit_case(
            "subreddit",
            {"items": ["submissions", "comments"]},
            [
                (f"r/{sub}/new", "new_page1.json", {"limit": 100}),
                (f"r/{sub}/comments", "comments.json", {"limit": 100}),
            ],
        ),
        await reddit_case(
            "inbox", {}, [("message/inbox", "inbox.json", {"limit": 100, "mark": "false"})]
        ),
        await reddit_case("search", {"query": "museum"}, [("search", "search.json", search)]),
    ]


async def mastodon_case(feed: str, options: dict[str, Any], first: str, idle_path: str) -> Idle:
    """Mastodon: ``min_id`` at the head is answered ``[]`` (``mentions_idle.json``); the
    context feed's idle poll lists our own statuses again and reads no thread whose
    ``replies_count`` did not change (``idle_path`` empty: the first answer again)."""
    doc = ms_t.load(first)
    idle_answer = ms_t.load("mentions_idle.json")["interactions"][0]["response"]
    with time_machine.travel(ms_t.FROZEN, tick=False), ms_t.replay(first) as played:
        if not idle_path:
            ms_t.register(played.mock, doc)
        else:  # asked from the first poll's cursor: the newest notification's or status's id
            newest = doc["interactions"][0]["response"]["json"][0]["id"]
            kinds = "types[]=mention&" if feed == "mentions" else ""
            query = f"{kinds}min_id={newest}&limit=40"
            idle = {"request": {"method": "GET", "path": idle_path, "query": query}}
            ms_t.register(played.mock, {**doc, "interactions": [{**idle, "response": idle_answer}]})
        conn = ms_t.make_connector()
        src = ms_t.source(feed, options=options)
        wire, made, first_made = await two_polls(conn, src, lambda: len(played.calls))
    return Idle("mastodon", feed, wire, made, first_made)


async def mastodon_idle() -> list[Idle]:
    return [
        await mastodon_case("mentions", {}, "mentions_first_run.json", "/api/v1/notifications"),
        await mastodon_case(
            "hashtag",
            {"tag": "museumweek"},
            "hashtag_first_run.json",
            "/api/v1/timelines/tag/museumweek",
        ),
        await mastodon_case("context", {}, "context_first_run.json", ""),
    ]


async def bluesky_case(feed: str, options: dict[str, Any]) -> Idle:
    """Bluesky feeds are newest-first without "since": an idle poll reads the first page again
    and stops at the mark; the threads feed lists our posts and reads no unchanged thread."""
    head = bs_t.load(feed)["interactions"][0]
    replay = bs_t.Replay([{**head, "repeat": True}])
    conn = bs_t.make_connector(replay)
    src = Source(name=f"bsky-{feed}", feed=feed, options=options)
    wire, made, first_made = await two_polls(conn, src, lambda: len(replay.calls))
    replay.assert_all_played()
    return Idle("bluesky", feed, wire, made, first_made)


async def bluesky_idle() -> list[Idle]:
    return [
        await bluesky_case("notifications", {}),
        await bluesky_case("search", {"query": "stadtmuseum"}),
        await bluesky_case("threads", {}),
    ]


async def telegram_idle() -> list[Idle]:
    """Telegram: getUpdates from the saved offset is answered ``[]`` (``idle.json``)."""
    first = tg_t.load("first_run.json")["interactions"]
    idle = tg_t.load("idle.json")["interactions"][0]
    offset = first[0]["response"]["json"]["result"][-1]["update_id"] + 1
    with tg_t.play([*first, tg_t.get_updates(offset, 100, idle["response"])]) as cassette:
        conn = tg_t.connector(cassette)
        src = Source(name="tg", feed="updates", options={"chats": [tg_t.GROUP_ID]})
        wire, made, first_made = await two_polls(conn, src, lambda: len(cassette.calls))
    return [Idle("telegram", "updates", wire, made, first_made)]


def idle_table() -> str:
    rows = [
        "| platform | feed | requests (transport) | requests_made (connector) | expected | "
        "first run (skip existing) | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for probe in (x_idle, reddit_idle, mastodon_idle, bluesky_idle, telegram_idle):
        for r in asyncio.run(probe()):
            ok = "" if r.wire == r.reported == r.expected else " **≠**"
            rows.append(
                f"| {r.platform} | {r.feed} | {r.wire}{ok} | {r.reported} | {r.expected} | "
                f"{r.first_run} | {r.why} |"
            )
    return "\n".join(rows)


# -- 2. normalizing 10,000 recorded items --------------------------------------------------


def bodies(directory: Path) -> Iterator[Any]:
    """Every recorded response body of a fixture directory."""
    for path in sorted(directory.glob("*.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8")).get("interactions", []):
            response = interaction.get("response", {})
            body = response.get("body", response.get("json"))
            if body is not None:
                yield body


def varied(
    items: list[dict[str, Any]], vary: Callable[[dict[str, Any], int], None]
) -> list[dict[str, Any]]:
    """``ITEMS`` deep copies of ``items``, each changed by ``vary(item, n)``."""
    out = []
    for n in range(ITEMS):
        item = copy.deepcopy(items[n % len(items)])
        vary(item, n)
        out.append(item)
    return out


def pages_of(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def x_job() -> tuple[list[Any], Callable[[], int]]:
    tweets, users, included = [], {}, {}
    for body in bodies(x_t.FIXTURES):
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            tweets += [t for t in body["data"] if "author_id" in t]  # as the feeds ask for them
            for user in (body.get("includes") or {}).get("users", []):
                users[user["id"]] = user
            for tweet in (body.get("includes") or {}).get("tweets", []):
                included[tweet["id"]] = tweet

    def vary(tweet: dict[str, Any], n: int) -> None:
        tweet["id"] = str(int(tweet["id"]) + n)
        tweet["edit_history_tweet_ids"] = [tweet["id"]]
        tweet["text"] = f"{tweet['text']} {n}"

    items = varied(tweets, vary)
    includes = {"users": list(users.values()), "tweets": list(included.values())}
    pages = [{"data": page, "includes": includes, "meta": {}} for page in pages_of(items, 100)]
    me = xn.Identity(x_t.ACCOUNT_ID, "SalonMuseum")

    def run() -> int:
        done = 0
        for body in pages:
            page = xn.parse_page(body)
            posts = [p for t in page.tweets if (p := xn.to_post(t, page, source="x", identity=me))]
            xn.tombstones(posts, page, source="x", identity=me)
            done += len(posts)
        return done

    return items, run


def reddit_job() -> tuple[list[Any], Callable[[], int]]:
    children = []  # the Reddit fixtures are the listings themselves
    for path in sorted(rd_t.FIXTURES.glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, dict) and body.get("kind") == "Listing":
            children += body["data"]["children"]

    def vary(child: dict[str, Any], n: int) -> None:
        data = child["data"]
        data["id"] = f"{data['id']}{n:x}"
        data["name"] = f"{child['kind']}_{data['id']}"
        key = "title" if child["kind"] == "t3" else "body"
        data[key] = f"{data.get(key, '')} {n}"

    items = varied(children, vary)
    listings = [
        {"kind": "Listing", "data": {"children": page, "after": None}}
        for page in pages_of(items, 100)
    ]
    me = rd.Identity(rd_t.ME, rd_t.ME_ID)

    def run() -> int:
        done = 0
        for listing in listings:
            kids, _ = parse_listing(listing, "GET /r/x/new", "r")
            for child in kids:
                rd.created(child["data"]), rd.fullname(child["kind"], child["data"])
                done += rd.to_post(child, source="r", me=me, feed="subreddit") is not None
        return done

    return items, run


def mastodon_job() -> tuple[list[Any], Callable[[], int]]:
    statuses = []
    for body in bodies(ms_t.FIXTURES):
        for item in body if isinstance(body, list) else []:
            status = item.get("status") if "type" in item else item
            if isinstance(status, dict) and "content" in status:
                statuses.append(status)

    def vary(status: dict[str, Any], n: int) -> None:
        status["id"] = str(int(status["id"]) + n)
        status["content"] = f"{status['content']}<p>{n}</p>"

    items = varied(statuses, vary)
    me = masto.Identity(ms_t.OWN_ID, "stadtmuseum@social.example", "social.example")

    def run() -> int:
        done = 0
        for page in pages_of(items, 40):
            posts = [
                masto.status_to_post(
                    s, identity=me, source="m", kind=masto.kind_of(s, PostKind.POST)
                )
                for s in page
            ]
            done += len(masto.link_threads(posts))
        return done

    return items, run


def bluesky_job() -> tuple[list[Any], Callable[[], int]]:
    views = []
    for body in bodies(bs_t.FIXTURES):
        if isinstance(body, dict):
            found = body.get("notifications", []) + body.get("posts", [])
            views += [v for v in found if isinstance(v.get("record", {}).get("text"), str)]

    def vary(view: dict[str, Any], n: int) -> None:
        view["uri"] = f"{view['uri']}{n}"
        view["record"]["text"] = f"{view['record']['text']} {n}"

    items = varied(views, vary)
    me = bsky.Identity("did:plc:stadtmuseumwsmhcuavccnhx", bs_t.ME_HANDLE)

    def run() -> int:
        return len([bsky.post_from_view(view, source="b", me=me) for view in items])

    return items, run


@functools.cache
def telegram_updates() -> list[dict[str, Any]]:
    """``ITEMS`` getUpdates items, ids varied so that no two messages share a post id."""
    updates = []
    for body in bodies(tg_t.FIXTURES):
        if isinstance(body, dict) and isinstance(body.get("result"), list):
            updates += [u for u in body["result"] if isinstance(u, dict) and "update_id" in u]

    def vary(update: dict[str, Any], n: int) -> None:
        update["update_id"] += n
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(key)
            if message:
                message["message_id"] += n * 10_000  # distinct ids: no two share a post id
                if "text" in message:
                    message["text"] = f"{message['text']} {n}"

    return varied(updates, vary)


def telegram_job() -> tuple[list[Any], Callable[[], int]]:
    """What a fetch does with each getUpdates page it receives as JSON: the shape check, then
    the normalizer (``Bot.do_api_request`` hands over the decoded ``result``, no PTB objects)."""
    connector = tg_t.connector(tg_t.Cassette([]))
    chats: list[int | str] = [tg_t.CHANNEL_ID, tg_t.GROUP_ID, tg_t.FORUM_ID]
    options = UpdatesOptions(chats=chats, private_messages=True)
    pages = pages_of(telegram_updates(), 100)

    def run() -> int:
        done = 0
        for page in pages:
            posts, _ = connector.normalizer.posts(check_updates(page), options, "tg")
            done += len(posts)
        return done

    return telegram_updates(), run


def best_rate(run: Callable[[], int], count: int, rounds: int = 3) -> float:
    """Best items per CPU second of ``rounds`` runs (process time: other load on a shared
    machine does not count against us)."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        done = run()
        if done < count // 2:
            raise AssertionError(f"only {done} of {count} items became posts")
        best = max(best, count / (time.process_time() - start))
    return best


def decode_all(texts: list[str]) -> Callable[[], int]:
    """The baseline: ``json.loads`` of every item (what any client of the API pays)."""
    return lambda: len([json.loads(text) for text in texts])


def speed_table() -> str:
    rows = [
        f"| platform ({ITEMS:,} items, one core) | normalize items/s | baseline json.loads items/s "
        "| ratio | target ≥ 20,000 |",
        "|---|---:|---:|---:|---|",
    ]
    for name, job in [
        ("x", x_job),
        ("reddit", reddit_job),
        ("mastodon", mastodon_job),
        ("bluesky", bluesky_job),
        ("telegram", telegram_job),
    ]:
        items, run = job()
        rate = best_rate(run, len(items))
        baseline = best_rate(decode_all([json.dumps(item) for item in items]), len(items))
        mark = "yes" if rate >= TARGET else "**no**"
        rows.append(f"| {name} | {rate:,.0f} | {baseline:,.0f} | {rate / baseline:.2f} | {mark} |")
    return "\n".join(rows)


def main() -> None:
    """Run both measurements, print the tables and write them to ``bench/results``."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    started, cpu = time.perf_counter(), time.process_time()
    idle = idle_table()
    speed = speed_table()
    report = (
        "# Connectors benchmark\n\n`.venv/bin/python bench/bench_connectors.py`\n\n"
        f"## Requests per idle poll\n\n{idle}\n\n{IDLE_NOTES}\n\n"
        f"## Normalizing recorded items\n\n{speed}\n\n{SPEED_NOTES}\n\n"
        f"(the whole run: {time.process_time() - cpu:.0f} s of CPU, "
        f"{time.perf_counter() - started:.0f} s on the clock)\n"
    )
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
