"""Shared, cached pipelines for the NLP tests (built once per test session)."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

import nlp.components  # noqa: F401  (registers the factories)
from nlp.pipeline import Classifier


@cache
def classifier() -> Classifier:
    """The default classifier (packaged taxonomy)."""
    return Classifier()


@cache
def pipeline_up_to(last: str) -> Language:
    """A blank ``xx`` pipeline with the Salon components up to and including ``last``."""
    order = [
        "salon_normalize",
        "salon_language",
        "salon_topics",
        "salon_sentiment",
        "salon_intent",
        "salon_abuse",
    ]
    nlp = spacy.blank("xx")
    for name in order[: order.index(last) + 1]:
        nlp.add_pipe(name)
    return nlp


def run(text: str, language: str | None = None, last: str = "salon_abuse") -> spacy.tokens.Doc:
    """Process ``text`` (with an optional platform language hint) through the components."""
    nlp = pipeline_up_to(last)
    doc = nlp.make_doc(text)
    doc._.language = language
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc
