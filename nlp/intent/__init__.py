"""Intent detection data, evaluation and the trained intent model.

* :mod:`nlp.intent.data` reads the labelled JSONL posts (``nlp/data/intent``);
* :mod:`nlp.intent.metrics` scores any multi-label predictor per label, micro and macro;
* :mod:`nlp.intent.evaluate` runs the shipped pipeline on a split (``evaluate_intent``);
* :mod:`nlp.intent.model` is the numpy-only inference of the trained model (``nlp/models/intent``)
  that ``salon_intent`` can use over its cues; :mod:`nlp.intent.train` fits it
  (``train_intent``; needs scikit-learn).

The cue matching itself uses :mod:`nlp.patterns` (shared with the abuse lexicon).

This module only holds constants so that the spaCy component can import it without cycles.
"""

from __future__ import annotations

from pathlib import Path

INTENTS: tuple[str, ...] = ("question", "complaint", "praise", "suggestion", "request")
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "intent"
MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "intent"
THRESHOLD = 0.5  # an intent is present when its score reaches this (nlp.min_intent_score default)

__all__ = ["DATA_DIR", "INTENTS", "MODEL_DIR", "THRESHOLD"]
