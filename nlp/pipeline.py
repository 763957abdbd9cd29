"""The Salon pipeline: a blank multi-language spaCy tokenizer plus the Salon components.

``build_pipeline(taxonomy)`` returns a plain :class:`spacy.language.Language`;
:class:`Classifier` wraps it for the application: batches of texts (with optional platform
language hints) in, :class:`~nlp.analysis.Analysis` objects out, with a ``name`` and a
``version`` to store next to each result. The version changes whenever the taxonomy, a lexicon
file or the rules' code version changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.components  # noqa: F401  (registers the component factories)
from config.taxonomy import Taxonomy, default_taxonomy
from nlp.analysis import Analysis
from nlp.components.lexicon import lexicon_fingerprint
from nlp.components.topics import TopicMatcher

CLASSIFIER_NAME = "salon-rules"
RULES_VERSION = "1"  # bump when a component's behaviour changes without a data change
COMPONENTS = (
    "salon_normalize",
    "salon_language",
    "salon_topics",
    "salon_sentiment",
    "salon_intent",
    "salon_abuse",
)


def build_pipeline(taxonomy: Taxonomy) -> Language:
    """A ready-to-use pipeline (no model files, no downloads) scoring ``taxonomy``'s topics."""
    nlp = spacy.blank("xx")
    for name in COMPONENTS:
        nlp.add_pipe(name)
    topics = nlp.get_pipe("salon_topics")
    assert isinstance(topics, TopicMatcher)
    topics.set_taxonomy(taxonomy)
    return nlp


def classifier_version(taxonomy: Taxonomy) -> str:
    """``<rules version>+<hash of taxonomy and lexicons>``, e.g. ``1+3f2a9c0d1b7e``."""
    digest = hashlib.sha256(
        f"{RULES_VERSION}:{taxonomy.fingerprint()}:{lexicon_fingerprint()}".encode()
    )
    return f"{RULES_VERSION}+{digest.hexdigest()[:12]}"


class Classifier:
    """Analyses posts in batches with the rule-based Salon pipeline."""

    name: str = CLASSIFIER_NAME

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
        self.nlp = build_pipeline(self.taxonomy)
        self.version = classifier_version(self.taxonomy)

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Analysis]:
        """One :class:`Analysis` per text, in order. ``languages`` (same length as ``texts``)
        are platform language tags (BCP-47, e.g. ``pt-BR``) trusted over detection; ``None``
        entries are detected."""
        if languages is not None and len(languages) != len(texts):
            raise ValueError(
                f"languages has {len(languages)} entries for {len(texts)} texts; "
                "give one per text (None to detect)"
            )
        hints: Sequence[str | None] = languages if languages is not None else [None] * len(texts)
        docs = self.nlp.pipe(self._docs(texts, hints), batch_size=batch_size)
        return [Analysis.from_doc(doc) for doc in docs]

    def _docs(self, texts: Sequence[str], hints: Sequence[str | None]) -> Iterator[Doc]:
        for text, hint in zip(texts, hints, strict=True):
            doc = self.nlp.make_doc(text if isinstance(text, str) else str(text or ""))
            doc._.language = hint
            yield doc
