"""Classification metrics in numpy (no scikit-learn at run time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_report", "macro_f1", "macro_recall"]


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _prf(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1


def macro_recall(y_true: np.ndarray, y_pred: np.ndarray, k: int | None = None) -> float:
    """Unweighted mean of per-class recall (TweetEval's sentiment metric)."""
    k = k or int(max(y_true.max(), y_pred.max())) + 1
    return float(_prf(_confusion(y_true, y_pred, k))[1].mean())


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int | None = None) -> float:
    """Unweighted mean of per-class F1 (TweetEval's offensive and hate metric)."""
    k = k or int(max(y_true.max(), y_pred.max())) + 1
    return float(_prf(_confusion(y_true, y_pred, k))[2].mean())


def classification_report(
    y_true: np.ndarray, y_pred: np.ndarray, label_names: Sequence[str]
) -> dict[str, Any]:
    """n, macro_recall, macro_f1, accuracy and per-label precision/recall/f1/support."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    k = len(label_names)
    cm = _confusion(y_true, y_pred, k)
    precision, recall, f1 = _prf(cm)
    support = cm.sum(axis=1)
    return {
        "n": int(y_true.shape[0]),
        "macro_recall": round(float(recall.mean()), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "accuracy": round(float(np.trace(cm) / max(1, cm.sum())), 4),
        "per_label": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, name in enumerate(label_names)
        },
    }
