"""The replay connector: posts from JSONL files, released at once or as if arriving over time.

Each line is a post in the shape of :func:`connectors.serialize.post_to_dict`. A malformed line
is reported (file and line) in ``FetchResult.warnings``, skipped, and the rest is processed.
Replies are appended to a JSONL file (or kept in memory), which :meth:`find_reply` reads back,
so replay exercises the same exactly-once path as a real platform. Used by the demo, tests and
benchmarks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import (
    ConnectorSettings,
    FetchResult,
    Post,
    Sent,
    Source,
    SyncConnector,
    capability_set,
    parse_time,
)
from connectors.errors import MalformedResponse, NotFound
from connectors.serialize import post_from_dict

DEMO_PREFIX = "demo:"


class ReplaySettings(ConnectorSettings):
    """Where replies go (a JSONL file); None keeps them in memory."""

    replies_path: Path | None = None


class FileFeed(BaseModel):
    """Options of the ``file`` feed."""

    model_config = ConfigDict(extra="forbid")

    path: str  # a JSONL file, or ``demo:x.jsonl`` for a bundled demo file
    page_size: int = Field(default=100, ge=1, le=10_000)
    pace: Literal["instant", "realtime"] = "instant"
    speed: float = Field(default=1.0, gt=0)  # realtime: data seconds per wall-clock second


@dataclass(slots=True)
class _Line:
    number: int
    post: Post | None
    error: str | None


def resolve_path(path: str) -> Path:
    """A real file path; ``demo:NAME`` names a file bundled in ``bot/demo/data``."""
    if path.startswith(DEMO_PREFIX):
        ref = resources.files("bot.demo").joinpath("data", path[len(DEMO_PREFIX) :])
        return Path(str(ref))
    return Path(path)


class ReplayConnector(SyncConnector):
    """Replays recorded posts from a file."""

    platform = "replay"
    capabilities = capability_set("timeline", "reply", "reconcile")
    Settings = ReplaySettings
    feeds = {"file": FileFeed}

    def __init__(self, settings: ReplaySettings | None = None, *, client: Any = None) -> None:
        self.settings = settings or ReplaySettings()
        self._cache: dict[tuple[Path, str], list[_Line]] = {}
        self._memory: list[dict[str, Any]] = []
        self._clock = client if callable(client) else (lambda: datetime.now(UTC))

    def cursor_position(self, cursor: str) -> Any:
        return json.loads(cursor)["offset"]

    def _lines(self, path: Path, source: str) -> list[_Line]:
        cached = self._cache.get((path, source))
        if cached is not None:
            return cached
        if not path.is_file():
            raise NotFound(f"replay file {path} does not exist", platform="replay", source=source)
        lines: list[_Line] = []
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                    if not isinstance(data, dict):
                        raise ValueError("a line must be a JSON object")
                    lines.append(_Line(number, post_from_dict(data, source=source), None))
                except (ValueError, KeyError, TypeError, RecursionError) as exc:
                    detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                    lines.append(_Line(number, None, f"{path}:{number}: skipped, {detail}"))
        self._cache[(path, source)] = lines
        return lines

    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        options: FileFeed = self.feed_options(source)
        lines = self._lines(resolve_path(options.path), source.name)
        try:
            state = json.loads(cursor) if cursor else {}
            offset = int(state.get("offset", 0))
        except (ValueError, TypeError, AttributeError):
            raise MalformedResponse(
                f"unreadable replay cursor {cursor!r}", platform="replay", source=source.name
            ) from None
        started = state.get("started") or self._clock().isoformat()
        release_until = self._release_horizon(options, lines, started)
        posts: list[Post] = []
        warnings: list[str] = []
        limit = options.page_size * source.max_pages
        index = offset
        waiting = False  # the next post is not due yet (realtime pace)
        while index < len(lines) and len(posts) < limit:
            line = lines[index]
            if line.post is not None and release_until and line.post.created_at > release_until:
                waiting = True
                break
            if line.error:
                warnings.append(line.error)
            elif line.post is not None:
                posts.append(line.post)
            index += 1
        pages = max(1, -(-len(posts) // options.page_size))
        return FetchResult(
            posts=posts,
            next_cursor=json.dumps({"offset": index, "started": started}),
            has_more=index < len(lines) and not waiting,
            requests_made=min(pages, source.max_pages),
            warnings=warnings,
        )

    def _release_horizon(
        self, options: FileFeed, lines: list[_Line], started: str
    ) -> datetime | None:
        if options.pace == "instant":
            return None
        first = next((line.post.created_at for line in lines if line.post), None)
        if first is None:
            return None
        elapsed = (self._clock() - parse_time(started)).total_seconds() * options.speed
        return first + timedelta(seconds=elapsed)

    def _replies(self) -> list[dict[str, Any]]:
        path = self.settings.replies_path
        if path is None:
            return self._memory
        if not path.is_file():
            return []
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        record = {
            "key": key,
            "in_reply_to": to.key,
            "text": text,
            "id": f"replay-reply-{len(self._replies()) + 1}",
            "at": self._clock().isoformat(),
        }
        path = self.settings.replies_path
        if path is None:
            self._memory.append(record)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return Sent(platform_id=record["id"])

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        for record in self._replies():
            if record.get("key") == key:
                return Sent(platform_id=str(record["id"]))
        return None
