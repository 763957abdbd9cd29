"""Evaluate a shipped (or given) classifier on a labelled text file; prints one JSON object.

    python -m nlp.textcat.evaluate --task sentiment \\
        --texts ../shared/data/tweeteval/sentiment/val_text.txt \\
        --labels ../shared/data/tweeteval/sentiment/val_labels.txt

Labels are integer ids, one per line, in the model's label order (TweetEval's mapping).
Output keys: task, model, version, n, macro_recall, macro_f1, accuracy, per_label
(precision/recall/f1/support per label name), docs_per_second.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.textcat.data import read_lines
from nlp.textcat.metrics import classification_report
from nlp.textcat.model import load_textcat

__all__ = ["evaluate", "main"]

EVAL_TASKS = ("sentiment", "offensive", "hate")


def evaluate(
    task: str, texts: Sequence[str], labels: np.ndarray, model_dir: str | Path | None = None
) -> dict[str, Any]:
    """Metrics of ``task``'s model on ``texts`` against integer ``labels``."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    model = load_textcat(task, model_dir)
    model.predict_proba(list(texts[:8]))  # warm up caches before timing
    start = time.perf_counter()
    probs = model.predict_proba(list(texts))
    elapsed = time.perf_counter() - start
    report = classification_report(labels, probs.argmax(axis=1), model.labels)
    return {
        "task": task,
        "model": model.name,
        "version": model.version,
        **report,
        "docs_per_second": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m nlp.textcat.evaluate", description=__doc__)
    parser.add_argument("--task", required=True, choices=EVAL_TASKS)
    parser.add_argument("--texts", required=True, type=Path, help="one text per line")
    parser.add_argument("--labels", required=True, type=Path, help="one integer label per line")
    parser.add_argument("--model-dir", type=Path, help="model folder (default: shipped one)")
    args = parser.parse_args(argv)
    texts = read_lines(args.texts)
    labels = np.array([int(x) for x in read_lines(args.labels) if x.strip()], dtype=np.int64)
    print(json.dumps(evaluate(args.task, texts, labels, args.model_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
