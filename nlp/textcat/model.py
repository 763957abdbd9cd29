"""Inference for the trained classifiers: numpy only, loaded from ``.npz`` + ``meta.json``.

A ``LinearTextModel`` is hashed features (``features.py``) -> TF-IDF weighting
(``weighting.py``) -> one linear layer -> softmax. Training may ensemble several linear models;
they are folded into the single weight matrix before saving, so inference is one sparse
gather-and-sum per batch.

File format (``<name>.npz``, loaded with ``allow_pickle=False``):

* ``cols`` int32, sorted feature columns that carry a weight; ``coef`` float32
  ``(len(cols), n_labels)``; ``idf`` float32 ``(len(cols),)`` and ``idf_unseen`` (the IDF of
  every other hashed column); ``intercept`` float32
  ``(n_labels,)`` (decision offsets tuned on validation already added);
* ``lex_keys`` unicode, ``lex_vals`` float32: the lexicon used by the dense features;
* with ``feature_config.toxicity`` also ``tox_keys``, ``tox_idf``, ``tox_coef``, ``tox_bias``:
  the profanity model's word weights behind the ``tox_score`` feature;
* ``labels`` unicode ``(n_labels,)``; ``feature_config`` unicode JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nlp.textcat.features import FeatureConfig, FeatureExtractor, SparseBatch
from nlp.textcat.lexicon import ToxicityLexicon
from nlp.textcat.weighting import row_sums, weight

__all__ = [
    "MODELS_DIR",
    "TASKS",
    "AbuseModel",
    "LinearTextModel",
    "TextClassifierModel",
    "load_textcat",
    "model_folder",
]

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
TASKS = ("sentiment", "offensive", "hate", "abuse")


class TextClassifierModel(Protocol):
    """What every shipped classifier offers."""

    name: str
    version: str
    labels: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape ``(len(texts), len(labels))``, rows sum to 1."""
        ...


