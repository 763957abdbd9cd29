"""Train the sentiment or abuse classifier (scikit-learn is needed here, not at inference).

    python -m nlp.textcat.train --task sentiment --data ../shared/data/tweeteval/sentiment
    python -m nlp.textcat.train --task abuse --data ../shared/data/tweeteval

For ``abuse``, ``--data`` is the TweetEval folder holding ``offensive/`` and ``hate/``; one
binary model is trained for each and both are written to the abuse model folder.

Recipe (per binary or 3-way task): hashed word 1-3-grams with negation marking, char 2-5-grams
and lexicon/style features (``features.py``; the abuse models add the ``tox_score`` of a
profanity model, ``lexicon.py``) weighted by sub-linear TF-IDF, then an ensemble of linear
models chosen by **cross-validation on train**:

1. each member (SGD logistic regression, linear SVM, or NB-weighted logistic regression,
   NBSVM-style) is fitted on ``folds`` splits of train; its out-of-fold scores are kept and its
   fold models are averaged (bagging; the average of linear models is linear);
2. non-negative member weights are fitted on the out-of-fold scores (multinomial log-loss);
3. per-label decision offsets are tuned on the out-of-fold scores for the task metric (macro
   recall for sentiment, macro-F1 otherwise): the **CV figure**. ``val`` is then only measured
   -- unless the spec says ``offsets="val"``, where the offsets are re-tuned on val (reported
   as optimistic, with the val figure at the CV offsets next to it).

Every member is linear and the ensemble is a weighted sum of logits, so it folds into one
weight matrix: inference is one sparse gather-and-sum.
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
from nlp.textcat.lexicon import ToxicityLexicon
from nlp.textcat.metrics import classification_report, macro_f1, macro_recall
from nlp.textcat.model import MODELS_DIR, LinearTextModel
from nlp.textcat.weighting import compute_idf, unseen_idf, weight

__all__ = ["Member", "TrainSpec", "main", "train_task"]

MODEL_VERSION = "1.1.0"
FLAG_PRECISION = 0.9  # binary tasks: the flag threshold is where CV precision reaches this
Metric = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Member:
    """One linear ensemble member: ``kind`` is ``sgd`` (logistic regression by SGD), ``svm``
    (liblinear SVM, strength ``c``) or ``nb`` (NB-weighted logistic regression by SGD)."""

    kind: str
    alpha: float = 2e-5  # SGD L2 strength (sgd, nb)
    c: float = 0.2  # svm
    seed: int = 0

    @property
    def name(self) -> str:
        """Short label for reports."""
        if self.kind == "svm":
            return f"svm_c{self.c:g}"
        return f"{self.kind}_a{self.alpha:g}_s{self.seed}"


@dataclass
class TrainSpec:
    """Hyper-parameters of one task (chosen by cross-validation on train, see docs/models.md)."""

    metric: str  # "macro_recall" or "macro_f1"
    members: tuple[Member, ...]
    offsets: str = "cv"  # where the decision offsets are tuned: "cv" (train folds) or "val"
    folds: int = 5
    epochs: int = 30
    class_weight: str | None = "balanced"
    min_df: int = 2
    features: FeatureConfig = field(default_factory=FeatureConfig)


_ABUSE_FEATURES = FeatureConfig(toxicity=True)
SPECS: dict[str, TrainSpec] = {
    "sentiment": TrainSpec(
        metric="macro_recall",
        members=(Member("nb", 1e-5), Member("nb", 5e-6, seed=1), Member("sgd", 2e-5)),
        offsets="val",
    ),
    "offensive": TrainSpec(
        metric="macro_f1",
        members=(Member("nb", 5e-5), Member("nb", 2e-5, seed=1), Member("sgd", 2e-5)),
        features=_ABUSE_FEATURES,
    ),
    "hate": TrainSpec(
        metric="macro_f1",
        members=(Member("nb", 2e-5), Member("nb", 5e-5, seed=1), Member("sgd", 2e-5)),
        features=_ABUSE_FEATURES,
    ),
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


def _tune_offsets(scores: np.ndarray, y: np.ndarray, metric: Metric) -> tuple[np.ndarray, float]:
    """Coordinate search of per-label additive offsets maximising ``metric``."""
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


def _stack_weights(scores: list[np.ndarray], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative member weights and label intercepts minimising log-loss of the weighted sum."""
    from scipy.optimize import minimize

    n, k = len(scores), scores[0].shape[1]
    rows = np.arange(y.shape[0])

    def loss(params: np.ndarray) -> float:
        s = sum(w * m for w, m in zip(params[:n], scores, strict=True)) + np.r_[0.0, params[n:]]
        return float(-np.log(np.clip(_softmax(s)[rows, y], 1e-12, None)).mean())

    start = np.r_[np.full(n, 1.0 / n), np.zeros(k - 1)]
    bounds = [(0.0, None)] * n + [(None, None)] * (k - 1)
    result = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
    return result.x[:n], np.r_[0.0, result.x[n:]]


