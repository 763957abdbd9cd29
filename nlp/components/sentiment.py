"""``salon_sentiment``: lexicon-based sentiment with negation, boosters and but-clauses.

Valences (-4..4) come from the hand-built files in ``nlp/lexicons/sentiment``: ``en.tsv`` and
one file per other language, ``xx.tsv`` (words used everywhere), ``emoji.tsv`` (emoji and
emoticons) and ``modifiers.yaml`` (negators, boosters, contrast and concessive words). The
post's language (``doc._.language``) picks the tables; an undetermined post uses all of them.

Rules, in the spirit of VADER (Hutto & Gilbert, 2014), rewritten for museum posts:

* phrases first ("waste of money", "can't wait", "out of order"), then single words;
* a negator up to three tokens before a word (same clause) scales it by -0.7 ("not great",
  "isn't bad", "pas génial"); German/Dutch clause-final "nicht"/"niet" negates its clause;
* boosters before a word scale it (+30 % "very", -35 % "a bit"); an ALL-CAPS word in a
  mixed-case post gains 25 %;
* the last contrast word ("but", "mais", "aber") halves what precedes and adds half to what
  follows; a concessive clause ("although ...") is halved;
* positive words inside a question are damped (x0.6: "is the café any good?");
* exclamation marks push the total further from zero (0.292 each, at most four).

``sentiment_score = total / sqrt(total^2 + 15)`` in [-1, 1]; the label is positive at or above
``positive_threshold``, negative at or below ``-negative_threshold``, otherwise neutral.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.extensions import doc_text
from nlp.components.language import SUPPORTED, confident_language
from nlp.components.lexicon import read_tsv, read_yaml
from nlp.components.text import ELISION, SENTENCE_END, fold, squeeze

NEGATION_SCALAR = -0.7
CAPS_BOOST = 0.25
QUESTION_DAMPING = 0.6
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
CONCESSIVE_WEIGHT = 0.5
EXCLAMATION_STEP, EXCLAMATION_MAX = 0.292, 4
NORMALISATION_ALPHA = 15.0
WINDOW = 3
ENGLISH = "en"
_EMOJI_NOISE = re.compile("[\ufe0f\ufe0e\u200d\U0001f3fb-\U0001f3ff]")
_CLAUSE_PUNCT = frozenset(',;:()[]{}"“”«»–—-') | SENTENCE_END


@lru_cache(maxsize=131072)
def lex_key(lower: str) -> str:
    """How tokens and lexicon entries are compared: folded, elided article dropped."""
    return ELISION.sub("", fold(lower))


@dataclass(slots=True)
class PhraseTable:
    """Multi-token entries looked up by their first token, longest first."""

    by_first: dict[str, list[tuple[tuple[str, ...], float]]] = field(default_factory=dict)

    def add(self, keys: tuple[str, ...], value: float) -> None:
        """Add one phrase (two tokens or more)."""
        entries = self.by_first.setdefault(keys[0], [])
        entries[:] = [e for e in entries if e[0] != keys]
        entries.append((keys, value))
        entries.sort(key=lambda e: -len(e[0]))

    def match(self, keys: Sequence[str], start: int) -> tuple[int, float] | None:
        """``(length, value)`` of the longest phrase starting at ``start``, if any."""
        for phrase, value in self.by_first.get(keys[start], ()):
            end = start + len(phrase)
            if end <= len(keys) and tuple(keys[start:end]) == phrase:
                return len(phrase), value
        return None


@dataclass(slots=True)
class Tables:
    """Everything the scorer needs for one language."""

    words: dict[str, float] = field(default_factory=dict)
    phrases: PhraseTable = field(default_factory=PhraseTable)
    negators: set[str] = field(default_factory=set)
    final_negators: set[str] = field(default_factory=set)
    boosters: dict[str, float] = field(default_factory=dict)
    contrast: set[str] = field(default_factory=set)
    concessive: set[str] = field(default_factory=set)
    # Multi-token modifiers: value is (role, amount); roles: boost/contrast/concessive/skip.
    modifier_phrases: dict[tuple[str, ...], tuple[str, float]] = field(default_factory=dict)
    modifier_first: set[str] = field(default_factory=set)


class SentimentLexicon:
    """Loads the lexicon files and builds per-language :class:`Tables` on demand."""

    def __init__(self, tokenize: Callable[[str], list[str]]) -> None:
        self._tokenize = tokenize
        self._valences: dict[str, list[tuple[str, float]]] = {}
        for lang in (*SUPPORTED, "xx", "emoji"):
            rows = read_tsv("sentiment", f"{lang}.tsv", columns=2)
            self._valences[lang] = [(term, float(value)) for term, value in rows]
        self._modifiers: dict[str, dict[str, Any]] = read_yaml("sentiment", "modifiers.yaml")
        self._tables: dict[str, Tables] = {}

    def keys(self, text: str) -> tuple[str, ...]:
        """The lookup keys of a lexicon entry, tokenized like a post."""
        return tuple(lex_key(token) for token in self._tokenize(text))

    def tables(self, language: str | None) -> Tables:
        """The tables for ``language`` (all languages merged when it is unknown)."""
        lang = language if language in SUPPORTED else None
        cache_key = lang or "*"
        if cache_key not in self._tables:
            self._tables[cache_key] = self._build(lang)
        return self._tables[cache_key]

    def _build(self, lang: str | None) -> Tables:
        tables = Tables()
        # Later sources win: emoji, shared words, then the language itself (English last
        # when merging everything, so English readings win ambiguous words).
        sources = ["emoji", "xx"]
        sources += [lang] if lang else [x for x in SUPPORTED if x != ENGLISH] + [ENGLISH]
        for source in sources:
            for term, value in self._valences[source]:
                keys = (_emoji_key(term),) if source == "emoji" else self.keys(term)
                if len(keys) == 1:
                    tables.words[keys[0]] = value
                elif keys:
                    tables.phrases.add(keys, value)
        modifier_langs = [lang] if lang else [ENGLISH]
        negator_langs = [lang] if lang else list(SUPPORTED)
        for source in negator_langs:
            for word in self._section("negators", source):
                tables.negators.update(self.keys(word))
        for source in modifier_langs:
            for word in self._section("final_negators", source):
                tables.final_negators.update(self.keys(word))
            boosters = self._modifiers.get("boosters", {})
            assert isinstance(boosters, dict)
            for word, amount in (boosters.get(source) or {}).items():
                self._add_modifier(tables, str(word), "boost", float(amount))
            for word in self._section("contrast", source):
                self._add_modifier(tables, word, "contrast", 0.0)
            for word in self._section("concessive", source):
                self._add_modifier(tables, word, "concessive", 0.0)
            for word in self._section("not_negating", source):
                keys = self.keys(word)
                if not tables.phrases.match(keys, 0):  # sentiment phrases take precedence
                    tables.modifier_phrases[keys] = ("skip", 0.0)
                    tables.modifier_first.add(keys[0])
        return tables

    def _section(self, name: str, lang: str) -> list[str]:
        section = self._modifiers.get(name, {})
        assert isinstance(section, dict)
        return [str(word) for word in section.get(lang) or []]

    def _add_modifier(self, tables: Tables, word: str, role: str, amount: float) -> None:
        keys = self.keys(word)
        if len(keys) == 1:
            if role == "boost":
                tables.boosters[keys[0]] = amount
            elif role == "contrast":
                tables.contrast.add(keys[0])
            else:
                tables.concessive.add(keys[0])
        elif keys:
            tables.modifier_phrases[keys] = (role, amount)
            tables.modifier_first.add(keys[0])


def _emoji_key(text: str) -> str:
    return lex_key(_EMOJI_NOISE.sub("", text))


@lru_cache(maxsize=131072)
def _unstretched(key: str) -> tuple[str, str] | None:
    """``key`` with letter runs squeezed to two and to one (``goood`` -> ``good``, ``god``),
    or ``None`` when it has no run of three."""
    double = squeeze(key)
    return None if double == key else (double, squeeze(key, 1))


def _is_negator(key: str, tables: Tables) -> bool:
    return key in tables.negators or key.endswith("n't")


def score_tokens(texts: Sequence[str], tables: Tables, exclamations: int = 0) -> float:
    """The compound score in [-1, 1] for a tokenized post (``texts``: token texts)."""
    n = len(texts)
    keys = [lex_key(t.lower()) for t in texts]
    valence: list[float | None] = [None] * n
    negator = [False] * n
    boost = [0.0] * n
    boundary = [t in _CLAUSE_PUNCT or t.isspace() for t in texts]
    contrast_at = -1
    concessive_at: list[int] = []
    i = 0
    while i < n:
        key = keys[i]
        phrase = tables.phrases.match(keys, i)
        if phrase is not None:
            valence[i] = phrase[1]
            i += phrase[0]
            continue
        if key in tables.modifier_first:
            found = _match_modifier(keys, i, tables)
            if found is not None:
                length, role, amount = found
                if role == "boost":
                    boost[i + length - 1] = amount
                elif role == "contrast":
                    contrast_at = i
                elif role == "concessive":
                    concessive_at.append(i)
                i += length
                continue
        if _is_negator(key, tables):
            negator[i] = True
        elif key in tables.contrast:
            contrast_at = i
        elif key in tables.concessive:
            concessive_at.append(i)
        else:
            value = tables.words.get(key)
            if value is None and key and not key.isascii():
                value = tables.words.get(_emoji_key(key))
            if value is None:
                shorter = _unstretched(key)  # elongated: "sooo goood"
                if shorter is not None:
                    value = tables.words.get(shorter[0], tables.words.get(shorter[1]))
            if key in tables.boosters and (value is None or _next_has_valence(keys, i, tables)):
                boost[i] = tables.boosters[key]
            else:
                valence[i] = value
        i += 1

    if not any(v is not None for v in valence):
        return 0.0
    letters = [t for t in texts if t.isalpha()]
    shouting_post = bool(letters) and all(t.isupper() for t in letters)
    question = _question_flags(texts)
    halved = _concessive_flags(concessive_at, boundary, n)
    final_negated = _final_negation_flags(keys, boundary, tables)
    total = 0.0
    for i, value in enumerate(valence):
        if value is None:
            continue
        scale = 1.0
        negated = final_negated[i]
        for distance in range(1, WINDOW + 1):
            j = i - distance
            if j < 0 or boundary[j]:
                break
            if boost[j]:
                scale *= 1.0 + boost[j] * (1.0 - 0.1 * (distance - 1))
            if negator[j]:
                negated = True
        if negated:
            scale *= NEGATION_SCALAR
        if not shouting_post and len(texts[i]) > 1 and texts[i].isupper():
            scale *= 1.0 + CAPS_BOOST
        if contrast_at >= 0:
            scale *= CONTRAST_BEFORE if i < contrast_at else CONTRAST_AFTER
        if halved[i]:
            scale *= CONCESSIVE_WEIGHT
        if question[i] and value * scale > 0:
            scale *= QUESTION_DAMPING
        total += value * scale
    if total:
        total += math.copysign(EXCLAMATION_STEP * min(exclamations, EXCLAMATION_MAX), total)
    return max(-1.0, min(1.0, total / math.sqrt(total * total + NORMALISATION_ALPHA)))


def _match_modifier(
    keys: Sequence[str], start: int, tables: Tables
) -> tuple[int, str, float] | None:
    for phrase, (role, amount) in tables.modifier_phrases.items():
        end = start + len(phrase)
        if phrase[0] == keys[start] and end <= len(keys) and tuple(keys[start:end]) == phrase:
            return len(phrase), role, amount
    return None


def _next_has_valence(keys: Sequence[str], i: int, tables: Tables) -> bool:
    nxt = i + 1
    return nxt < len(keys) and (keys[nxt] in tables.words or keys[nxt] in tables.phrases.by_first)


def _question_flags(texts: Sequence[str]) -> list[bool]:
    flags = [False] * len(texts)
    start = 0
    for i, text in enumerate([*texts, "."]):
        if text in SENTENCE_END or i == len(texts):
            is_question = text == "?" or (i < len(texts) and "?" in text)
            for j in range(start, min(i + 1, len(texts))):
                flags[j] = is_question
            start = i + 1
    return flags


def _concessive_flags(starts: Iterable[int], boundary: Sequence[bool], n: int) -> list[bool]:
    flags = [False] * n
    for start in starts:
        j = start + 1
        while j < n and not boundary[j]:
            flags[j] = True
            j += 1
    return flags


def _final_negation_flags(
    keys: Sequence[str], boundary: Sequence[bool], tables: Tables
) -> list[bool]:
    flags = [False] * len(keys)
    if not tables.final_negators:
        return flags
    start = 0
    for i in range(len(keys) + 1):
        if i == len(keys) or boundary[i]:
            last = i - 1
            if last >= start and keys[last] in tables.final_negators:
                for j in range(start, last):
                    flags[j] = True
            start = i + 1
    return flags


class SentimentComponent:
    """Sets ``doc._.sentiment`` and ``doc._.sentiment_score``."""

    def __init__(
        self, nlp: Language, name: str, positive_threshold: float, negative_threshold: float
    ) -> None:
        extensions.register_extensions()
        self.name = name
        self.positive_threshold = positive_threshold
        self.negative_threshold = negative_threshold
        self.lexicon = SentimentLexicon(lambda text: [t.lower_ for t in nlp.make_doc(text)])

    def label(self, score: float) -> str:
        """``positive`` / ``neutral`` / ``negative`` for a compound score."""
        if score >= self.positive_threshold:
            return "positive"
        if score <= -self.negative_threshold:
            return "negative"
        return "neutral"

    def __call__(self, doc: Doc) -> Doc:
        tables = self.lexicon.tables(confident_language(doc))
        score = score_tokens([t.text for t in doc], tables, doc_text(doc).count("!"))
        doc._.sentiment_score = round(score, 4)
        doc._.sentiment = self.label(score)
        return doc


@Language.factory(
    "salon_sentiment",
    assigns=["doc._.sentiment", "doc._.sentiment_score"],
    requires=["doc._.language"],
    default_config={"positive_threshold": 0.2, "negative_threshold": 0.2},
)
def make_sentiment(
    nlp: Language, name: str, positive_threshold: float, negative_threshold: float
) -> SentimentComponent:
    """Factory for :class:`SentimentComponent`."""
    return SentimentComponent(nlp, name, positive_threshold, negative_threshold)
