"""Multi-label scores: per-label precision, recall and F1, with micro and macro averages."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from nlp.intent import INTENTS

__all__ = ["Predictor", "evaluate_predictor", "multilabel_report"]

Predictor = Callable[[Sequence[str]], Sequence[Collection[str]]]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def multilabel_report(
    gold: Sequence[Collection[str]],
    predicted: Sequence[Collection[str]],
    labels: Sequence[str] = INTENTS,
) -> dict[str, Any]:
    """``n``, ``per_label`` (precision, recall, f1, support, predicted), ``micro``, ``macro``
    (unweighted mean of the per-label figures), ``macro_f1`` and ``exact_match`` (share of posts
    whose whole label set is right). Labels outside ``labels`` are ignored."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold label sets but {len(predicted)} predictions")
    per_label: dict[str, dict[str, Any]] = {}
    totals = [0, 0, 0]
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted, strict=True))
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        per_label[label] = {**_prf(tp, fp, fn), "support": tp + fn, "predicted": tp + fp}
    macro = {
        key: round(sum(row[key] for row in per_label.values()) / max(1, len(labels)), 4)
        for key in ("precision", "recall", "f1")
    }
    wanted = set(labels)
    exact = sum(set(g) & wanted == set(p) & wanted for g, p in zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "per_label": per_label,
        "micro": _prf(*totals),
        "macro": macro,
        "macro_f1": macro["f1"],
        "exact_match": round(exact / len(gold), 4) if gold else 0.0,
    }


def evaluate_predictor(
    predict: Predictor, texts: Sequence[str], gold: Sequence[Collection[str]]
) -> dict[str, Any]:
    """Score ``predict`` (texts -> one label set per text) against ``gold``."""
    predicted = predict(list(texts))
    if len(predicted) != len(texts):
        raise ValueError(f"the predictor returned {len(predicted)} label sets for {len(texts)}")
    return multilabel_report(gold, predicted)