def _flag_threshold(prob: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Lowest probability threshold (0.5..0.99) whose precision on ``prob`` reaches ``precision``.

    The decision point (0.5) maximises the task metric on tweets where a third are positive;
    a post flagged abusive is never answered and is kept out of the digest, so the product
    wants fewer false alarms: this is the threshold recommended for that (``meta.json``).
    """
    for threshold in np.linspace(0.5, 0.99, 50):
        hit = prob >= threshold
        if hit.sum() and (hit & (y == 1)).sum() / hit.sum() >= precision:
            return float(threshold)
    return 0.99


def _csr(batch: SparseBatch, values: np.ndarray, cols: np.ndarray) -> Any:
    """scipy CSR restricted (and renumbered) to ``cols``."""
    import scipy.sparse as sp

    full = sp.csr_matrix((values, batch.indices, batch.indptr), shape=(batch.n_rows, batch.n_cols))
    return full[:, cols].tocsr()


def _sgd(x: Any, y: np.ndarray, alpha: float, seed: int, spec: TrainSpec) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=spec.epochs,
        tol=None,
        class_weight=spec.class_weight,
        random_state=seed,
    ).fit(x, y)


def _nb_member(
    x: Any, y: np.ndarray, k: int, member: Member, spec: TrainSpec
) -> tuple[np.ndarray, np.ndarray]:
    """NB-weighted logistic regression (one-vs-rest), folded back into plain weights.

    Each column is scaled by its log-count ratio (presence in the label vs the rest, add-one
    smoothed) before the fit, dense columns included, and the weights are scaled back after.
    """
    present = (x > 0).astype(np.float64)
    labels = [1] if k == 2 else list(range(k))
    w = np.zeros((x.shape[1], k))
    b = np.zeros(k)
    for c in labels:
        pos = y == c
        p = np.asarray(present[pos].sum(axis=0)).ravel() + 1.0
        q = np.asarray(present[~pos].sum(axis=0)).ravel() + 1.0
        r = np.log((p / p.sum()) / (q / q.sum()))
        clf = _sgd(x.multiply(r).tocsr(), pos, member.alpha, member.seed, spec)
        w[:, c] = clf.coef_[0] * r
        b[c] = clf.intercept_[0]
    return w, b


def _fit_member(
    member: Member, x: Any, y: np.ndarray, k: int, spec: TrainSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(n_cols, k)`` and intercepts ``(k,)`` of one member fitted on ``x``."""
    if member.kind == "nb":
        return _nb_member(x, y, k, member, spec)
    if member.kind == "sgd":
        clf = _sgd(x, y, member.alpha, member.seed, spec)
    elif member.kind == "svm":
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=member.c, class_weight=spec.class_weight).fit(x, y)
    else:
        raise ValueError(f"unknown ensemble member kind {member.kind!r}; use sgd, svm or nb")
    return _as_columns(clf.coef_, clf.intercept_, k)


