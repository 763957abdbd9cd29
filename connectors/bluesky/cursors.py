"""Bluesky cursors: compact JSON strings that only move forward.

Two shapes, both ordered by the AppView's ``indexedAt`` (set when Bluesky indexed the item, so
it cannot be back-dated by a client the way ``record.createdAt`` can):

- ``sweep`` (notifications, search): the API pages newest first. ``mark`` is the newest item
  already delivered; a poll walks pages from the head until it meets the mark. When ``max_pages``
  runs out first, the unfinished walk is kept (``page``: the API cursor, ``top``/``low``: the
  newest/oldest item delivered in this walk) and the next poll resumes there.
- ``threads``: per watched thread, the reply count last seen and its own watermark; a thread is
  fetched again only when its reply count changes (``todo`` holds the ones still to fetch).

A :class:`Mark` is a time plus the ids seen at exactly that time, so two items indexed in the
same millisecond are neither lost nor repeated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import parse_time

VERSION = 1
EPOCH = datetime.min.replace(tzinfo=UTC)
_MAX_GONE = 50  # tombstones remembered per thread


class CursorError(ValueError):
    """A cursor string that this connector did not write (or of another feed)."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CursorError(f"bad time {value!r}")
    try:
        return parse_time(value)
    except ValueError:
        raise CursorError(f"bad time {value!r}") from None


