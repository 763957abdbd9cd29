"""Train the sentiment or abuse classifier (scikit-learn is needed here, not at inference).

    python -m nlp.textcat.train --task sentiment --data ../shared/data/tweeteval/sentiment
    python -m nlp.textcat.train --task abuse --data ../shared/data/tweeteval

For ``abuse``, ``--data`` is the TweetEval folder holding ``offensive/`` and ``hate/``; one
binary model is trained for each and both are written to the abuse model folder.

Recipe (per binary or 3-way task): hashed word 1-3-grams with negation marking, char 2-5-grams
and lexicon/style features (``features.py``) weighted by sub-linear TF-IDF; an ensemble of
linear models trained on ``train`` (logistic regression by SGD with three seeds, a linear SVM
and an NB-weighted logistic regression, NBSVM-style); each member's temperature is fitted on
``val`` (log-loss), their scaled scores are averaged, and per-label decision offsets are tuned
on ``val`` for the task metric (macro recall for sentiment, macro-F1 otherwise). Because every
member is linear and the average is taken on logits, the ensemble folds into one weight matrix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp.textcat.data import read_label_names, read_split
from nlp.textcat.features import FeatureConfig, FeatureExtractor, SparseBatch
from nlp.textcat.metrics import classification_report, macro_f1, macro_recall
from nlp.textcat.model import MODELS_DIR, LinearTextModel
from nlp.textcat.weighting import compute_idf, unseen_idf, weight

__all__ = ["TrainSpec", "main", "train_task"]

MODEL_VERSION = "1.0.0"


@dataclass
class TrainSpec:
    """Hyper-parameters of one task (chosen on val, see docs/models.md)."""

    metric: str  # "macro_recall" or "macro_f1"
    alpha: float = 4e-5  # SGD L2 strength
    svm_c: float = 0.2
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 30
    class_weight: str | None = "balanced"
    min_df: int = 2
    features: FeatureConfig = field(default_factory=FeatureConfig)


SPECS: dict[str, TrainSpec] = {
    "sentiment": TrainSpec(metric="macro_recall", alpha=4e-5, svm_c=0.2),
    "offensive": TrainSpec(metric="macro_f1", alpha=5e-5, svm_c=0.1),
    "hate": TrainSpec(metric="macro_f1", alpha=2e-5, svm_c=0.3),
}


def _log(msg: str, start: float) -> None:
    print(f"[{time.monotonic() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)


def _softmax(s: np.ndarray) -> np.ndarray:
    z = s - s.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _as_columns(coef: np.ndarray, intercept: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's (k or 1, n) coef -> (n, k) logits; a binary score s becomes logits [0, s]."""
    coef = np.atleast_2d(coef)
    intercept = np.atleast_1d(intercept)
    if coef.shape[0] == 1 and k == 2:
        w = np.zeros((coef.shape[1], 2))
        w[:, 1] = coef[0]
        return w, np.array([0.0, float(intercept[0])])
    return coef.T.copy(), intercept.astype(np.float64).copy()


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Scalar a minimising val log-loss of softmax(a * scores)."""
    best_a, best = 1.0, np.inf
    for a in np.exp(np.linspace(np.log(0.05), np.log(20.0), 61)):
        p = _softmax(a * scores)[np.arange(y.shape[0]), y]
        loss = -np.log(np.clip(p, 1e-12, None)).mean()
        if loss < best:
            best_a, best = float(a), loss
    return best_a


def _tune_offsets(
    scores: np.ndarray, y: np.ndarray, metric: Callable[[np.ndarray, np.ndarray], float]
) -> tuple[np.ndarray, float]:
    """Coordinate search of per-label additive offsets maximising ``metric`` on val."""
    k = scores.shape[1]
    offsets = np.zeros(k)
    best = metric(y, scores.argmax(axis=1))
    grid = np.linspace(-1.5, 1.5, 61)
    for _ in range(3):
        improved = False
        for j in range(1, k):  # label 0 is the reference
            for d in grid:
                trial = offsets.copy()
                trial[j] = d
                value = metric(y, (scores + trial).argmax(axis=1))
                if value > best + 1e-9:
                    best, offsets, improved = value, trial, True
        if not improved:
            break
    return offsets, best


def _csr(batch: SparseBatch, values: np.ndarray, cols: np.ndarray) -> Any:
    """scipy CSR restricted (and renumbered) to ``cols``."""
    import scipy.sparse as sp

    full = sp.csr_matrix((values, batch.indices, batch.indptr), shape=(batch.n_rows, batch.n_cols))
    return full[:, cols].tocsr()


def train_task(
    task: str,
    folder: Path,
    lexicon: dict[str, float],
    start: float,
    spec: TrainSpec | None = None,
) -> tuple[LinearTextModel, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Train one task from ``folder``; return the model, its compact arrays and val metrics."""
    from sklearn.linear_model import SGDClassifier
    from sklearn.svm import LinearSVC

    spec = spec or SPECS[task]
    labels = read_label_names(folder)
    k = len(labels)
    tr_texts, y_tr = read_split(folder, "train")
    va_texts, y_va = read_split(folder, "val")
    _log(f"{task}: {len(tr_texts)} train, {len(va_texts)} val texts; extracting features", start)
    cfg = spec.features
    extractor = FeatureExtractor(cfg, lexicon)
    b_tr = extractor.transform(tr_texts)
    b_va = extractor.transform(va_texts)
    idf = compute_idf(b_tr, cfg)
    df = np.bincount(b_tr.indices, minlength=b_tr.n_cols)
    keep_mask = (df >= spec.min_df) | (np.arange(b_tr.n_cols) < cfg.word_offset)
    keep = np.flatnonzero(keep_mask)
    # Columns the model drops weigh like unseen ones, at training and at inference alike.
    unseen = unseen_idf(b_tr.n_rows)
    idf[~keep_mask] = unseen
    x_tr = _csr(b_tr, weight(b_tr, idf, cfg), keep)
    x_va = _csr(b_va, weight(b_va, idf, cfg), keep)
    _log(f"{task}: {x_tr.shape[1]} feature columns kept (df >= {spec.min_df})", start)

    members: list[tuple[str, np.ndarray, np.ndarray]] = []
    for seed in spec.seeds:
        clf = SGDClassifier(
            loss="log_loss",
            alpha=spec.alpha,
            max_iter=spec.epochs,
            tol=None,
            class_weight=spec.class_weight,
            random_state=seed,
        ).fit(x_tr, y_tr)
        members.append((f"sgd_logreg_seed{seed}", *_as_columns(clf.coef_, clf.intercept_, k)))
        _log(f"{task}: trained {members[-1][0]}", start)
    svm = LinearSVC(C=spec.svm_c, class_weight=spec.class_weight).fit(x_tr, y_tr)
    members.append(("linear_svm", *_as_columns(svm.coef_, svm.intercept_, k)))
    _log(f"{task}: trained linear_svm", start)
    n_dense = int((keep < cfg.word_offset).sum())
    members.append(("nb_logreg", *_nb_member(x_tr, y_tr, k, spec, n_dense)))
    _log(f"{task}: trained nb_logreg", start)

    metric = macro_recall if spec.metric == "macro_recall" else macro_f1
    coef = np.zeros((x_tr.shape[1], k))
    intercept = np.zeros(k)
    member_report = {}
    for name, w, b in members:
        s = np.asarray(x_va @ w) + b
        a = _fit_temperature(s, y_va)
        coef += a * w / len(members)
        intercept += a * b / len(members)
        member_report[name] = {
            "temperature": round(a, 4),
            spec.metric: round(metric(y_va, s.argmax(axis=1), k), 4),
        }
    ens_scores = np.asarray(x_va @ coef) + intercept
    untuned = metric(y_va, ens_scores.argmax(axis=1), k)
    offsets, tuned = _tune_offsets(ens_scores, y_va, lambda t, p: metric(t, p, k))
    intercept = intercept + offsets
    _log(f"{task}: ensemble val {spec.metric} {untuned:.4f} -> {tuned:.4f} after offsets", start)

    cols = keep.astype(np.int64)
    nonzero = np.abs(coef).max(axis=1) > 0
    cols, coef = cols[nonzero], coef[nonzero]
    model = LinearTextModel(
        cfg, labels, cols, coef, idf[cols], intercept, lexicon, f"salon-{task}", idf_unseen=unseen
    )
    probs = model.predict_proba(va_texts)
    report = classification_report(y_va, probs.argmax(axis=1), labels)
    report["members"] = member_report
    report["ensemble_before_offsets"] = round(untuned, 4)
    report["decision_offsets"] = [round(float(x), 4) for x in offsets]
    report["metric"] = spec.metric
    _log(f"{task}: saved-model val {spec.metric} {report[spec.metric]}", start)
    return model, cols, coef, idf[cols], report


