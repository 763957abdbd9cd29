"""The contract every connector passes; each platform's tests call these with recorded traffic.

- the cursor only moves forward, and replaying the same page yields no new posts;
- a fetch is bounded (at most ``source.max_pages`` requests, counted in ``requests_made``);
- timestamps are aware UTC, keys are unique, the source name is set, raw payloads are kept;
- the institution's own posts are marked ``author.is_self``.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from connectors.base import Connector, FetchResult, Source


def assert_well_formed(connector: Connector, source: Source, result: FetchResult) -> None:
    """Checks that hold for every fetch result of every connector."""
    assert result.requests_made <= source.max_pages, (
        f"{result.requests_made} requests for max_pages={source.max_pages}"
    )
    keys = [post.key for post in result.posts]
    assert len(keys) == len(set(keys)), f"duplicate posts in one fetch: {keys}"
    for post in result.posts:
        assert post.platform == connector.platform
        assert post.source == source.name
        assert post.id and post.author.id and post.author.handle is not None
        assert post.created_at.tzinfo is not None
        assert post.created_at.utcoffset() == timedelta(0), post.created_at
        assert post.created_at.tzinfo == UTC or post.created_at.utcoffset() == timedelta(0)
        assert isinstance(post.raw, dict) and post.raw, f"{post.key} has no raw payload"
        if post.in_reply_to_id is not None:
            assert post.conversation_id is not None, f"{post.key} replies but has no thread"


def assert_moves_forward(connector: Connector, before: str | None, after: str | None) -> None:
    """The cursor after a fetch is never behind the cursor before it."""
    if before is None:
        return
    assert after is not None, "a fetch lost the cursor"
    assert connector.cursor_position(after) >= connector.cursor_position(before), (
        f"cursor moved back: {before!r} -> {after!r}"
    )


async def assert_contract(
    connector: Connector,
    source: Source,
    cursor: str | None,
    *,
    expect_posts: bool = True,
    expect_self: bool = False,
) -> FetchResult:
    """Fetch from ``cursor``, then fetch again from the returned cursor while the recorded
    traffic serves the same page again: the second fetch must bring nothing new."""
    first = await connector.fetch(source, cursor)
    assert_well_formed(connector, source, first)
    assert_moves_forward(connector, cursor, first.next_cursor)
    if expect_posts:
        assert first.posts, "expected posts from the recorded traffic"
    if expect_self:
        assert any(p.author.is_self for p in first.posts), "own posts are not marked is_self"
    again = await connector.fetch(source, first.next_cursor)
    assert_well_formed(connector, source, again)
    seen = {p.key for p in first.posts}
    repeated = [p.key for p in again.posts if p.key in seen]
    assert not repeated, f"replaying the same page yielded old posts again: {repeated}"
    assert_moves_forward(connector, first.next_cursor, again.next_cursor)
    return first
