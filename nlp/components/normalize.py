"""``salon_normalize``: sets each token's NORM to its matching form (see :mod:`.text`)."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components.text import norm_word


class Normalizer:
    """Writes ``token.norm_`` = folded, elision-free, lightly stemmed lower-case text."""

    def __init__(self, name: str = "salon_normalize") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            # Other tokens keep their default NORM, which is their lower-case text.
            if token.is_alpha or "'" in token.text or "’" in token.text:
                token.norm_ = norm_word(token.lower_)
        return doc


@Language.factory(
    "salon_normalize",
    assigns=["token.norm"],
    default_config={},
)
def make_normalizer(nlp: Language, name: str) -> Normalizer:
    """Factory for :class:`Normalizer`."""
    return Normalizer(name)
