"""Sentiment lexicon used as features: VADER's word and emoticon valences, plus emoji.

The lexicon is read from the installed ``vaderSentiment`` package at *training* time and saved
inside the model file, so inference needs neither that package nor network access.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["load_vader_lexicon"]


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
