"""Train the intent model on the labelled posts (scikit-learn is needed here, not at inference).

    python -m nlp.intent.train --data nlp/data/intent [--out nlp/models/intent]

Only ``train.jsonl`` of ``--data`` is read (``test.jsonl`` is for reporting). Recipe: the cue
features of every post (``intent_features``: the rule-based component's scores and flags) next
to hashed word 1-2-grams and character 2-4-grams (TF-IDF, :mod:`nlp.textcat` features); one L2
logistic regression per intent. ``folds``-fold cross-validation on the training posts picks each
intent's decision threshold (best F1 of the out-of-fold probabilities), which is folded into the
intercept; the figures of the cues alone on the same posts are reported next to the model's.
Writes ``model.npz`` and ``meta.json`` (with those figures) to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy

import nlp.components  # noqa: F401  (registers the factories)
from nlp.components.intent import IntentCues, cue_evidence, intent_features
from nlp.components.language import confident_language
from nlp.errors import NlpError
from nlp.intent import DATA_DIR, INTENTS, MODEL_DIR, THRESHOLD
from nlp.intent.data import read_examples
from nlp.intent.metrics import multilabel_report
from nlp.intent.model import IntentModel
from nlp.textcat.features import FeatureConfig, FeatureExtractor, SparseBatch
from nlp.textcat.model import LinearTextModel
from nlp.textcat.weighting import compute_idf, unseen_idf, weight

__all__ = ["FEATURES", "cue_feature_matrix", "main", "train_intent"]

FEATURES = FeatureConfig(
    word_bits=14, word_ngrams=2, char_bits=14, char_min=2, char_max=4, negation=False, dense=False
)
VERSION = "1.0.0"
THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.05), 2)


def cue_feature_matrix(texts: Sequence[str]) -> np.ndarray:
    """``intent_features`` of every text, through the same components as the pipeline
    (language, lexicon sentiment) -- shape ``(len(texts), N_FEATURES)``."""
    pipe = spacy.blank("xx")
    for name in ("salon_normalize", "salon_language", "salon_sentiment"):
        pipe.add_pipe(name)
    cues = IntentCues()
    rows = []
    for text, doc in zip(texts, pipe.pipe(texts), strict=True):
        found = cue_evidence(text, cues.for_language(confident_language(doc)))
        rows.append(intent_features(text, found, float(doc._.sentiment_score or 0.0)))
    return np.asarray(rows, dtype=np.float64)


def _design(batch: SparseBatch, idf: np.ndarray, keep: np.ndarray, dense: np.ndarray) -> Any:
    import scipy.sparse as sp

    values = weight(batch, idf, FEATURES)
    shape = (batch.n_rows, batch.n_cols)
    full = sp.csr_matrix((values, batch.indices, batch.indptr), shape=shape)
    return sp.hstack([full[:, keep], sp.csr_matrix(dense)]).tocsr()


@dataclass
class Fitted:
    """Weights of one fit: hashed columns seen in training (``cols``) with their n-gram
    coefficients and IDF, the dense coefficients and the intercepts."""

    cols: np.ndarray
    ngram: np.ndarray
    dense: np.ndarray
    intercept: np.ndarray
    idf: np.ndarray
    idf_unseen: float

    def model(self, meta: dict[str, Any] | None = None) -> IntentModel:
        """The inference model of these weights."""
        linear = LinearTextModel(
            FEATURES,
            INTENTS,
            self.cols,
            self.ngram,
            self.idf,
            self.intercept,
            idf_unseen=self.idf_unseen,
            name="salon-intent",
        )
        return IntentModel(linear, self.dense, meta)


def _fit(texts: Sequence[str], dense: np.ndarray, y: np.ndarray, c: float) -> Fitted:
    """One L2 logistic regression per intent on n-grams and cue features."""
    from sklearn.linear_model import LogisticRegression

    batch = FeatureExtractor(FEATURES).transform(texts)
    idf = compute_idf(batch, FEATURES)
    df = np.bincount(batch.indices, minlength=batch.n_cols)
    keep = np.flatnonzero(df > 0)
    unseen = unseen_idf(batch.n_rows)
    x = _design(batch, idf, keep, dense)
    coef = np.zeros((x.shape[1], len(INTENTS)))
    intercept = np.zeros(len(INTENTS))
    for j in range(len(INTENTS)):
        clf = LogisticRegression(C=c, max_iter=5000).fit(x, y[:, j])
        coef[:, j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    n = keep.shape[0]
    used = np.abs(coef[:n]).max(axis=1) > 0
    cols = keep[used]
    return Fitted(cols, coef[:n][used], coef[n:], intercept, idf[cols], unseen)


def _labels(scores: np.ndarray, thresholds: Sequence[float]) -> list[set[str]]:
    return [
        {label for label, s, t in zip(INTENTS, row, thresholds, strict=True) if s >= t}
        for row in scores
    ]


def _best_threshold(scores: np.ndarray, gold: list[set[str]], label: str) -> float:
    """The threshold in :data:`THRESHOLDS` with the best F1 for ``label`` (ties: the lowest)."""
    j = INTENTS.index(label)
    truth = [{label} & g for g in gold]
    f1 = [
        multilabel_report(truth, [{label} if s >= t else set() for s in scores[:, j]], [label])[
            "macro_f1"
        ]
        for t in THRESHOLDS
    ]
    return float(THRESHOLDS[int(np.argmax(f1))])


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in ("macro_f1", "micro", "per_label")}


def train_intent(
    data_dir: str | Path = DATA_DIR,
    out_dir: str | Path | None = MODEL_DIR,
    c: float = 10.0,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Train on ``data_dir/train.jsonl``, write the model to ``out_dir`` (``None``: do not
    write) and return its metadata, with the cross-validated figures of the model and of the
    cues alone."""
    examples = read_examples(data_dir, "train")
    if len(examples) < 2 * folds:
        raise NlpError(f"{data_dir}: {len(examples)} training posts; need at least {2 * folds}")
    texts = [e.text for e in examples]
    gold = [set(e.intents) for e in examples]
    y = np.array([[label in g for label in INTENTS] for g in gold], dtype=np.int64)
    dense = cue_feature_matrix(texts)
    order = np.random.default_rng(seed).permutation(len(texts))
    oof = np.zeros(y.shape)
    for k in range(folds):
        held = order[k::folds]
        kept = np.setdiff1d(order, held)
        fold = _fit([texts[i] for i in kept], dense[kept], y[kept], c).model()
        oof[held] = fold.predict_proba([texts[i] for i in held], dense[held])
    thresholds = [_best_threshold(oof, gold, label) for label in INTENTS]
    fitted = _fit(texts, dense, y, c)
    fitted.intercept = fitted.intercept - np.log(np.divide(thresholds, np.subtract(1, thresholds)))
    meta: dict[str, Any] = {
        "name": "salon-intent",
        "version": VERSION,
        "date": dt.date.today().isoformat(),
        "command": f"python -m nlp.intent.train --data {data_dir} --c {c}",
        "training_data": {"file": str(Path(data_dir) / "train.jsonl"), "posts": len(examples)},
        "recipe": {
            "c": c,
            "folds": folds,
            "seed": seed,
            "features": FEATURES.to_dict(),
            "n_dense": int(dense.shape[1]),
        },
        "thresholds": dict(zip(INTENTS, thresholds, strict=True)),
        "metrics_cross_validation": {
            "model": _summary(multilabel_report(gold, _labels(oof, thresholds))),
            "cues": _summary(
                multilabel_report(gold, _labels(dense[:, : len(INTENTS)], [THRESHOLD] * 5))
            ),
        },
    }
    if out_dir is not None:
        fitted.model(meta).save(Path(out_dir), fitted.cols, fitted.ngram, fitted.idf)
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m nlp.intent.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder with train.jsonl")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder to write")
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 regularisation")
    args = parser.parse_args(argv)
    try:
        meta = train_intent(args.data, args.out, c=args.c)
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(meta["metrics_cross_validation"] | {"thresholds": meta["thresholds"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
