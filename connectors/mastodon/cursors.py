"""Cursor formats of the Mastodon feeds.

``mentions`` and ``hashtag`` cursors are a bare id string (the newest notification or status
seen): Mastodon's ``min_id`` pages forward from it. The ``context`` cursor is JSON::

    {"v": 1, "floor": "<id>", "high": "<id>", "threads": {"<own status id>": ["<wm>", n]}}

``floor`` is where the feed started (a snowflake at first run), ``high`` the greatest id ever
returned or passed (the sortable position), and each watched own status keeps the newest
descendant id already returned (``wm``) and its ``replies_count`` when last scanned (``n``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import PermanentError
from connectors.mastodon.faults import PLATFORM
from connectors.mastodon.normalize import id_key

VERSION = 1


@dataclass(slots=True)
class Thread:
    """What the context feed remembers about one watched own status."""

    watermark: str
    replies: int


@dataclass(slots=True)
class ContextCursor:
    """The decoded ``context`` cursor."""

    floor: str
    high: str
    threads: dict[str, Thread] = field(default_factory=dict)

    def dump(self) -> str:
        """The cursor string (compact JSON, threads in id order)."""
        threads = {
            sid: [t.watermark, t.replies]
            for sid, t in sorted(self.threads.items(), key=lambda item: id_key(item[0]))
        }
        body = {"v": VERSION, "floor": self.floor, "high": self.high, "threads": threads}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def load(cls, cursor: str, *, source: str = "") -> ContextCursor:
        """Parse a cursor written by :meth:`dump` (PermanentError if it is not one)."""
        try:
            body: Any = json.loads(cursor)
            if not isinstance(body, dict) or body.get("v") != VERSION:
                raise ValueError("not a version 1 context cursor")
            threads = {
                str(sid): Thread(str(value[0]), int(value[1]))
                for sid, value in dict(body.get("threads") or {}).items()
            }
            return cls(floor=str(body["floor"]), high=str(body["high"]), threads=threads)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise PermanentError(
                f"context cursor {cursor[:80]!r} cannot be read: {exc}",
                platform=PLATFORM,
                source=source,
            ) from None


def check_id_cursor(cursor: str, *, source: str) -> str:
    """Validate a bare id cursor (``mentions``/``hashtag``)."""
    text = cursor.strip()
    if not text or text.startswith("{") or any(ch.isspace() for ch in text):
        raise PermanentError(
            f"cursor {cursor[:80]!r} is not a Mastodon id", platform=PLATFORM, source=source
        )
    return text


def position(cursor: str) -> tuple[int, str]:
    """The sortable position of any Mastodon cursor."""
    text = cursor.strip()
    if text.startswith("{"):
        try:
            return id_key(ContextCursor.load(text).high)
        except PermanentError:
            return (0, "")
    return id_key(text)
