"""What the platform fakes share: recorded payloads as templates, published posts, replies."""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "fixtures"


@cache
def _recorded(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def template(platform: str, name: str, *path: str | int) -> Any:
    """A deep copy of part of a recorded payload (``path`` indexes into the file's JSON)."""
    node = _recorded(platform, name)
    for step in path:
        node = node[step]
    return copy.deepcopy(node)


def iso_ms(moment: datetime) -> str:
    """``2026-11-02T10:00:00.123Z`` (the timestamps Mastodon and Bluesky send)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Published:
    """A post the test made appear on a fake platform."""

    platform: str
    id: str  # the id Salon stores (its ``platform:id`` is unique)
    text: str
    author: str  # handle
    created_at: datetime
    served: int = 0  # complete answers that carried it


@dataclass(slots=True)
class ReceivedReply:
    """A reply the fake accepted (after any idempotency check)."""

    to: str  # the id of the post answered (as Salon stores it)
    text: str
    key: str | None  # the Idempotency-Key header, where the platform takes one
    id: str


@dataclass
class Ledger:
    """Posts published and replies received by one fake, thread-safe."""

    platform: str
    posts: dict[str, Published] = field(default_factory=dict)
    replies: list[ReceivedReply] = field(default_factory=list)
    idempotent_repeats: int = 0  # replies answered from the Idempotency-Key cache
    lock: threading.RLock = field(default_factory=threading.RLock)

    def publish(self, post: Published) -> None:
        """Record a post as published."""
        with self.lock:
            self.posts[post.id] = post

    def mark_served(self, ids: list[str]) -> None:
        """One more answer carried each of ``ids``."""
        with self.lock:
            for post_id in ids:
                if post_id in self.posts:
                    self.posts[post_id].served += 1

    def reply_counts(self) -> Counter[str]:
        """Replies received per post answered."""
        with self.lock:
            return Counter(reply.to for reply in self.replies)
