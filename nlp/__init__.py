"""Salon's language layer: spaCy components, the pipeline factory and the classifier.

``from nlp import Classifier, Analysis, build_pipeline``. Imports are lazy, so importing
:mod:`nlp.analysis` alone (e.g. to rebuild stored results) does not load spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.analysis import Analysis
    from nlp.pipeline import Classifier, build_pipeline

__all__ = ["Analysis", "Classifier", "build_pipeline"]


def __getattr__(name: str) -> Any:
    if name == "Analysis":
        from nlp.analysis import Analysis

        return Analysis
    if name in ("Classifier", "build_pipeline"):
        from nlp import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
