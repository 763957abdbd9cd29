"""Lexicons used as features, read from installed packages at *training* time only.

* ``load_vader_lexicon``: VADER's word and emoticon valences, plus emoji (``vaderSentiment``).
* ``load_toxicity_lexicon``: the per-word weights of the linear profanity model shipped by
  ``alt-profanity-check`` (MIT; an SVM trained on about 200k comments and tweets labelled clean
  or offensive: t-davidson's hate-speech-and-offensive-language tweets and Jigsaw's toxic
  Wikipedia comments). Its score is one dense feature of the abuse models: transfer from far
  more labelled abuse than OLID's 12k tweets.

Both are copied into each model file, so inference needs neither package nor network access.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["ToxicityLexicon", "load_toxicity_lexicon", "load_vader_lexicon"]


def _read(name: str) -> str:
    return resources.files("vaderSentiment").joinpath(name).read_text(encoding="utf-8")


def load_vader_lexicon() -> dict[str, float]:
    """Token -> valence in [-4, 4]: VADER words/emoticons, and emoji scored by their names.

    An emoji's valence is the mean valence of the lexicon words in its CLDR name (``smiling
    face with hearts`` -> mean of ``smiling``), when any word of the name is in the lexicon.
    """
    lexicon: dict[str, float] = {}
    for line in _read("vader_lexicon.txt").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                lexicon[parts[0].lower()] = float(parts[1])
            except ValueError:
                continue
    for line in _read("emoji_utf8_lexicon.txt").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        emoji, name = parts[0].strip(), parts[1]
        scores = [lexicon[w] for w in name.lower().split() if w in lexicon]
        if emoji and scores and emoji not in lexicon:
            lexicon[emoji] = sum(scores) / len(scores)
    return lexicon


# scikit-learn's default token pattern, which the profanity model was trained with.
_TOX_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
_PART_RE = re.compile(r"['\-]")


@dataclass(frozen=True)
class ToxicityLexicon:
    """A linear bag-of-words scorer: ``sum(tf * idf * coef) / ||tf * idf|| + bias``.

    ``weights`` maps a lower-cased word to ``(idf, coef)``; words outside it are ignored, as
    scikit-learn's ``TfidfVectorizer`` does with out-of-vocabulary words.
    """

    weights: Mapping[str, tuple[float, float]]
    bias: float

    def score(self, text: str) -> float:
        """The model's decision value for raw ``text`` (positive leans offensive), exactly as
        the source model tokenises (scikit-learn's ``\\b\\w\\w+\\b`` on lower-cased text)."""
        return self._score(Counter(_TOX_TOKEN_RE.findall(text.lower())))

    def score_tokens(self, tokens: Iterable[str]) -> float:
        """The decision value from already lower-cased tokens (``features.tokenize``).

        A hashtag or mention counts as its word, contractions and hyphenated words as their
        parts: several times faster than ``score``, and equal to it but for elongated words
        and HTML entities (correlation 0.9997 on OLID val)."""
        counts: dict[str, int] = {}
        weights = self.weights
        for tok in tokens:
            word = tok[1:] if tok[0] in "#@" else tok
            if word in weights:
                counts[word] = counts.get(word, 0) + 1
            elif "'" in word or "-" in word:
                for part in _PART_RE.split(word):
                    if part in weights:
                        counts[part] = counts.get(part, 0) + 1
        return self._score(counts)

    def _score(self, counts: Mapping[str, int]) -> float:
        dot = norm = 0.0
        weights = self.weights
        for word, tf in counts.items():
            entry = weights.get(word)
            if entry is None:
                continue
            value = tf * entry[0]
            dot += value * entry[1]
            norm += value * value
        return (dot / math.sqrt(norm) if norm > 0.0 else 0.0) + self.bias

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for an ``.npz`` file (``tox_keys``, ``tox_idf``, ``tox_coef``, ``tox_bias``)."""
        keys = list(self.weights)
        return {
            "tox_keys": np.array(keys, dtype=str),
            "tox_idf": np.array([self.weights[k][0] for k in keys], dtype=np.float32),
            "tox_coef": np.array([self.weights[k][1] for k in keys], dtype=np.float32),
            "tox_bias": np.array(self.bias, dtype=np.float32),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> ToxicityLexicon:
        """Inverse of ``to_arrays``."""
        weights = dict(
            zip(
                data["tox_keys"].tolist(),
                zip(
                    data["tox_idf"].astype(float).tolist(),
                    data["tox_coef"].astype(float).tolist(),
                    strict=True,
                ),
                strict=True,
            )
        )
        return cls(weights, float(data["tox_bias"]))


def load_toxicity_lexicon() -> ToxicityLexicon:
    """The installed ``alt-profanity-check`` model as a ``ToxicityLexicon``.

    That model is a ``TfidfVectorizer`` (unigrams, English stop words removed, L2 norm) and a
    ``CalibratedClassifierCV`` over linear SVMs; the SVMs' decision functions are averaged
    (one weight vector, one bias) and the calibration is dropped: the trained models learn
    their own scale for this feature.
    """
    import joblib

    data = resources.files("profanity_check").joinpath("data")
    with resources.as_file(data / "vectorizer.joblib") as path:
        vectorizer = joblib.load(path)
    with resources.as_file(data / "model.joblib") as path:
        model = joblib.load(path)
    estimators = [c.estimator for c in model.calibrated_classifiers_]
    coef = np.mean([np.ravel(e.coef_) for e in estimators], axis=0)
    bias = float(np.mean([np.ravel(e.intercept_)[0] for e in estimators]))
    idf = vectorizer.idf_
    weights = {
        word: (float(idf[col]), float(coef[col])) for word, col in vectorizer.vocabulary_.items()
    }
    return ToxicityLexicon(weights, bias)
