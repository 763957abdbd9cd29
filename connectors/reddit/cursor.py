"""The Reddit cursor: a watermark per newest-first listing, as a JSON string.

Reddit listings (``/r/x/new``, ``/r/x/comments``, ``/message/inbox``, search with
``sort=new``) run newest first and page backwards with ``after``. A poll walks from the top
down to the watermark (``mark``: the newest ``created_utc`` already handled plus the
fullnames handled at that very second). When the page budget runs out before the walk
reaches the mark, the unfinished walk (``round``) is kept in the cursor: the next poll
continues below its ``floor`` from ``after`` instead of leaving a gap, and the mark only
jumps to the round's ``top`` once the walk is complete. Nothing at or behind the mark, nor
anything a round already returned, is returned again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

VERSION = 1


@dataclass(frozen=True, slots=True)
class Edge:
    """A second on the listing's clock and the fullnames seen at exactly that second."""

    t: float
    ids: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """This edge as a JSON-able dict."""
        return {"t": self.t, "ids": sorted(self.ids)}

    @classmethod
    def from_json(cls, data: Any) -> Edge:
        """Parse :meth:`to_json` output (``ValueError`` if it is not one)."""
        if not isinstance(data, dict):
            raise ValueError("edge: not an object")
        ids = data.get("ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("edge.ids: not a list of fullnames")
        return cls(t=float(data["t"]), ids=frozenset(ids))


def newer(mark: Edge, t: float, name: str) -> bool:
    """Whether an item is ahead of ``mark`` (not yet handled)."""
    return t > mark.t or (t == mark.t and name not in mark.ids)


def below(floor: Edge, t: float, name: str) -> bool:
    """Whether an item is below ``floor`` (not yet reached by an unfinished walk)."""
    return t < floor.t or (t == floor.t and name not in floor.ids)


def raise_top(top: Edge | None, t: float, name: str) -> Edge:
    """``top`` after also seeing ``(t, name)``."""
    if top is None or t > top.t:
        return Edge(t, frozenset({name}))
    if t == top.t:
        return Edge(t, top.ids | {name})
    return top


def lower_floor(floor: Edge | None, t: float, name: str) -> Edge:
    """``floor`` after also seeing ``(t, name)``."""
    if floor is None or t < floor.t:
        return Edge(t, frozenset({name}))
    if t == floor.t:
        return Edge(t, floor.ids | {name})
    return floor


def merge(mark: Edge | None, top: Edge | None) -> Edge | None:
    """The mark once everything up to ``top`` has been handled."""
    if top is None:
        return mark
    if mark is None or top.t > mark.t:
        return top
    if top.t == mark.t:
        return Edge(mark.t, mark.ids | top.ids)
    return mark


@dataclass(slots=True)
class Round:
    """An unfinished walk down a listing: continue from ``after``, below ``floor``."""

    after: str
    top: Edge
    floor: Edge

    def to_json(self) -> dict[str, Any]:
        """This round as a JSON-able dict."""
        return {"after": self.after, "top": self.top.to_json(), "floor": self.floor.to_json()}

    @classmethod
    def from_json(cls, data: Any) -> Round:
        """Parse :meth:`to_json` output (``ValueError`` if it is not one)."""
        if not isinstance(data, dict) or not isinstance(data.get("after"), str):
            raise ValueError("round: needs an 'after' fullname")
        return cls(
            after=data["after"],
            top=Edge.from_json(data["top"]),
            floor=Edge.from_json(data["floor"]),
        )


@dataclass(slots=True)
class ListingState:
    """Where one listing stands: ``mark`` is None until the listing was first polled."""

    mark: Edge | None = None
    round: Round | None = None

    def position(self) -> float:
        """How far this listing has come (seconds since the epoch); never decreases."""
        if self.mark is None:
            return float("-inf")
        if self.round is not None:
            return max(self.mark.t, self.round.top.t)
        return self.mark.t


@dataclass(slots=True)
class Cursor:
    """All listings of one source, plus whose turn it is when the budget is short."""

    lists: dict[str, ListingState] = field(default_factory=dict)
    turn: int = 0

    def state(self, listing: str) -> ListingState:
        """The state of ``listing`` (created empty on first use)."""
        return self.lists.setdefault(listing, ListingState())

    def position(self) -> float:
        """A sortable value for the whole cursor (the furthest listing)."""
        return max((s.position() for s in self.lists.values()), default=float("-inf"))

    def encode(self) -> str:
        """The cursor as the string the store keeps."""
        lists: dict[str, Any] = {}
        for name, state in sorted(self.lists.items()):
            if state.mark is None:
                continue
            entry: dict[str, Any] = {"mark": state.mark.to_json()}
            if state.round is not None:
                entry["round"] = state.round.to_json()
            lists[name] = entry
        payload = {"v": VERSION, "lists": lists, "turn": self.turn}
        return json.dumps(payload, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """Parse a stored cursor (``None``: a fresh one); ``ValueError`` if unreadable."""
        if text is None:
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(data, dict) or data.get("v") != VERSION:
            raise ValueError(f"not a version {VERSION} Reddit cursor")
        raw_lists = data.get("lists")
        if not isinstance(raw_lists, dict):
            raise ValueError("lists: not an object")
        lists: dict[str, ListingState] = {}
        try:
            for name, entry in raw_lists.items():
                if not isinstance(entry, dict):
                    raise ValueError(f"lists.{name}: not an object")
                round_ = Round.from_json(entry["round"]) if "round" in entry else None
                lists[name] = ListingState(mark=Edge.from_json(entry["mark"]), round=round_)
            turn = int(data.get("turn", 0))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"incomplete cursor ({exc})") from None
        return cls(lists=lists, turn=turn)


@dataclass(slots=True)
class Step:
    """The outcome of reading one page: which items are new, and whether the walk ended."""

    new: list[int]  # indexes into the page's items, in listing order
    done: bool


def advance(state: ListingState, items: Iterable[tuple[float, str]], after: str | None) -> Step:
    """Update ``state`` with one page of ``(created_utc, fullname)`` items, newest first.

    ``state.mark`` must be set. ``after`` is the page's continuation token (None at the end
    of the listing). The walk ends when the page reaches the mark or the listing ends.
    """
    mark = state.mark
    if mark is None:
        raise ValueError("advance() needs a mark; handle the first poll separately")
    round_ = state.round
    top = round_.top if round_ else None
    floor = round_.floor if round_ else None
    new: list[int] = []
    reached = False
    for index, (t, name) in enumerate(items):
        if not newer(mark, t, name):
            reached = True
            continue
        if round_ is not None and not below(round_.floor, t, name):
            continue  # returned earlier in this walk (the same page served again)
        new.append(index)
        top = raise_top(top, t, name)
        floor = lower_floor(floor, t, name)
    if reached or after is None or top is None or floor is None:
        state.mark = merge(mark, top)
        state.round = None
        return Step(new=new, done=True)
    state.round = Round(after=after, top=top, floor=floor)
    return Step(new=new, done=False)


def first_mark(items: Iterable[tuple[float, str]]) -> Edge:
    """The mark for a first poll that skips existing items (the newest item on the page)."""
    top: Edge | None = None
    for t, name in items:
        top = raise_top(top, t, name)
    return top if top is not None else Edge(0.0)
