"""Language detection: accuracy on the hand-written samples and posts/s on one core.

    .venv/bin/python bench/bench_language.py

Baseline in the same process: the blank ``xx`` tokenizer with ``salon_normalize`` only, on the
same texts, so the figure shows what detection itself costs. Target: at least 10,000 posts/s and
at least 95 % accuracy on sentences.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlp.components.language import LanguageDetector  # noqa: E402
from tests.nlp.language_samples import SAMPLES  # noqa: E402
from tests.nlp.pipelines import pipeline_up_to  # noqa: E402


def best_rate(pipeline_name: str, texts: list[str], rounds: int = 3) -> float:
    """Best posts/s of ``rounds`` runs of the pipeline up to ``pipeline_name``."""
    nlp = pipeline_up_to(pipeline_name)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _doc in nlp.pipe(texts, batch_size=256):
            pass
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def main() -> None:
    """Print accuracy per language and the throughput table."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    detector = LanguageDetector()
    total = hits = 0
    print("| language | sentences | correct |\n|---|---:|---:|")
    for language, sentences in SAMPLES.items():
        correct = sum(detector.detect(text)[0] == language for text in sentences)
        total, hits = total + len(sentences), hits + correct
        print(f"| {language} | {len(sentences)} | {correct} |")
    print(f"\naccuracy: {hits}/{total} = {hits / total:.3f}\n")
    texts = [f"{text} #{i}" for i in range(80) for group in SAMPLES.values() for text in group]
    baseline = best_rate("salon_normalize", texts)
    detection = best_rate("salon_language", texts)
    print(f"| pipeline ({len(texts)} posts, one core) | posts/s | ratio |\n|---|---:|---:|")
    print(f"| tokenizer + normalize (baseline) | {baseline:,.0f} | 1.00 |")
    print(f"| + salon_language | {detection:,.0f} | {detection / baseline:.2f} |")


if __name__ == "__main__":
    main()
