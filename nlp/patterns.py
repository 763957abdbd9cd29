"""Search many regular expressions in short texts fast: an index of their literal prefixes.

Python's ``re`` tries every branch of a large alternation at every position, which made the
intent cues and the abuse patterns the slowest components. :class:`PatternIndex` instead reads,
for each pattern that starts at a word boundary (``\\b...``), the literal prefixes every match
must begin with (``\\b(never|no longer) again`` -> ``never again``, ``no longer again``), and
finds which occur at a word start of a text with one trie-shaped regular expression: only the
patterns whose prefix occurs are searched. Anchored patterns (``^\\W*...``) are indexed by the
prefixes of the first word of the text; patterns without a literal prefix (emoji, ``\\?``) are
always searched. The result is exactly that of searching every pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

try:  # the regex parser of the standard library (private, stable since Python 3.11)
    from re import _constants as sre  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another layout: every pattern is always searched
    sre = sre_parse = None

__all__ = ["PatternIndex", "literal_prefixes"]

MAX_PREFIXES = 64
ANCHOR = "^\\W*"  # how an anchored cue starts once compiled
WORD_START = re.compile(r"(?<!\w)\w")


def _sequence(items: Sequence[Any]) -> tuple[set[str], bool]:
    """Literal prefixes of a parsed sequence, and whether it was read to its end (so what
    follows may extend them)."""
    prefixes = {""}
    for op, av in items:
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero width
        if op is sre.LITERAL:
            prefixes = {p + chr(av) for p in prefixes}
            continue
        done = False
        if op is sre.SUBPATTERN:
            parts, done = _sequence(av[-1])
        elif op is sre.BRANCH:
            found = [_sequence(alt) for alt in av[1]]
            parts = set().union(*(p for p, _ in found))
            done = all(d for _, d in found)
        elif op is sre.IN and len(av) <= 4 and all(o is sre.LITERAL for o, _ in av):
            parts, done = {chr(v) for _, v in av}, True
        elif op is sre.IN and av == [(sre.CATEGORY, sre.CATEGORY_DIGIT)]:
            parts, done = set("0123456789"), True
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            parts, _ = _sequence(av[2])  # at least once: its prefixes, then stop
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[1] == 1:
            parts, done = _sequence(av[2])  # optional: with it or without it
            parts.add("")
        else:
            return prefixes, False
        extended = {p + q for p in prefixes for q in parts}
        if len(extended) > MAX_PREFIXES:
            return prefixes, False
        prefixes = extended
        if not done:
            return prefixes, False
    return prefixes, True


def literal_prefixes(pattern: str) -> set[str] | None:
    """The literal strings that every match of ``pattern`` starts with at a word start (for
    ``^\\W*...``: at the first word of the text), or ``None`` when there are none to rely on
    (the pattern must then always be searched)."""
    if pattern.startswith(ANCHOR):
        pattern = pattern[len(ANCHOR) :]
    elif not pattern.startswith("\\b"):
        return None
    if sre_parse is None:  # pragma: no cover
        return None
    try:
        prefixes, _ = _sequence(list(sre_parse.parse(pattern)))
    except (re.error, TypeError, ValueError, IndexError):  # pragma: no cover - defensive
        return None
    if not prefixes or any(not WORD_START.match(p) for p in prefixes):
        return None
    return prefixes


def _minimal(prefixes: dict[str, set[int]]) -> dict[str, set[int]]:
    """Merge every prefix into the shortest other prefix it starts with, so that no prefix
    starts another one (at most one can match at a position; candidates only grow)."""
    merged: dict[str, set[int]] = {}
    kept = ""
    for prefix in sorted(prefixes):
        if not kept or not prefix.startswith(kept):
            kept = prefix
        merged.setdefault(kept, set()).update(prefixes[prefix])
    return merged


def _trie_regex(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words``, factored like a trie (``re`` then
    checks one character per branch instead of trying every word at every position)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items())]
        if len(branches) <= 1:
            return "".join(branches)
        return "(?:" + "|".join(branches) + ")"

    return emit(trie)


class PatternIndex:
    """Compiled patterns with a prefix finder; :meth:`matching` gives the ids that match a text.

    Patterns compiled from ``^...`` cues start with ``^\\W*`` (see ``nlp.components.intent``):
    they are tried only at the start of the text, indexed by the prefixes of its first word.
    A pattern indexed by its prefixes is tried only where one of them occurs (``match`` at that
    position, not ``search`` over the whole text).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = list(patterns)
        self._compiled = [re.compile(pattern) for pattern in self.patterns]
        anywhere: dict[str, set[int]] = {}  # prefixes at any word start
        first: dict[str, set[int]] = {}  # prefixes at the first word (anchored patterns)
        always = []
        for pid, pattern in enumerate(self.patterns):
            prefixes = literal_prefixes(pattern)
            if prefixes is None:
                always.append(pid)
            for prefix in prefixes or ():
                (first if pattern.startswith("^") else anywhere).setdefault(prefix, set()).add(pid)
        self.always = tuple(always)
        self._anywhere = {k: tuple(sorted(v)) for k, v in _minimal(anywhere).items()}
        self._first = {k: tuple(sorted(v)) for k, v in _minimal(first).items()}
        never = "(?!)"
        self._find = re.compile(rf"(?<!\w)(?=({_trie_regex(self._anywhere) or never}))")
        self._start = re.compile(rf"\W*(?=({_trie_regex(self._first) or never}))")

    def matching(self, text: str) -> set[int]:
        """Ids of the patterns that match ``text``."""
        compiled = self._compiled
        found = {pid for pid in self.always if compiled[pid].search(text)}
        for prefix in self._find.finditer(text):
            position = prefix.start()
            for pid in self._anywhere[prefix.group(1)]:
                if pid not in found and compiled[pid].match(text, position):
                    found.add(pid)
        start = self._start.match(text)
        if start:
            found.update(pid for pid in self._first[start.group(1)] if compiled[pid].match(text))
        return found
