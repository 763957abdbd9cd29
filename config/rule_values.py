"""Small values of the rule language, parsed once when the configuration loads.

* comparisons: ``">= 0.7"`` (a score), ``"< 3"`` (a count), ``">= 2h"`` (a duration; units
  ``s m h d w``). A bare number means "at least": ``0.7`` is ``">= 0.7"``.
* time ranges: ``"10:00-18:00"``; a range that ends before it starts runs over midnight
  (``"22:00-06:00"``); ``24:00`` is the end of the day.
* weekdays: ``mon`` … ``sun``; opening hours per weekday: ``closed`` or ranges joined by commas
  (``"10:00-13:00, 14:00-18:00"``).
* regular expressions: :func:`needed_text` says what text any match contains, so that a search
  can be skipped where it cannot succeed.

Every parser raises :class:`ValueError` with a message that says what is allowed.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined] # re's parser: Python 3.11+
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Literal

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
CLOSED = "closed"

ComparisonKind = Literal["score", "signed score", "count", "duration"]

_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)?\s*([-+]?\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_EXAMPLES: dict[str, str] = {
    "score": "'>= 0.7' or '< 0.3' (scores run from 0 to 1)",
    "signed score": "'<= -0.5' or '>= 0.5' (from -1, very negative, to 1, very positive)",
    "count": "'>= 3' or '< 2' (a whole number)",
    "duration": "'>= 2h' or '< 30m' (units: s, m, h, d, w)",
}
_RANGES: dict[str, tuple[float, float]] = {"score": (0.0, 1.0), "signed score": (-1.0, 1.0)}


@dataclass(frozen=True, slots=True)
class Comparison:
    """``value OP threshold``; durations are held in seconds, ``text`` is as written."""

    op: str
    threshold: float
    text: str

    def holds(self, value: float) -> bool:
        """Whether ``value`` passes the comparison."""
        return OPERATORS[self.op](value, self.threshold)


def parse_comparison(raw: object, kind: ComparisonKind) -> Comparison:
    """Parse a comparison of ``kind`` from YAML (a string, or a bare number meaning ``>=``)."""
    allowed = f"expected a comparison such as {_EXAMPLES[kind]}"
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(allowed)
    match = _COMPARISON.match(str(raw))
    if match is None:
        raise ValueError(f"cannot read {raw!r}: {allowed}")
    op, number, unit = match.group(1) or ">=", float(match.group(2)), match.group(3)
    if kind == "duration":
        if unit not in DURATION_UNITS:
            raise ValueError(f"{raw!r} needs a unit: {allowed}")
        return Comparison(op, number * DURATION_UNITS[unit], f"{op} {match.group(2)}{unit}")
    if unit:
        raise ValueError(f"{raw!r}: no unit allowed here; {allowed}")
    if kind == "count" and not number.is_integer():
        raise ValueError(f"{raw!r}: {allowed}")
    low, high = _RANGES.get(kind, (0.0, float("inf")))
    if not low <= number <= high:
        raise ValueError(f"{raw!r} is out of range; {allowed}")
    text = f"{op} {int(number)}" if kind == "count" else f"{op} {number:g}"
    return Comparison(op, number, text)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Minutes after midnight, ``start`` included, ``end`` excluded;
    over midnight if end < start."""

    start: int
    end: int

    def contains(self, minute: int) -> bool:
        """Whether ``minute`` (0-1439) falls inside the range."""
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str, whole: str) -> int:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"cannot read the time {text.strip()!r} in {whole!r} (use HH:MM)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text.strip()!r} in {whole!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def parse_time_range(text: str, *, overnight: bool = True) -> TimeRange:
    """``"10:00-18:00"`` as a :class:`TimeRange`; ``overnight`` allows ``"22:00-06:00"``."""
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a time range (use 'HH:MM-HH:MM', e.g. '10:00-18:00')")
    start, end = _minutes(start_text, text), _minutes(end_text, text)
    if start == end:
        raise ValueError(f"{text!r} is empty (start and end are the same)")
    if end < start and not overnight:
        raise ValueError(f"{text!r} ends before it starts (opening hours cannot pass midnight)")
    return TimeRange(start, end)


def parse_opening_day(text: str) -> tuple[TimeRange, ...]:
    """``"closed"`` (no ranges) or ``"10:00-13:00, 14:00-18:00"``."""
    if text.strip().lower() == CLOSED:
        return ()
    return tuple(parse_time_range(part, overnight=False) for part in text.split(","))


def parse_weekday(text: str) -> int:
    """``mon`` → 0 … ``sun`` → 6."""
    key = text.strip().lower()[:3]
    if key not in WEEKDAYS or text.strip().lower() not in (key, _FULL_NAMES[key]):
        raise ValueError(f"unknown weekday {text!r}; allowed: {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


_FULL_NAMES = dict(
    zip(
        WEEKDAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
)


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_Parsed = Iterable[tuple[Any, Any]]


def needed_text(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """Lower-case ASCII strings one of which every match of ``pattern`` contains, as far as the
    pattern's literal text tells (``("mosaic",)`` for ``\\bmosaic\\w*``); ``()`` when it
    does not. For an ASCII text, even with ``re.IGNORECASE``, a match is impossible unless one
    of them is in the lower-cased text: case-insensitive matching of ASCII is plain case."""
    try:
        needed = _needed(_parser.parse(pattern.pattern, pattern.flags))
    except (re.error, RecursionError):  # compiled already; a parser of another Python version
        return ()
    if needed is None or not all(text.isascii() for text in needed):
        return ()
    return tuple(sorted({text.lower() for text in needed}))


def _needed(items: _Parsed) -> frozenset[str] | None:
    """Strings one of which any match of the parsed ``items`` contains (the most selective of
    the candidates: runs of literal characters, groups, alternatives, repeats at least once),
    or None."""
    best: frozenset[str] | None = None

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run: list[str] = []
    for op, arg in items:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        consider(_needed_in(op, arg))
    consider(frozenset({"".join(run)}) if run else None)
    return best


def _needed_in(op: Any, arg: Any) -> frozenset[str] | None:
    """:func:`_needed` of one element other than a literal character."""
    if op is sre.SUBPATTERN:
        return _needed(arg[-1])
    if op is sre.ATOMIC_GROUP:
        return _needed(arg)
    if op in _REPEATS:
        least, _most, inner = arg
        return _needed(inner) if least >= 1 else None
    if op is sre.BRANCH:
        found: set[str] = set()
        for alternative in arg[1]:
            needed = _needed(alternative)
            if needed is None:
                return None
            found |= needed
        return frozenset(found)
    return None  # classes, any character, anchors, look-arounds, back-references
