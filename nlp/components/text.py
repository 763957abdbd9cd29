"""Small text helpers shared by the components: accent folding, a light stemmer, regexes.

``norm_word`` is what the topic matcher compares: lower case, accents folded (``fermé`` ->
``ferme``), a leading French/Italian elided article dropped (``l'entrée`` -> ``entree``) and a
crude plural/final-vowel stem (``tickets`` -> ``ticket``; ``biglietti`` and ``biglietto`` ->
``bigliett``; ``fermée`` and ``fermé`` -> ``ferm``). It is deliberately simple and applied
identically to the taxonomy terms and to the posts, so consistency matters, not linguistics.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD_TABLE = str.maketrans(
    {"ł": "l", "Ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "’": "'"}
)
ELISION = re.compile(
    r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|dell|dall|nell|sull|all|coll|un|quest|quell"
    r"|nessun|tutt|sant)'(?=\w)"
)
VOWELS = frozenset("aeiouy")
URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"(?<![\w@])[@＠]\w+")  # @handle, not the @ of an e-mail address
SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*|[.!?…]+")  # a sentence with its end punctuation
# Sentence-ending tokens (sentiment clauses and questions).
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
    """Crude plural and final-vowel stripping (at most two vowels, never below three letters)."""
    if len(word) < 4 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for _ in range(2):  # "fermée"/"fermé", "biglietti"/"biglietto"
        if len(word) >= 4 and word[-1] in VOWELS:
            word = word[:-1]
    return word


def fold_pattern(pattern: str) -> str:
    """Strip accents from a (lower-case) regular expression without touching its escapes
    (``\\S`` must not become ``\\s``), so it matches :func:`fold`-ed text."""
    decomposed = unicodedata.normalize("NFKD", pattern.translate(_FOLD_TABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=131072)
def norm_word(lower: str) -> str:
    """The matching form of one token's lower-case text (see the module docstring)."""
    word = ELISION.sub("", fold(lower))
    return stem(word)


_LETTER_RUN = re.compile(r"(\w)\1{2,}")


def squeeze(word: str, keep: int = 2) -> str:
    """Collapse runs of three or more identical letters to ``keep`` (``sooo`` -> ``soo``)."""
    return _LETTER_RUN.sub("\\1" * keep, word)
