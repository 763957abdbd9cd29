"""Benchmark the shipped classifiers against VADER and a TF-IDF + logistic regression baseline.

    python bench/bench_classifiers.py --data ../shared/data/tweeteval

In one process, pinned to one core (``os.sched_setaffinity``, ``OMP_NUM_THREADS=1``), on the
same val texts: quality (macro recall, macro-F1, accuracy) and throughput (posts/s) of

* the whole shipped pipeline (``nlp.pipeline.Classifier``: every component, the verdict
  ``salon nlp evaluate`` scores);
* the shipped models (``load_textcat``) and the ``salon_textcat`` spaCy component inside
  ``nlp.pipe`` over a blank English pipeline (component time = pipe time - blank pipe time);
* VADER (compound >= 0.05 positive, <= -0.05 negative; sentiment only);
* TF-IDF word 1-2-grams + char 2-5-grams with logistic regression, trained here on train.

Writes a Markdown table to stdout and to ``bench/results/classifiers.md``. Needs scikit-learn
and vaderSentiment (benchmark only; the shipped models do not).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlp.textcat.data import read_label_names, read_split  # noqa: E402
from nlp.textcat.features import forget_last_batch  # noqa: E402
from nlp.textcat.metrics import classification_report  # noqa: E402
from nlp.textcat.model import load_textcat  # noqa: E402

TASKS = ("sentiment", "offensive", "hate")
RESULTS = ROOT / "bench" / "results" / "classifiers.md"


def _timed(fn: Callable[[list[str]], Any], texts: list[str], repeat: int) -> tuple[Any, float]:
    fn(texts[:16])
    best = float("inf")
    out = None
    for _ in range(repeat):
        forget_last_batch()  # a repeat must not reuse the previous one's features
        start = time.process_time()  # CPU time: the development machine is shared
        out = fn(texts)
        best = min(best, time.process_time() - start)
    return out, len(texts) / best


def _row(
    system: str, task: str, y: np.ndarray, pred: np.ndarray, labels: Sequence[str], speed: float
) -> dict[str, Any]:
    rep = classification_report(y, pred, labels)
    return {
        "system": system,
        "task": task,
        "macro_recall": rep["macro_recall"],
        "macro_f1": rep["macro_f1"],
        "accuracy": rep["accuracy"],
        "posts_per_s": speed,
    }


def bench_shipped(task: str, texts: list[str], y: np.ndarray, repeat: int) -> dict[str, Any]:
    """The shipped model through its library API."""
    model = load_textcat(task)
    probs, speed = _timed(model.predict_proba, texts, repeat)
    return _row(
        f"salon {model.name} {model.version}", task, y, probs.argmax(axis=1), model.labels, speed
    )


def bench_pipeline(
    task: str, texts: list[str], y: np.ndarray, labels: Sequence[str], repeat: int
) -> dict[str, Any]:
    """The whole shipped pipeline (every component, as ``salon nlp evaluate`` runs it)."""
    from nlp.evaluation import predictions
    from nlp.pipeline import Classifier

    classifier = Classifier()
    docs, speed = _timed(lambda t: list(classifier.pipe(t)), texts, repeat)
    system = f"salon whole pipeline {classifier.version}"
    return _row(system, task, y, predictions(task, docs), labels, speed)


def bench_component(task: str, texts: list[str], repeat: int) -> tuple[float, float]:
    """posts/s of a blank English ``nlp.pipe`` and of the same pipe plus ``salon_textcat``."""
    import spacy

    import nlp.textcat  # noqa: F401  (registers the factory)

    blank = spacy.blank("en")
    with_cat = spacy.blank("en")
    with_cat.add_pipe("salon_textcat", config={"task": task})
    _, blank_speed = _timed(lambda t: list(blank.pipe(t, batch_size=256)), texts, repeat)
    _, full_speed = _timed(lambda t: list(with_cat.pipe(t, batch_size=256)), texts, repeat)
    return blank_speed, full_speed


def bench_vader(
    texts: list[str], y: np.ndarray, labels: Sequence[str], repeat: int
) -> dict[str, Any]:
    """VADER with the usual +-0.05 compound thresholds."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def run(batch: list[str]) -> np.ndarray:
        comp = np.array([analyzer.polarity_scores(t)["compound"] for t in batch])
        return np.where(comp >= 0.05, 2, np.where(comp <= -0.05, 0, 1))

    pred, speed = _timed(run, texts, repeat)
    return _row("VADER (compound +-0.05)", "sentiment", y, pred, labels, speed)


def bench_tfidf(
    task: str, folder: Path, texts: list[str], y: np.ndarray, labels: Sequence[str], repeat: int
) -> dict[str, Any]:
    """TF-IDF word 1-2 + char 2-5 n-grams, logistic regression (C=2, balanced), fit on train."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    tr_texts, y_tr = read_split(folder, "train")
    pipe = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        ),
        LogisticRegression(C=2.0, max_iter=300, class_weight="balanced"),
    )
    start = time.perf_counter()
    pipe.fit(tr_texts, y_tr)
    fit_s = time.perf_counter() - start
    pred, speed = _timed(pipe.predict, texts, repeat)
    row = _row("TF-IDF word+char + LogReg (bench-trained)", task, y, pred, labels, speed)
    row["note"] = f"fit {fit_s:.0f}s"
    return row


def to_markdown(
    rows: list[dict[str, Any]], comp: dict[str, tuple[float, float]], header: str
) -> str:
    """Render the results as Markdown."""
    lines = [
        header,
        "",
        "| task | system | macro recall | macro-F1 | accuracy | posts/s (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['system']} | {r['macro_recall']:.4f} | {r['macro_f1']:.4f} | "
            f"{r['accuracy']:.4f} | {r['posts_per_s']:,.0f} |"
        )
    if comp:
        lines += [
            "",
            "spaCy `nlp.pipe` (blank English tokenizer, batch 256), posts/s:",
            "",
            "| component task | blank pipe | blank + salon_textcat | salon_textcat alone |",
            "|---|---|---|---|",
        ]
        for task, (blank, full) in comp.items():
            alone = 1.0 / max(1e-12, 1.0 / full - 1.0 / blank)
            lines.append(f"| {task} | {blank:,.0f} | {full:,.0f} | {alone:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tweeteval")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rows: list[dict[str, Any]] = []
    comp: dict[str, tuple[float, float]] = {}
    for task in args.tasks:
        folder = args.data / task
        texts, y = read_split(folder, "val")
        labels = read_label_names(folder)
        print(f"# {task}: {len(texts)} val texts", file=sys.stderr, flush=True)
        rows.append(bench_pipeline(task, texts, y, labels, args.repeat))
        rows.append(bench_shipped(task, texts, y, args.repeat))
        comp[task] = bench_component(task, texts, args.repeat)
        if task == "sentiment":
            rows.append(bench_vader(texts, y, labels, args.repeat))
        if not args.no_baseline:
            rows.append(bench_tfidf(task, folder, texts, y, labels, args.repeat))
    if "offensive" in args.tasks or "hate" in args.tasks:
        texts, _ = read_split(args.data / "offensive", "val")
        comp["abuse"] = bench_component("abuse", texts, args.repeat)
    header = (
        f"# Classifier benchmark (TweetEval val, one core, Python {platform.python_version()}, "
        f"{platform.machine()})"
    )
    table = to_markdown(rows, comp, header)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