def _cross_fit(
    member: Member, x: Any, y: np.ndarray, k: int, spec: TrainSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold scores on train, and the average of the fold models (weights, intercepts)."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(spec.folds, shuffle=True, random_state=0)
    oof = np.zeros((x.shape[0], k))
    w_sum = np.zeros((x.shape[1], k))
    b_sum = np.zeros(k)
    for fit_rows, held_rows in folds.split(np.zeros(y.shape[0]), y):
        w, b = _fit_member(member, x[fit_rows], y[fit_rows], k, spec)
        oof[held_rows] = np.asarray(x[held_rows] @ w) + b
        w_sum += w
        b_sum += b
    return oof, w_sum / spec.folds, b_sum / spec.folds


def train_task(
    task: str,
    folder: Path,
    lexicon: dict[str, float],
    start: float,
    spec: TrainSpec | None = None,
    toxicity: ToxicityLexicon | None = None,
) -> tuple[LinearTextModel, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Train one task from ``folder``; return the model, its compact arrays and its report."""
    spec = spec or SPECS[task]
    labels = read_label_names(folder)
    k = len(labels)
    tr_texts, y_tr = read_split(folder, "train")
    va_texts, y_va = read_split(folder, "val")
    _log(f"{task}: {len(tr_texts)} train, {len(va_texts)} val texts; extracting features", start)
    cfg = spec.features
    extractor = FeatureExtractor(cfg, lexicon, toxicity)
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

    def metric(t: np.ndarray, p: np.ndarray) -> float:
        return (macro_recall if spec.metric == "macro_recall" else macro_f1)(t, p, k)

    oofs, weights, intercepts, member_report = [], [], [], {}
    for member in spec.members:
        oof, w, b = _cross_fit(member, x_tr, y_tr, k, spec)
        oofs.append(oof)
        weights.append(w)
        intercepts.append(b)
        member_report[member.name] = {
            f"cv_{spec.metric}": round(metric(y_tr, oof.argmax(axis=1)), 4),
            f"val_{spec.metric}": round(metric(y_va, (np.asarray(x_va @ w) + b).argmax(1)), 4),
        }
        _log(f"{task}: {member.name} {member_report[member.name]}", start)
    mix, bias = _stack_weights(oofs, y_tr)
    for member, share in zip(spec.members, mix, strict=True):
        member_report[member.name]["stack_weight"] = round(float(share), 4)
    coef = sum(a * w for a, w in zip(mix, weights, strict=True))
    intercept = sum(a * b for a, b in zip(mix, intercepts, strict=True)) + bias
    oof_scores = sum(a * o for a, o in zip(mix, oofs, strict=True)) + bias
    cv_offsets, cv_tuned = _tune_offsets(oof_scores, y_tr, metric)
    va_scores = np.asarray(x_va @ coef) + intercept
    val_at_cv = metric(y_va, (va_scores + cv_offsets).argmax(axis=1))
    figures = {
        f"cv_{spec.metric}_before_offsets": round(metric(y_tr, oof_scores.argmax(axis=1)), 4),
        f"cv_{spec.metric}": round(cv_tuned, 4),
        f"val_{spec.metric}_before_offsets": round(metric(y_va, va_scores.argmax(axis=1)), 4),
        f"val_{spec.metric}_at_cv_offsets": round(val_at_cv, 4),
        "cv_offsets": [round(float(x), 4) for x in cv_offsets],
    }
    offsets = cv_offsets
    if spec.offsets == "val":
        offsets, val_tuned = _tune_offsets(va_scores, y_va, metric)
        figures[f"val_{spec.metric}_at_val_offsets"] = round(val_tuned, 4)
    if k == 2:
        flag = _flag_threshold(_softmax(oof_scores + offsets)[:, 1], y_tr, FLAG_PRECISION)
        p_va = _softmax(va_scores + offsets)[:, 1]
        hit = p_va >= flag
        figures["flag_threshold"] = round(flag, 4)
        figures["val_at_flag_threshold"] = {
            "precision": round(float((hit & (y_va == 1)).sum() / max(1, hit.sum())), 4),
            "recall": round(float((hit & (y_va == 1)).sum() / max(1, (y_va == 1).sum())), 4),
        }
    _log(f"{task}: {figures}", start)
    intercept = intercept + offsets

    cols = keep.astype(np.int64)
    nonzero = np.abs(coef).max(axis=1) > 0
    cols, coef = cols[nonzero], coef[nonzero]
    model = LinearTextModel(
        cfg,
        labels,
        cols,
        coef,
        idf[cols],
        intercept,
        lexicon,
        f"salon-{task}",
        idf_unseen=unseen,
        toxicity=toxicity,
    )
    probs = model.predict_proba(va_texts)
    report = classification_report(y_va, probs.argmax(axis=1), labels)
    report.update(figures)
    report["members"] = member_report
    report["decision_offsets"] = [round(float(x), 4) for x in offsets]
    report["offsets_tuned_on"] = spec.offsets
    report["metric"] = spec.metric
    _log(f"{task}: saved-model val {spec.metric} {report[spec.metric]}", start)
    return model, cols, coef, idf[cols], report


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

    from nlp.textcat.lexicon import load_toxicity_lexicon, load_vader_lexicon

    start = time.monotonic()
    out: Path = args.out or MODELS_DIR / args.task
    out.mkdir(parents=True, exist_ok=True)
    lexicon = load_vader_lexicon()
    subtasks = ["sentiment"] if args.task == "sentiment" else ["offensive", "hate"]
    needs_toxicity = any(SPECS[t].features.toxicity for t in subtasks)
    toxicity = load_toxicity_lexicon() if needs_toxicity else None
    metrics: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for sub in subtasks:
        folder = args.data if args.task == "sentiment" else args.data / sub
        model, cols, coef, idf, report = train_task(sub, folder, lexicon, start, toxicity=toxicity)
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
                "splits": (
                    "train for fitting; 5-fold cross-validation on train for member weights "
                    "and decision offsets (sentiment: offsets re-tuned on val); val to report"
                ),
                "tasks": subtasks,
            },
            "lexicons": ["VADER (MIT)"]
            + (["alt-profanity-check word weights (MIT)"] if toxicity is not None else []),
            "command": command,
            "metrics_val": {
                sub: {m: metrics[sub][m] for m in ("macro_recall", "macro_f1", "accuracy")}
                for sub in subtasks
            },
            "metrics_cv": {
                sub: {m: metrics[sub][m] for m in (f"cv_{SPECS[sub].metric}",)} for sub in subtasks
            },
            "features": SPECS[subtasks[0]].features.to_dict(),
            **(
                {
                    "flag_thresholds": {sub: metrics[sub]["flag_threshold"] for sub in subtasks},
                    "flag_thresholds_note": (
                        f"lowest probability with {FLAG_PRECISION:.0%} precision in "
                        "cross-validation on train; 0.5 is the macro-F1 decision point"
                    ),
                }
                if args.task == "abuse"
                else {}
            ),
            "date": dt.date.today().isoformat(),
            "python": platform.python_version(),
            "train_seconds": round(time.monotonic() - start, 1),
        },
    )
    _log(f"done: {out}", start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
