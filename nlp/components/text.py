"""Small text helpers shared by the components: accent folding, a light stemmer, clauses.

``norm_word`` is what the topic matcher (and the lexicons) compare: lower case, accents folded
(``fermé`` -> ``ferme``), a leading French/Italian elided article dropped (``l'entrée`` ->
``entree``) and a crude plural/final-vowel stem (``tickets`` -> ``ticket``, ``biglietti`` and
``biglietto`` -> ``bigliett``). It is deliberately simple and applied identically to the
taxonomy terms and to the posts, so what matters is consistency rather than linguistics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

_FOLD_TABLE = str.maketrans(
    {"ł": "l", "Ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "’": "'"}
)
ELISION = re.compile(
    r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|dell|dall|nell|sull|all|coll|un|quest|quell"
    r"|nessun|tutt|sant)'(?=\w)"
)
VOWELS = frozenset("aeiouy")
# Sentence / clause boundaries used by the sentiment and intent components.
SENTENCE_END = frozenset({".", "!", "?", "…", "...", "¿", "¡", "\n"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ``text`` and strip diacritics (``Öffnungszeiten`` -> ``offnungszeiten``)."""
    lowered = text.lower().translate(_FOLD_TABLE)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Crude plural / final-vowel stripping for words of four letters or more."""
    if len(word) < 4 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) >= 4 and word[-1] in VOWELS:
        word = word[:-1]
    return word


@lru_cache(maxsize=131072)
def norm_word(lower: str) -> str:
    """The matching form of one token's lower-case text (see the module docstring)."""
    word = ELISION.sub("", fold(lower))
    return stem(word)


def squeeze(word: str, keep: int = 2) -> str:
    """Collapse runs of three or more identical letters to ``keep`` (``sooo`` -> ``soo``)."""
    return re.sub(r"(\w)\1{2,}", lambda m: m.group(1) * keep, word)


def split_spans(tokens: Sequence[str], boundaries: frozenset[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` index ranges of ``tokens`` separated by boundary tokens (kept in span)."""
    start = 0
    for index, token in enumerate(tokens):
        if token in boundaries or "\n" in token:
            yield start, index + 1
            start = index + 1
    if start < len(tokens):
        yield start, len(tokens)
