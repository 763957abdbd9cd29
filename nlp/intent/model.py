"""The trained intent model: numpy-only inference, files in ``nlp/models/intent``.

One logistic regression per intent over two blocks of features:

* dense: the cue layer's view of the post (``nlp.components.intent.intent_features``: rule
  scores, raw cue scores, rhetorical/sarcastic/polite flags, sentiment, question mark);
* hashed word 1-2-grams and character 2-4-grams, TF-IDF weighted -- the same feature code and
  weighting as the trained sentiment and abuse models (:mod:`nlp.textcat`).

Each intent's decision threshold (chosen by cross-validation on the training split) is folded
into its intercept, so 0.5 is the decision point of every intent, like the cue scores.

File (``model.npz``, loaded with ``allow_pickle=False``): ``cols`` int32 sorted hashed columns
with a weight, ``coef`` float16 ``(len(cols), 5)``, ``idf`` float32 ``(len(cols),)``,
``idf_unseen``, ``dense_coef`` float32 ``(n_dense, 5)``, ``intercept`` float32 ``(5,)``,
``labels``, ``feature_config`` (JSON). ``meta.json`` holds name, version and training figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from nlp.errors import NlpError
from nlp.intent import INTENTS, MODEL_DIR
from nlp.textcat.features import FeatureConfig
from nlp.textcat.model import LinearTextModel, read_meta

__all__ = ["MODEL_FILE", "IntentModel", "load_intent_model"]

MODEL_FILE = "model.npz"


class IntentModel:
    """Per-intent logistic regressions over cue features and hashed n-grams."""

    def __init__(
        self, ngrams: LinearTextModel, dense_coef: np.ndarray, meta: dict[str, Any] | None = None
    ) -> None:
        if tuple(ngrams.labels) != INTENTS:
            raise NlpError(f"intent model labels {ngrams.labels} are not {INTENTS}")
        self.ngrams = ngrams
        self.dense_coef = np.asarray(dense_coef, dtype=np.float64)
        self.meta = meta or {}
        self.name = str(self.meta.get("name", "salon-intent"))
        self.version = str(self.meta.get("version", "0"))
        self.labels = INTENTS

    @property
    def n_dense(self) -> int:
        """Number of dense (cue) features the model expects per text."""
        return int(self.dense_coef.shape[0])

    def predict_proba(self, texts: Sequence[str], dense: np.ndarray) -> np.ndarray:
        """Probabilities ``(len(texts), 5)`` in :data:`INTENTS` order; ``dense`` holds one row of
        cue features per text."""
        dense = np.asarray(dense, dtype=np.float64).reshape(len(texts), self.n_dense)
        if not len(texts):
            return np.zeros((0, len(INTENTS)))
        scores = self.ngrams.decision_function(texts) + dense @ self.dense_coef
        return 1.0 / (1.0 + np.exp(-scores))

    def save(self, folder: Path, cols: np.ndarray, coef: np.ndarray, idf: np.ndarray) -> int:
        """Write ``model.npz`` and ``meta.json`` (with the file's size) into ``folder``; return
        the size of ``model.npz`` in bytes."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / MODEL_FILE
        np.savez_compressed(
            path,
            cols=cols.astype(np.int32),
            coef=coef.astype(np.float16),
            idf=idf.astype(np.float32),
            idf_unseen=np.float32(self.ngrams.idf_unseen),
            dense_coef=self.dense_coef.astype(np.float32),
            intercept=self.ngrams._intercept.astype(np.float32),
            labels=np.array(INTENTS, dtype=str),
            feature_config=np.array(json.dumps(self.ngrams.config.to_dict())),
        )
        size = path.stat().st_size
        self.meta["files"] = {MODEL_FILE: {"bytes": size}}
        text = json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n"
        (folder / "meta.json").write_text(text, encoding="utf-8")
        return size

    @classmethod
    def load(cls, folder: str | Path) -> IntentModel:
        """Load a model folder written by :meth:`save` (``nlp.train`` writes one)."""
        path = Path(folder) / MODEL_FILE
        if not path.is_file():
            raise NlpError(
                f"{path}: no intent model here; train one with "
                "`python -m nlp.intent.train --data nlp/data/intent --out DIR`"
            )
        meta = read_meta(Path(folder))
        with np.load(path, allow_pickle=False) as data:
            ngrams = LinearTextModel(
                config=FeatureConfig.from_dict(json.loads(str(data["feature_config"]))),
                labels=data["labels"].tolist(),
                cols=data["cols"].astype(np.int64),
                coef=data["coef"],
                idf=data["idf"],
                intercept=data["intercept"],
                idf_unseen=float(data["idf_unseen"]),
                name="salon-intent",
            )
            return cls(ngrams, data["dense_coef"], meta)


def load_intent_model(folder: str | Path | None = None) -> IntentModel:
    """The model in ``folder`` (default: the shipped ``nlp/models/intent``), loaded once."""
    return _load(str(Path(folder or MODEL_DIR).resolve()))


@cache
def _load(folder: str) -> IntentModel:
    return IntentModel.load(folder)