class LinearTextModel:
    """Hashed-feature linear classifier (one task, softmax over ``labels``)."""

    def __init__(
        self,
        config: FeatureConfig,
        labels: Sequence[str],
        cols: np.ndarray,
        coef: np.ndarray,
        idf: np.ndarray,
        intercept: np.ndarray,
        lexicon: dict[str, float] | None = None,
        name: str = "textcat",
        version: str = "0",
        idf_unseen: float = 1.0,
        toxicity: ToxicityLexicon | None = None,
    ) -> None:
        self.config = config
        self.labels = tuple(labels)
        self.name = name
        self.version = version
        self.extractor = FeatureExtractor(config, lexicon or {}, toxicity)
        n = config.n_features
        if coef.shape != (cols.shape[0], len(self.labels)):
            raise ValueError(f"coef shape {coef.shape} does not match cols/labels")
        # Dense lookup tables: one gather per feature occurrence at inference. A binary model
        # keeps only the logit difference (label 1 - label 0): half the work, same softmax.
        self._binary = len(self.labels) == 2
        weights = coef[:, 1:] - coef[:, :1] if self._binary else coef
        self._coef = np.zeros((n, weights.shape[1]), dtype=np.float32)
        self._coef[cols] = weights.astype(np.float32)
        # Hashed columns without a weight get the IDF of an unseen term (as in training).
        self._idf = np.full(n, idf_unseen, dtype=np.float32)
        self._idf[: config.word_offset] = 1.0
        hashed = cols >= config.word_offset
        self._idf[cols[hashed]] = idf[hashed]
        self.idf_unseen = float(idf_unseen)
        self._intercept = intercept.astype(np.float64)
        if self._binary:
            self._intercept = np.array([0.0, self._intercept[1] - self._intercept[0]])
        self.n_weights = int(cols.shape[0])

    # ---------------------------------------------------------------- inference
    def decision_function(self, texts: Iterable[str]) -> np.ndarray:
        """Raw linear scores ``(n, n_labels)``."""
        return self.scores_from_batch(self.extractor.transform(texts))

    def scores_from_batch(self, batch: SparseBatch) -> np.ndarray:
        """Raw linear scores for already extracted features (same ``FeatureConfig``)."""
        vals = weight(batch, self._idf, self.config)
        n_rows, k = batch.n_rows, len(self.labels)
        # np.take gathers whole rows several times faster than fancy indexing.
        contrib = np.take(self._coef, batch.indices, axis=0) * vals[:, None]
        sums = row_sums(contrib, batch.indptr)
        if self._binary:
            scores = np.zeros((n_rows, k), dtype=np.float64)
            scores[:, 1] = sums[:, 0]
        else:
            scores = sums
        return scores + self._intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Softmax probabilities ``(n, n_labels)``."""
        return _softmax(self.decision_function(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most probable label per text."""
        return [self.labels[i] for i in self.predict_proba(texts).argmax(axis=1)]

    # ---------------------------------------------------------------- persistence
    def compact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cols, coef, idf)`` of the columns that carry a weight, as ``save`` takes them."""
        cols = np.flatnonzero(np.abs(self._coef).max(axis=1) > 0)
        coef = self._coef[cols]
        if self._binary:
            coef = np.concatenate([np.zeros_like(coef), coef], axis=1)
        return cols, coef, self._idf[cols]

    def save(self, path: str | Path, cols: np.ndarray, coef: np.ndarray, idf: np.ndarray) -> int:
        """Write ``path`` (.npz) from the compact arrays; return its size in bytes."""
        lex = self.extractor.lexicon
        tox = self.extractor.toxicity
        path = Path(path)
        extra: dict[str, Any] = tox.to_arrays() if tox is not None else {}
        np.savez_compressed(
            path,
            **extra,
            cols=cols.astype(np.int32),
            coef=coef.astype(np.float16),
            idf=idf.astype(np.float32),
            idf_unseen=np.float32(self.idf_unseen),
            intercept=self._intercept.astype(np.float32),
            lex_keys=np.array(list(lex.keys()), dtype=str),
            lex_vals=np.array(list(lex.values()), dtype=np.float32),
            labels=np.array(self.labels, dtype=str),
            feature_config=np.array(json.dumps(self.config.to_dict())),
        )
        return path.stat().st_size

    @classmethod
    def load(cls, path: str | Path, name: str = "textcat", version: str = "0") -> LinearTextModel:
        """Load a model written by ``save``."""
        with np.load(Path(path), allow_pickle=False) as data:
            config = FeatureConfig.from_dict(json.loads(str(data["feature_config"])))
            lexicon = dict(
                zip(data["lex_keys"].tolist(), data["lex_vals"].astype(float).tolist(), strict=True)
            )
            toxicity = ToxicityLexicon.from_arrays(data) if "tox_keys" in data.files else None
            return cls(
                config=config,
                labels=data["labels"].tolist(),
                cols=data["cols"].astype(np.int64),
                coef=data["coef"],
                idf=data["idf"].astype(np.float32),
                intercept=data["intercept"],
                idf_unseen=float(data["idf_unseen"]),
                lexicon=lexicon,
                name=name,
                version=version,
                toxicity=toxicity,
            )


class AbuseModel:
    """Combines the offensive and hate classifiers into one abuse score.

    ``abusive = max(p_offensive, p_hate)``: each sub-model's decision offset was tuned on
    validation so that 0.5 is its macro-F1 decision point, which makes the two comparable.
    """

    labels: tuple[str, ...] = ("not-abusive", "abusive")

    def __init__(self, offensive: LinearTextModel, hate: LinearTextModel, version: str = "0"):
        self.offensive = offensive
        self.hate = hate
        self.name = "salon-abuse"
        self.version = version
        self._shared = (
            offensive.config == hate.config
            and offensive.extractor.lexicon == hate.extractor.lexicon
            and offensive.extractor.toxicity == hate.extractor.toxicity
        )

    def predict_parts(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per-text ``offensive``, ``hate`` and combined ``abusive`` probabilities."""
        texts = list(texts)
        if self._shared:
            # Same features for both: extract once, apply two weight matrices.
            batch = self.offensive.extractor.transform(texts)
            off = _softmax(self.offensive.scores_from_batch(batch))[:, 1]
            hate = _softmax(self.hate.scores_from_batch(batch))[:, 1]
        else:
            off = self.offensive.predict_proba(texts)[:, 1]
            hate = self.hate.predict_proba(texts)[:, 1]
        return {"offensive": off, "hate": hate, "abusive": np.maximum(off, hate)}

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, 2)``: columns ``not-abusive``, ``abusive``."""
        score = self.predict_parts(texts)["abusive"]
        return np.stack([1.0 - score, score], axis=1)


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def read_meta(model_dir: Path) -> dict[str, Any]:
    """The ``meta.json`` of a model folder (empty dict if missing)."""
    meta = model_dir / "meta.json"
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


_CACHE: dict[tuple[str, str], TextClassifierModel] = {}


def model_folder(task: str, model_dir: str | Path | None = None) -> Path:
    """The folder ``load_textcat`` reads for ``task``: ``model_dir``, or the shipped one."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if model_dir:
        return Path(model_dir)
    return MODELS_DIR / ("sentiment" if task == "sentiment" else "abuse")


def load_textcat(task: str, model_dir: str | Path | None = None) -> TextClassifierModel:
    """Load a shipped (or given) classifier: ``sentiment``, ``offensive``, ``hate`` or ``abuse``.

    ``sentiment`` lives in ``models/sentiment/model.npz``; ``offensive`` and ``hate`` are the
    two files of ``models/abuse/``; ``abuse`` combines them. Loaded models are cached.
    """
    folder = model_folder(task, model_dir)
    key = (task, str(folder.resolve()))
    if key in _CACHE:
        return _CACHE[key]
    meta = read_meta(folder)
    version = str(meta.get("version", "0"))
    model: TextClassifierModel
    if task == "sentiment":
        model = LinearTextModel.load(
            folder / "model.npz", meta.get("name", "salon-sentiment"), version
        )
    elif task == "abuse":
        off = LinearTextModel.load(folder / "offensive.npz", "salon-offensive", version)
        hate = LinearTextModel.load(folder / "hate.npz", "salon-hate", version)
        model = AbuseModel(off, hate, version)
    else:
        model = LinearTextModel.load(folder / f"{task}.npz", f"salon-{task}", version)
    _CACHE[key] = model
    return model
