"""``salon_language``: a small offline language detector (en fr de es it nl pt hu pl).

Each language has a profile built from two hand-made files in ``nlp/lexicons/language``: a
stop-word list (``<lang>.stop``) and a few dozen sentences of typical text (``<lang>.txt``).
A post scores, per language, the summed log-probability of its words' character trigrams
(add-one smoothed, word boundaries marked) plus a bonus for each stop word of that language
(shared stop words give less). The best language wins; ``language_score`` is its softmax
share. Scores per distinct word are cached, so a typical short post costs a few microseconds.

Texts written mostly in another script are labelled by script (``ja``, ``zh``, ``ko``, ``el``,
``ru``, ``ar`` ...) with a lower score; texts with no letters are ``und`` with score 0.

A language given by the platform is trusted: set ``doc._.language`` before the pipe (or pass
``languages=`` to :meth:`nlp.pipeline.Classifier.analyse`) and the detector keeps it (BCP-47 tags
are reduced to their primary subtag: ``pt-BR`` -> ``pt``; ``und`` and blanks are ignored).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.extensions import doc_text
from nlp.components.lexicon import read_lines
from nlp.components.text import MENTION, URL

SUPPORTED = ("en", "fr", "de", "es", "it", "nl", "pt", "hu", "pl")
UNDETERMINED = "und"
IGNORED_HINTS = frozenset({"", "und", "zxx", "mul", "mis", "xx", "unknown", "qam", "qct"})

# URLs, mentions, e-mail addresses (anchored at a word start, so that a long unbroken run is
# scanned once rather than once per character) and HTML entities
_NOISE = re.compile(rf"{URL.pattern}|{MENTION.pattern}|(?<!\S)[^\s@]+@\S+\.\w+|&\w+;")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# Letters of non-Latin scripts: (regex, language, score).
_SCRIPTS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"[\u3040-\u30ff]"), "ja", 0.9),  # kana (checked before Han)
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "ko", 0.9),
    (re.compile(r"[\u4e00-\u9fff]"), "zh", 0.7),
    (re.compile(r"[\u0370-\u03ff]"), "el", 0.9),
    (re.compile(r"[ієїґІЄЇҐ]"), "uk", 0.7),
    (re.compile(r"[\u0400-\u04ff]"), "ru", 0.5),
    (re.compile(r"[\u0590-\u05ff]"), "he", 0.9),
    (re.compile(r"[\u0600-\u06ff]"), "ar", 0.6),
    (re.compile(r"[\u0e00-\u0e7f]"), "th", 0.9),
    (re.compile(r"[\u0900-\u097f]"), "hi", 0.6),
)
_NON_LATIN = re.compile(
    r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff"
    r"\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]"
)

STOP_BONUS = 2.5  # nats added for a stop word, divided among the languages that share it
TEMPERATURE = 4.0  # softens the naive-Bayes margin into a usable confidence
_CACHE_LIMIT = 200_000


def normalise_hint(value: object) -> str | None:
    """A platform language tag reduced to a lower-case primary subtag, or ``None`` if unusable."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary in IGNORED_HINTS or not primary.isalpha() or not 2 <= len(primary) <= 3:
        return None
    return primary


def _trigrams(word: str) -> Iterable[str]:
    padded = f" {word} "
    return (padded[i : i + 3] for i in range(len(padded) - 2))


