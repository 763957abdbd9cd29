"""The sweep over a newest-first feed, against a live-changing fake listNotifications: whatever
arrives between polls and however pages and budgets fall, every item is delivered exactly once
and the cursor never moves back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Source
from connectors.bluesky.cursors import Mark, SweepCursor
from tests.connectors.test_bluesky_replay import ME_DID, load, make_connector

TEMPLATE: dict[str, Any] = load("notifications")["interactions"][0]["response"]["json"][
    "notifications"
][0]
BASE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class LiveNotifications:
    """listNotifications over a list that grows at the head (offset cursors, as a page shifts
    when new items arrive during a walk)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []  # newest first
        self.clock = 0
        self.requests = 0

    def arrive(self, ties: list[bool]) -> list[str]:
        added = []
        for tie in ties:
            if not (tie and self.items):
                self.clock += 1
            n = len(self.items)
            at = (BASE + timedelta(milliseconds=self.clock)).isoformat().replace("+00:00", "Z")
            item = json.loads(json.dumps(TEMPLATE))
            item["uri"] = f"at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/{n:013d}"
            item["indexedAt"] = at
            item["record"]["text"] = f"item {n} for did {ME_DID}"
            self.items.insert(0, item)
            added.append(item["uri"])
        return added

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        limit = int(request.url.params["limit"])
        offset = int(request.url.params.get("cursor", "0"))
        page = self.items[offset : offset + limit]
        body: dict[str, Any] = {"notifications": page}
        if offset + limit < len(self.items):
            body["cursor"] = str(offset + limit)
        return httpx.Response(200, json=body, request=request)


step = st.tuples(
    st.lists(st.booleans(), max_size=7),  # arrivals before this poll (True: same ms as previous)
    st.integers(1, 4),  # page size
    st.integers(1, 3),  # max_pages
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(existing=st.lists(st.booleans(), max_size=6), steps=st.lists(step, min_size=1, max_size=8))
def test_every_item_is_delivered_exactly_once(
    existing: list[bool], steps: list[tuple[list[bool], int, int]]
) -> None:
    server = LiveNotifications()
    connector = make_connector(server)
    server.arrive(existing)
    first = connector.fetch_sync(
        Source(name="n", feed="notifications", options={"page_size": 3}), None
    )
    assert first.posts == [] and first.requests_made == 1
    # The first run treats everything at its newest millisecond as existing (it cannot see past
    # its one page), so nothing new may share that millisecond: later arrivals start after it.
    server.clock += 1
    cursor = first.next_cursor
    expected: list[str] = []
    delivered: list[str] = []
    polls = [(ties, size, pages) for ties, size, pages in steps]
    polls += [([], 2, 3)] * 40  # then drain without arrivals
    for ties, size, pages in polls:
        expected += server.arrive(ties)
        source = Source(
            name="n", feed="notifications", options={"page_size": size}, max_pages=pages
        )
        before = server.requests
        result = connector.fetch_sync(source, cursor)
        assert result.requests_made == server.requests - before <= pages
        assert cursor is not None and result.next_cursor is not None
        assert connector.cursor_position(result.next_cursor) >= connector.cursor_position(cursor)
        delivered += [p.id for p in result.posts]
        cursor = result.next_cursor
        if not result.has_more and not ties and len(delivered) == len(expected):
            break
    assert len(delivered) == len(set(delivered)), "an item was delivered twice"
    assert set(delivered) == set(expected), "an item was lost"
    assert cursor is not None and not SweepCursor.load(cursor).walking


def test_marks_order_ties_by_id() -> None:
    at = BASE
    mark = Mark(at, {"a"})
    assert mark.is_new(at, "b") and not mark.is_new(at, "a")
    assert mark.is_new(at + timedelta(microseconds=1), "a")
    assert not mark.is_new(at - timedelta(microseconds=1), "z")
    mark.advance(at, "b")
    assert mark.ids == {"a", "b"}
    mark.advance(at - timedelta(seconds=1), "c")  # never backwards
    assert mark.at == at and mark.ids == {"a", "b"}
    again = Mark.load(json.loads(json.dumps(mark.dump())))
    assert again == mark


def test_first_run_skips_existing_items_tied_beyond_its_one_page() -> None:
    server = LiveNotifications()
    connector = make_connector(server)
    server.arrive([False, True, True, True, True])  # five items in the same millisecond
    source = Source(name="n", feed="notifications", options={"page_size": 2})
    first = connector.fetch_sync(source, None)
    assert first.requests_made == 1 and first.posts == []
    server.clock += 1
    (new,) = server.arrive([False])
    later = connector.fetch_sync(source, first.next_cursor)
    assert [p.id for p in later.posts] == [new]