def _nb_member(
    x_tr: Any, y_tr: np.ndarray, k: int, spec: TrainSpec, n_dense: int
) -> tuple[np.ndarray, np.ndarray]:
    """NB-weighted logistic regression (one-vs-rest), folded back into plain weights."""
    from sklearn.linear_model import SGDClassifier

    present = (x_tr > 0).astype(np.float64)
    classes = [1] if k == 2 else list(range(k))
    w = np.zeros((x_tr.shape[1], k))
    b = np.zeros(k)
    for c in classes:
        pos = y_tr == c
        p = np.asarray(present[pos].sum(axis=0)).ravel() + 1.0
        q = np.asarray(present[~pos].sum(axis=0)).ravel() + 1.0
        r = np.log((p / p.sum()) / (q / q.sum()))
        r[:n_dense] = 1.0
        clf = SGDClassifier(
            loss="log_loss",
            alpha=spec.alpha,
            max_iter=spec.epochs,
            tol=None,
            class_weight=spec.class_weight,
            random_state=0,
        ).fit(x_tr.multiply(r).tocsr(), pos)
        w[:, c] = clf.coef_[0] * r
        b[c] = clf.intercept_[0]
    return w, b


def _write_meta(out: Path, meta: dict[str, Any]) -> None:
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m nlp.textcat.train", description=__doc__)
    parser.add_argument("--task", required=True, choices=["sentiment", "abuse"])
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        help="sentiment: folder with train_/val_ files; abuse: folder holding offensive/ and hate/",
    )
    parser.add_argument("--out", type=Path, help="output folder (default: nlp/models/<task>)")
    args = parser.parse_args(argv)

    from nlp.textcat.lexicon import load_vader_lexicon

    start = time.monotonic()
    out: Path = args.out or MODELS_DIR / args.task
    out.mkdir(parents=True, exist_ok=True)
    lexicon = load_vader_lexicon()
    subtasks = ["sentiment"] if args.task == "sentiment" else ["offensive", "hate"]
    metrics: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for sub in subtasks:
        folder = args.data if args.task == "sentiment" else args.data / sub
        model, cols, coef, idf, report = train_task(sub, folder, lexicon, start)
        filename = "model.npz" if args.task == "sentiment" else f"{sub}.npz"
        size = model.save(out / filename, cols, coef, idf)
        metrics[sub] = report
        files[filename] = {"bytes": size, "weights": int(cols.shape[0]), "labels": model.labels}
        _log(f"{sub}: wrote {out / filename} ({size / 1e6:.2f} MB)", start)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    command = f"python -m nlp.textcat.train --task {args.task} --data {args.data}"
    if args.out:
        command += f" --out {args.out}"
    _write_meta(
        out,
        {
            "name": f"salon-{args.task}",
            "version": MODEL_VERSION,
            "task": args.task,
            "files": files,
            "training_data": {
                "source": "TweetEval (Barbieri et al., 2020)",
                "splits": "train for fitting; val for hyper-parameters, temperatures, offsets",
                "tasks": subtasks,
            },
            "command": command,
            "metrics_val": {
                sub: {m: metrics[sub][m] for m in ("macro_recall", "macro_f1", "accuracy")}
                for sub in subtasks
            },
            "features": SPECS[subtasks[0]].features.to_dict(),
            "date": dt.date.today().isoformat(),
            "python": platform.python_version(),
            "train_seconds": round(time.monotonic() - start, 1),
        },
    )
    _log(f"done: {out}", start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
