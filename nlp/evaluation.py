"""Evaluate the whole shipped pipeline on a labelled file (``salon nlp evaluate``).

Files are in the TweetEval format: one text per line, one integer label id per line, ids as in
the ``mapping.txt`` of the folder. The texts run through the full pipeline (every component, as
in production) and the figures are those of its verdicts; ``docs_per_second`` is the speed of
the whole pipeline on these texts, not of one component.

* ``sentiment``: ``doc._.sentiment`` (0 negative, 1 neutral, 2 positive);
* ``offensive`` / ``hate``: the trained model's part of ``doc._.textcat_abuse`` at its tuned
  decision point (0.5), or the lexicon's ``doc._.abuse`` in a rules-only pipeline. Under ``flag``
  the same figures for the product's own decision, ``doc._.abuse >= abuse_threshold`` (lexicon
  and model combined, tuned for precision on museum posts; see ``nlp.components.blend``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Doc

from nlp.analysis import ABUSE_THRESHOLD
from nlp.errors import NlpDataError
from nlp.pipeline import Classifier
from nlp.textcat.data import read_label_names, read_lines
from nlp.textcat.metrics import classification_report

TASK_LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "offensive": ("not-offensive", "offensive"),
    "hate": ("not-hate", "hate"),
}
EVALUATION_TASKS = tuple(TASK_LABELS)


def read_labelled(texts_file: Path, labels_file: Path, task: str) -> tuple[list[str], np.ndarray]:
    """Texts and label ids from a TweetEval-style pair of files, checked line by line."""
    if task not in TASK_LABELS:
        raise NlpDataError(f"unknown task {task!r}; choose one of {', '.join(TASK_LABELS)}")
    for path in (texts_file, labels_file):
        if not path.is_file():
            raise NlpDataError(f"{path}: no such file")
    texts = read_lines(texts_file)
    lines = read_lines(labels_file)
    if len(texts) != len(lines):
        raise NlpDataError(
            f"{texts_file} has {len(texts)} lines but {labels_file} has {len(lines)}; "
            "give one label per text"
        )
    names = TASK_LABELS[task]
    mapping = labels_file.parent / "mapping.txt"
    if mapping.is_file() and tuple(read_label_names(labels_file.parent)) != names:
        raise NlpDataError(
            f"{mapping}: labels {read_label_names(labels_file.parent)} do not match task "
            f"{task!r}, which expects {list(names)} (ids 0..{len(names) - 1})"
        )
    labels = np.empty(len(lines), dtype=np.int64)
    for number, line in enumerate(lines, start=1):
        value = line.strip()
        if not value.isdigit() or int(value) >= len(names):
            raise NlpDataError(
                f"{labels_file}:{number}: label {value!r} is not one of the ids "
                f"0..{len(names) - 1} ({', '.join(names)})"
            )
        labels[number - 1] = int(value)
    return texts, labels


def predictions(task: str, docs: Sequence[Doc]) -> np.ndarray:
    """The pipeline's verdict per doc as label ids of ``task``."""
    if task == "sentiment":
        order = TASK_LABELS["sentiment"]
        return np.array([order.index(doc._.sentiment or "neutral") for doc in docs])
    scores = []
    for doc in docs:
        parts = doc._.get("textcat_abuse") if doc.has_extension("textcat_abuse") else None
        scores.append(parts[task] if parts else float(doc._.abuse or 0.0))
    return (np.array(scores) >= 0.5).astype(np.int64)


def evaluate_pipeline(
    task: str,
    texts: Sequence[str],
    labels: np.ndarray,
    classifier: Classifier | None = None,
    abuse_threshold: float = ABUSE_THRESHOLD,
) -> dict[str, Any]:
    """Quality and speed of the whole pipeline on ``texts`` against ``labels``."""
    classifier = classifier or Classifier()
    list(classifier.pipe(texts))  # a first pass loads every language's tables before timing
    start = time.perf_counter()
    docs = list(classifier.pipe(texts))
    elapsed = time.perf_counter() - start
    result: dict[str, Any] = {
        "task": task,
        "pipeline": f"{classifier.name} {classifier.version}",
        **classification_report(labels, predictions(task, docs), TASK_LABELS[task]),
        "docs_per_second": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
    }
    if task != "sentiment":
        flags = np.array([float(doc._.abuse or 0.0) >= abuse_threshold for doc in docs])
        flag = classification_report(labels, flags.astype(np.int64), TASK_LABELS[task])
        result["flag"] = {"abuse_threshold": abuse_threshold, **flag}
    return result
