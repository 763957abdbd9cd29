"""The Salon pipeline: a blank multi-language spaCy tokenizer plus the Salon components.

The rule-based components (language, topics, lexicon sentiment, intent, abuse lexicon) run on
every post; the trained sentiment and abuse models (``salon_textcat``, shipped in
``nlp/models``) then refine English posts through ``salon_blend``. ``trained=False`` builds the
rules-only pipeline (faster, no model files).

``build_pipeline(taxonomy)`` returns a plain :class:`spacy.language.Language`;
:class:`Classifier` wraps it for the application: batches of texts (with optional platform
language hints) in, :class:`~nlp.analysis.Analysis` objects out, with a ``name`` and a
``version`` to store next to each result. The version changes whenever the taxonomy, a lexicon
file, a shipped model or the rules' code version changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.components  # registers the component factories
import nlp.components.topic_model  # registers salon_topic_model
import nlp.textcat  # noqa: F401  (registers salon_textcat)
from config.taxonomy import Taxonomy, default_taxonomy
from nlp.analysis import Analysis
from nlp.components.extensions import make_doc
from nlp.components.lexicon import lexicon_fingerprint
from nlp.components.topics import TopicMatcher
from nlp.textcat.model import MODELS_DIR, read_meta

CLASSIFIER_NAME = "salon"
RULES_VERSION = "2"  # bump when a component's behaviour changes without a data change
COMPONENTS = (
    "salon_normalize",
    "salon_language",
    "salon_topics",
    "salon_sentiment",
    "salon_intent",
    "salon_abuse",
)
TRAINED_TASKS = ("sentiment", "abuse")


def build_pipeline(
    taxonomy: Taxonomy, trained: bool = True, topic_model: Path | None = None
) -> Language:
    """A ready-to-use pipeline (no downloads) scoring ``taxonomy``'s topics; with ``trained``
    the shipped sentiment and abuse models refine English posts; ``topic_model`` is a folder
    written by ``salon nlp train --task topics`` (topics learned from staff corrections)."""
    nlp = spacy.blank("xx")
    for name in COMPONENTS:
        nlp.add_pipe(name)
    if topic_model is not None:
        nlp.add_pipe(
            "salon_topic_model", after="salon_topics", config={"model_path": str(topic_model)}
        )
    if trained:
        for task in TRAINED_TASKS:
            nlp.add_pipe("salon_textcat", name=f"salon_{task}_model", config={"task": task})
        nlp.add_pipe("salon_blend")
    topics = nlp.get_pipe("salon_topics")
    assert isinstance(topics, TopicMatcher)
    topics.set_taxonomy(taxonomy)
    return nlp


def model_versions() -> dict[str, str]:
    """The shipped trained models' versions, e.g. ``{"sentiment": "1.0.0", "abuse": "1.0.0"}``."""
    return {task: str(read_meta(MODELS_DIR / task).get("version", "0")) for task in TRAINED_TASKS}


def classifier_version(
    taxonomy: Taxonomy, trained: bool = True, topic_model: Path | None = None
) -> str:
    """``<rules version>+<hash of taxonomy, lexicons and models>``, e.g. ``2+3f2a9c0d1b7e``
    (rules-only pipelines read ``2r+…``)."""
    models = sorted(model_versions().items()) if trained else []
    if topic_model is not None:
        models.append(("topics", str(read_meta(topic_model).get("version", topic_model))))
    digest = hashlib.sha256(
        f"{RULES_VERSION}:{taxonomy.fingerprint()}:{lexicon_fingerprint()}:{models}".encode()
    )
    return f"{RULES_VERSION}{'' if trained else 'r'}+{digest.hexdigest()[:12]}"


class Classifier:
    """Analyses posts in batches with the Salon pipeline."""

    name: str = CLASSIFIER_NAME

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        trained: bool = True,
        topic_model: Path | None = None,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
        self.trained = trained
        self.nlp = build_pipeline(self.taxonomy, trained, topic_model)
        self.version = classifier_version(self.taxonomy, trained, topic_model)

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Analysis]:
        """One :class:`Analysis` per text, in order. ``languages`` (same length as ``texts``)
        are platform language tags (BCP-47, e.g. ``pt-BR``) trusted over detection; ``None``
        entries are detected."""
        return [Analysis.from_doc(doc) for doc in self.pipe(texts, languages, batch_size)]

    def pipe(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> Iterator[Doc]:
        """The processed spaCy docs (every component's ``doc._`` attributes), lazily."""
        if languages is not None and len(languages) != len(texts):
            raise ValueError(
                f"languages has {len(languages)} entries for {len(texts)} texts; "
                "give one per text (None to detect)"
            )
        hints: Sequence[str | None] = languages if languages is not None else [None] * len(texts)
        return self.nlp.pipe(self._docs(texts, hints), batch_size=batch_size)

    def _docs(self, texts: Sequence[str], hints: Sequence[str | None]) -> Iterator[Doc]:
        for text, hint in zip(texts, hints, strict=True):
            doc = make_doc(self.nlp, text if isinstance(text, str) else str(text or ""))
            doc._.language = hint
            yield doc
