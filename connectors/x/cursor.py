"""The X connector's cursor: a since_id watermark, plus a paused sweep when pages remain.

X returns newest first. A fetch that runs out of pages before reaching the watermark keeps a
*sweep*: the request parameters it started with, the pagination token to resume from, the
newest id seen (the next watermark) and the oldest id already delivered (anything at or above
it is not new). When the sweep ends the watermark jumps to its newest id. Ids are snowflakes,
so they order by time and :meth:`Cursor.position` can compare cursors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TWITTER_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 30_000_000_000  # ids below this predate snowflakes (Nov 2010)
_ID_CEILING = 1 << 63


def snowflake_time(tweet_id: int | str) -> datetime | None:
    """When a snowflake id was minted (ms precision), or None for pre-2010 ids."""
    value = int(tweet_id)
    if value < _FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((value >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def iso_z(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (the API's second-granularity time format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Sweep:
    """A walk down the pages that did not finish within one fetch."""

    params: dict[str, str]  # the request parameters the walk started with
    next_token: str
    newest_id: int
    oldest_id: int | None = None  # oldest id seen so far; ids at or above it are not new


@dataclass(slots=True)
class Cursor:
    """Everything a source needs to continue where it stopped."""

    since_id: int | None = None
    start_time: str | None = None  # used only while there is no since_id
    roots: dict[str, str] = field(default_factory=dict)  # conversation id -> last activity
    sweep: Sweep | None = None

    def dumps(self) -> str:
        """The cursor as compact JSON (ids as strings)."""
        data: dict[str, Any] = {}
        if self.since_id is not None:
            data["since_id"] = str(self.since_id)
        if self.start_time is not None and self.since_id is None:
            data["start_time"] = self.start_time
        if self.roots:
            data["roots"] = dict(sorted(self.roots.items()))
        if self.sweep is not None:
            sweep: dict[str, Any] = {
                "params": self.sweep.params,
                "next_token": self.sweep.next_token,
                "newest_id": str(self.sweep.newest_id),
            }
            if self.sweep.oldest_id is not None:
                sweep["oldest_id"] = str(self.sweep.oldest_id)
            data["sweep"] = sweep
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Cursor:
        """Parse a cursor; a bare id is read as a since_id. Raises ``ValueError``."""
        text = text.strip()
        if text.isdigit():
            return cls(since_id=int(text))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"cursor is not JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ValueError("cursor must be a JSON object")
        try:
            cursor = cls(
                since_id=_opt_int(data.get("since_id")),
                start_time=_opt_str(data.get("start_time")),
                roots={str(k): str(v) for k, v in (data.get("roots") or {}).items()},
            )
            raw = data.get("sweep")
            if raw is not None:
                cursor.sweep = Sweep(
                    params={str(k): str(v) for k, v in raw["params"].items()},
                    next_token=str(raw["next_token"]),
                    newest_id=int(raw["newest_id"]),
                    oldest_id=_opt_int(raw.get("oldest_id")),
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"cursor has a bad field: {exc!r}") from None
        return cursor

    def position(self) -> tuple[int, int, int]:
        """A sortable value: (watermark, newest seen, progress of the paused sweep)."""
        since = self.since_id or 0
        if self.sweep is None:
            return (since, since, 0)
        oldest = self.sweep.oldest_id
        progress = 0 if oldest is None else _ID_CEILING - oldest
        return (since, max(since, self.sweep.newest_id), progress)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
