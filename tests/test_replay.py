"""The replay connector: paging, cursors, malformed lines, pacing, replies and reconciliation."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from connectors.base import Source
from connectors.replay import ReplayConnector, ReplaySettings
from connectors.serialize import post_to_dict
from tests.helpers import T0, make_post


def write_posts(path: Path, count: int, *, bad_line_at: int | None = None) -> None:
    lines = [
        json.dumps(post_to_dict(make_post(str(i), f"post {i}", minutes=i))) for i in range(count)
    ]
    if bad_line_at is not None:
        lines.insert(bad_line_at, '{"platform": "x", "id": ')
    path.write_text("\n".join(lines) + "\n")


async def test_pages_are_bounded_and_cursor_resumes(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_posts(path, 25)
    source = Source("s", "file", {"path": str(path), "page_size": 10}, max_pages=2)
    connector = ReplayConnector()
    first = await connector.fetch(source, None)
    assert [p.id for p in first.posts] == [str(i) for i in range(20)]
    assert first.has_more and first.requests_made == 2
    second = await connector.fetch(source, first.next_cursor)
    assert [p.id for p in second.posts] == [str(i) for i in range(20, 25)]
    assert not second.has_more
    idle = await connector.fetch(source, second.next_cursor)
    assert idle.posts == [] and idle.requests_made == 1
    assert all(p.source == "s" for p in first.posts)


async def test_malformed_line_is_reported_with_file_and_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_posts(path, 5, bad_line_at=2)
    result = await ReplayConnector().fetch(Source("s", "file", {"path": str(path)}), None)
    assert [p.id for p in result.posts] == ["0", "1", "2", "3", "4"]
    (warning,) = result.warnings
    assert warning.startswith(f"{path}:3: skipped")


async def test_realtime_pace_releases_posts_as_time_passes(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_posts(path, 10)  # one post a minute from T0
    now = [T0]
    connector = ReplayConnector(client=lambda: now[0])
    source = Source("s", "file", {"path": str(path), "pace": "realtime", "speed": 60})
    first = await connector.fetch(source, None)
    assert [p.id for p in first.posts] == ["0"]
    assert not first.has_more
    now[0] = T0 + timedelta(seconds=3)  # three data-minutes later
    second = await connector.fetch(source, first.next_cursor)
    assert [p.id for p in second.posts] == ["1", "2", "3"]


async def test_reply_is_recorded_and_found_again(tmp_path: Path) -> None:
    replies = tmp_path / "replies.jsonl"
    connector = ReplayConnector(ReplaySettings(replies_path=replies))
    post = make_post("9", "open today?")
    assert await connector.find_reply(post, "hi", "reply:x:9") is None
    sent = await connector.reply(post, "hi", "reply:x:9")
    again = ReplayConnector(ReplaySettings(replies_path=replies))  # a restarted process
    assert await again.find_reply(post, "hi", "reply:x:9") == sent
    assert json.loads(replies.read_text())["in_reply_to"] == "x:9"