def _strs(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CursorError("ids must be a list of strings")
    return list(value)


def _ids(value: Any) -> set[str]:
    return set(_strs(value))


@dataclass(slots=True)
class Mark:
    """A watermark: the newest time seen and the ids seen at exactly that time.

    ``everything``: every item at exactly ``at`` counts as seen, known or not (a first run
    that skips what exists cannot see all the items that share the newest time).
    """

    at: datetime | None = None
    ids: set[str] = field(default_factory=set)
    everything: bool = False

    def is_new(self, at: datetime, uid: str) -> bool:
        """Whether an item is strictly ahead of this mark."""
        if self.at is None or at > self.at:
            return True
        return at == self.at and not self.everything and uid not in self.ids

    def is_older(self, at: datetime, uid: str) -> bool:
        """Whether an item is strictly behind this mark (used as the low end of a walk)."""
        return self.at is None or at < self.at or (at == self.at and uid not in self.ids)

    def advance(self, at: datetime, uid: str) -> None:
        """Move up to ``at`` (never down)."""
        if self.at is None or at > self.at:
            self.at, self.ids, self.everything = at, {uid}, False
        elif at == self.at:
            self.ids.add(uid)

    def lower(self, at: datetime, uid: str) -> None:
        """Move down to ``at`` (never up)."""
        if self.at is None or at < self.at:
            self.at, self.ids = at, {uid}
        elif at == self.at:
            self.ids.add(uid)

    def copy(self) -> Mark:
        """An independent copy."""
        return Mark(self.at, set(self.ids), self.everything)

    def dump(self) -> dict[str, Any]:
        """JSON-able form."""
        out: dict[str, Any] = {"at": _iso(self.at), "ids": sorted(self.ids)}
        if self.everything:
            out["all"] = True
        return out

    @classmethod
    def load(cls, data: Any) -> Mark:
        """Inverse of :meth:`dump`."""
        if not isinstance(data, dict):
            raise CursorError("mark must be an object")
        return cls(_time(data.get("at")), _ids(data.get("ids", [])), data.get("all") is True)


@dataclass(slots=True)
class SweepCursor:
    """Cursor of a newest-first feed (see the module docstring)."""

    mark: Mark
    top: Mark | None = None
    low: Mark | None = None
    page: str | None = None

    @property
    def walking(self) -> bool:
        """Whether an unfinished walk is waiting to be resumed."""
        return self.page is not None

    def position(self) -> datetime:
        """Sortable position: the newest time ever delivered."""
        newest = self.top.at if self.top is not None and self.top.at else self.mark.at
        return newest or EPOCH

    def dump(self) -> str:
        """The cursor string."""
        data: dict[str, Any] = {"v": VERSION, "kind": "sweep", "mark": self.mark.dump()}
        if self.page is not None and self.top is not None and self.low is not None:
            data.update(page=self.page, top=self.top.dump(), low=self.low.dump())
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def load(cls, text: str) -> SweepCursor:
        """Parse a cursor string written by :meth:`dump`."""
        data = _object(text, "sweep")
        page = data.get("page")
        if page is not None and not isinstance(page, str):
            raise CursorError("page must be a string")
        if page is None:
            return cls(Mark.load(data.get("mark")))
        return cls(
            Mark.load(data.get("mark")),
            Mark.load(data.get("top")),
            Mark.load(data.get("low")),
            page,
        )


@dataclass(slots=True)
class ThreadState:
    """What we know of one watched thread."""

    replies: int
    mark: Mark
    gone: list[str] = field(default_factory=list)  # tombstones already reported

    def remember_gone(self, uri: str) -> None:
        """Record a reported tombstone (bounded)."""
        self.gone.append(uri)
        del self.gone[:-_MAX_GONE]

    def dump(self) -> dict[str, Any]:
        """JSON-able form."""
        out: dict[str, Any] = {"n": self.replies, **self.mark.dump()}
        if self.gone:
            out["gone"] = self.gone
        return out

    @classmethod
    def load(cls, data: Any) -> ThreadState:
        """Inverse of :meth:`dump`."""
        if not isinstance(data, dict) or not isinstance(data.get("n"), int):
            raise CursorError("thread state must be an object with n")
        return cls(data["n"], Mark.load(data), _strs(data.get("gone", [])))


@dataclass(slots=True)
class ThreadsCursor:
    """Cursor of the ``threads`` feed (see the module docstring)."""

    floor: datetime
    own: Mark
    threads: dict[str, ThreadState] = field(default_factory=dict)
    todo: list[tuple[str, int]] = field(default_factory=list)
    pos: datetime = EPOCH

    def new_thread(self) -> ThreadState:
        """State of a thread never fetched: everything after the floor is new."""
        return ThreadState(0, Mark(self.floor))

    def position(self) -> datetime:
        """Sortable position: the newest time ever delivered or started from."""
        times = [self.pos, self.floor, self.own.at or EPOCH]
        times += [state.mark.at or EPOCH for state in self.threads.values()]
        return max(times)

    def dump(self) -> str:
        """The cursor string."""
        data = {
            "v": VERSION,
            "kind": "threads",
            "floor": _iso(self.floor),
            "pos": _iso(self.position()),
            "own": self.own.dump(),
            "threads": {uri: state.dump() for uri, state in self.threads.items()},
            "todo": [[uri, n] for uri, n in self.todo],
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def load(cls, text: str) -> ThreadsCursor:
        """Parse a cursor string written by :meth:`dump`."""
        data = _object(text, "threads")
        floor = _time(data.get("floor"))
        if floor is None:
            raise CursorError("threads cursor has no floor")
        threads = data.get("threads", {})
        todo = data.get("todo", [])
        if not isinstance(threads, dict) or not isinstance(todo, list):
            raise CursorError("threads must be an object and todo a list")
        pending: list[tuple[str, int]] = []
        for entry in todo:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                raise CursorError("todo entries must be [uri, replies]")
            pending.append((entry[0], int(entry[1])))
        return cls(
            floor=floor,
            own=Mark.load(data.get("own")),
            threads={str(uri): ThreadState.load(state) for uri, state in threads.items()},
            todo=pending,
            pos=_time(data.get("pos")) or floor,
        )


def _object(text: str, kind: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise CursorError(f"not a Bluesky cursor: {text[:60]!r}") from None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise CursorError(f"not a Bluesky cursor (version): {text[:60]!r}")
    if data.get("kind") != kind:
        raise CursorError(f"a {data.get('kind')!r} cursor given to a {kind!r} feed")
    return data


def position(text: str) -> datetime:
    """Sortable position of any Bluesky cursor (EPOCH for one this connector cannot read)."""
    try:
        data = json.loads(text)
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind == "sweep":
            return SweepCursor.load(text).position()
        if kind == "threads":
            return ThreadsCursor.load(text).position()
    except (CursorError, ValueError, TypeError):
        pass
    return EPOCH