class LanguageDetector:
    """Character-trigram + stop-word naive Bayes over a fixed set of languages."""

    def __init__(self, languages: Sequence[str] = SUPPORTED) -> None:
        unknown = [lang for lang in languages if lang not in SUPPORTED]
        if unknown or not languages:
            raise ValueError(f"unsupported languages {unknown}; choose from {list(SUPPORTED)}")
        self.languages: tuple[str, ...] = tuple(languages)
        n = len(self.languages)
        counts: list[Counter[str]] = []
        stops: dict[str, np.ndarray] = {}
        for index, lang in enumerate(self.languages):
            stop_words = [
                w.lower().replace("’", "'") for w in read_lines("language", f"{lang}.stop")
            ]
            corpus = " ".join(read_lines("language", f"{lang}.txt") + stop_words)
            grams: Counter[str] = Counter()
            for word in _WORD.findall(corpus.lower().replace("’", "'")):
                grams.update(_trigrams(word))
            counts.append(grams)
            for word in stop_words:
                stops.setdefault(word, np.zeros(n))[index] = 1.0
        vocabulary = sorted(set().union(*counts))
        size = len(vocabulary) + 1
        totals = np.array([sum(c.values()) for c in counts], dtype=float)
        table = np.array(
            [[c[gram] for c in counts] for gram in vocabulary] + [[0] * n], dtype=float
        )
        # Row i: log P(trigram i | language); the last row is the unseen-trigram floor.
        self._table = np.log((table + 1.0) / (totals + size))
        self._index = {gram: i for i, gram in enumerate(vocabulary)}
        self._unseen = len(vocabulary)
        self._stops = {w: STOP_BONUS * v / v.sum() for w, v in stops.items()}
        # Word -> row of ``self._rows``: each word's summed log-probabilities, computed once.
        self._row_of: dict[str, int] = {}
        self._rows = np.zeros((1024, n), dtype=np.float64)

    def _word_row(self, word: str) -> int:
        get, unseen = self._index.get, self._unseen
        vector = self._table[[get(gram, unseen) for gram in _trigrams(word)]].sum(axis=0)
        bonus = self._stops.get(word)
        if bonus is not None:
            vector += bonus
        row = len(self._row_of)
        if row == self._rows.shape[0]:
            self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
        self._rows[row] = vector - vector.max()  # only differences between languages matter
        self._row_of[word] = row
        return row

    def scores(self, text: str) -> dict[str, float]:
        """Softmax share of each supported language for ``text`` (empty if it has no words)."""
        words = _WORD.findall(_NOISE.sub(" ", text).lower().replace("’", "'"))
        if not words:
            return {}
        row_of = self._row_of
        if len(row_of) + len(words) > _CACHE_LIMIT:
            row_of.clear()  # rows are reused from the top; no row of this text is stale
        rows = [row_of.get(word, -1) for word in words]
        if -1 in rows:
            rows = [self._word_row(w) if r < 0 else r for w, r in zip(words, rows, strict=True)]
        total = np.take(self._rows, rows, axis=0).sum(axis=0)
        shares = np.exp((total - total.max()) / TEMPERATURE)
        shares /= shares.sum()
        return dict(zip(self.languages, shares.tolist(), strict=True))

    def detect(self, text: str) -> tuple[str, float]:
        """``(language, score)`` for ``text``; ``("und", 0.0)`` when there is nothing to go on."""
        if not text.isascii():
            non_latin = len(_NON_LATIN.findall(text))
            if non_latin and non_latin * 2 >= sum(ch.isalpha() for ch in text):
                for pattern, lang, score in _SCRIPTS:
                    if pattern.search(text):
                        return lang, score
        scores = self.scores(text)
        if not scores:
            return UNDETERMINED, 0.0
        best = max(scores, key=scores.__getitem__)  # ties go to the earlier language
        return best, round(scores[best], 4)


def confident_language(doc: Doc, threshold: float = 0.5) -> str | None:
    """``doc._.language`` when it is a platform hint or a confident detection, else ``None``
    (components then use every language's lexicon: short posts are often misdetected)."""
    language = doc._.language
    if not language or language == UNDETERMINED or (doc._.language_score or 0.0) < threshold:
        return None
    return str(language)


class LanguageComponent:
    """Sets ``doc._.language`` / ``doc._.language_score``, keeping a trusted preset hint."""

    def __init__(self, name: str, languages: Sequence[str], trust_hints: bool) -> None:
        extensions.register_extensions()
        self.name = name
        self.detector = LanguageDetector(languages)
        self.trust_hints = trust_hints

    def __call__(self, doc: Doc) -> Doc:
        hint = normalise_hint(doc._.language) if self.trust_hints else None
        if hint is not None:
            doc._.language = hint
            doc._.language_score = 1.0
        else:
            doc._.language, doc._.language_score = self.detector.detect(doc_text(doc))
        return doc


@Language.factory(
    "salon_language",
    assigns=["doc._.language", "doc._.language_score"],
    default_config={"languages": list(SUPPORTED), "trust_hints": True},
)
def make_language(
    nlp: Language, name: str, languages: list[str], trust_hints: bool
) -> LanguageComponent:
    """Factory for :class:`LanguageComponent`."""
    return LanguageComponent(name, languages, trust_hints)
