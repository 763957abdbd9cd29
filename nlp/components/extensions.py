"""The ``Doc`` extension attributes the Salon components write (registered once, idempotently).

Defaults are immutable (``None``, ``0.0``): components always assign fresh dicts, so no two
documents ever share one.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

DOC_EXTENSIONS: dict[str, Any] = {
    "language": None,  # str: ISO 639-1 code, or "und"; may be preset as a platform hint
    "language_score": 0.0,  # float in [0, 1]
    "topics": None,  # dict[str, float]: topic key -> score in [0, 1]
    "sentiment": None,  # "negative" | "neutral" | "positive"
    "sentiment_score": 0.0,  # float in [-1, 1]
    "intents": None,  # dict[str, float]: intent -> score in [0, 1]
    "abuse": 0.0,  # float in [0, 1]
}


TEXT_KEY = "salon.text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per document (spaCy rebuilds it from the tokens each time)."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return str(text)


def make_doc(nlp: Language, text: str) -> Doc:
    """``nlp.make_doc(text)`` that remembers ``text`` for :func:`doc_text` (tokenisation is
    lossless, so it equals ``doc.text`` without rebuilding it)."""
    doc = nlp.make_doc(text)
    doc.user_data[TEXT_KEY] = text
    return doc


def register_extensions() -> None:
    """Declare ``doc._.language`` and friends unless another module already did."""
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


register_extensions()
