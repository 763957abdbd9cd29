"""Evaluate the shipped pipeline's intents on a labelled JSONL split; prints one JSON object.

    python -m nlp.intent.evaluate [--data nlp/data/intent/test.jsonl] [--threshold 0.5]

The texts run through the whole pipeline (as in production) and an intent counts as predicted
when its score in ``Analysis.intents`` reaches the threshold (the rules' default
``nlp.min_intent_score``). Output keys: task, pipeline, threshold, n, per_label, micro, macro,
macro_f1, exact_match, docs_per_second (speed of the whole pipeline on these texts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.errors import NlpError
from nlp.intent import DATA_DIR, INTENTS, THRESHOLD
from nlp.intent.data import read_examples
from nlp.intent.metrics import multilabel_report

if TYPE_CHECKING:
    from nlp.pipeline import Classifier

__all__ = ["evaluate_intent", "main", "predicted_intents"]


def predicted_intents(scores: dict[str, float], threshold: float = THRESHOLD) -> set[str]:
    """The intents whose score reaches ``threshold``."""
    return {name for name in INTENTS if scores.get(name, 0.0) >= threshold}


def evaluate_intent(
    path: str | Path = DATA_DIR,
    threshold: float = THRESHOLD,
    classifier: Classifier | None = None,
) -> dict[str, Any]:
    """Per-label and averaged figures of the shipped pipeline on a JSONL file (or on
    ``test.jsonl`` of a folder; default: the bundled test split)."""
    from nlp.pipeline import Classifier  # heavy: only when evaluating

    examples = read_examples(path)
    texts = [example.text for example in examples]
    classifier = classifier or Classifier()
    classifier.analyse(texts)  # a first pass loads every language's tables before timing
    start = time.perf_counter()
    analyses = classifier.analyse(texts)
    elapsed = time.perf_counter() - start
    predicted = [predicted_intents(a.intents, threshold) for a in analyses]
    return {
        "task": "intent",
        "pipeline": f"{classifier.name} {classifier.version}",
        "threshold": threshold,
        **multilabel_report([e.intents for e in examples], predicted),
        "docs_per_second": round(len(texts) / elapsed, 1) if elapsed > 0 else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m nlp.intent.evaluate", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="JSONL file or folder")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(evaluate_intent(args.data, args.threshold)))
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
