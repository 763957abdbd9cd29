"""Intent detection: quality on the labelled test split and posts/s on one core.

    .venv/bin/python bench/bench_intent.py

Quality (per-label precision/recall/F1, macro-F1) on ``nlp/data/intent/test.jsonl`` of the
shipped pipeline (cues) and of the same pipeline with the trained intent model
(``salon_intent`` with ``use_model``). Speed on the labelled posts of both splits, each made
unique with a ``#n`` tail (so no cache helps), repeated to 20,000 posts, pinned to one core and
timed in CPU time (``time.process_time``, so other processes on the machine matter less): the
pipeline up to ``salon_sentiment``; ``salon_intent`` alone (its ``pipe`` over docs that already
went through the components before it); the whole shipped pipeline (``Classifier``). Targets:
intent alone at least 10,000 posts/s; the whole shipped pipeline at least 2,000 posts/s.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json
import sys
import time
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nlp.components  # noqa: E402, F401  (registers the factories)
from nlp.intent import DATA_DIR, INTENTS  # noqa: E402
from nlp.intent.data import read_examples  # noqa: E402
from nlp.intent.evaluate import predicted_intents  # noqa: E402
from nlp.intent.metrics import multilabel_report  # noqa: E402
from nlp.pipeline import Classifier  # noqa: E402

ORDER = ("salon_normalize", "salon_language", "salon_topics", "salon_sentiment", "salon_intent")
N_POSTS = 20_000


def pipeline(last: str, use_model: bool = False) -> Language:
    """Blank ``xx`` pipeline with the Salon components up to ``last``."""
    nlp = spacy.blank("xx")
    for name in ORDER[: ORDER.index(last) + 1]:
        config = {"use_model": use_model} if name == "salon_intent" else {}
        nlp.add_pipe(name, config=config)
    return nlp


def rate(nlp: Language, texts: list[str], rounds: int = 3) -> float:
    """Best posts/s of ``rounds`` passes of ``nlp.pipe`` over ``texts``."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for _doc in nlp.pipe(texts, batch_size=256):
            pass
        best = max(best, len(texts) / (time.process_time() - start))
    return best


def component_rate(component: Any, docs: list[Doc], rounds: int = 3) -> float:
    """Best posts/s of ``rounds`` passes of one component over already processed docs."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for _doc in component.pipe(iter(docs), batch_size=256):
            pass
        best = max(best, len(docs) / (time.process_time() - start))
    return best


def quality(nlp: Language, path: Path) -> dict[str, Any]:
    """Per-label figures of ``nlp``'s ``doc._.intents`` on a labelled file."""
    examples = read_examples(path)
    docs = list(nlp.pipe([e.text for e in examples]))
    predicted = [predicted_intents(doc._.intents) for doc in docs]
    return multilabel_report([e.intents for e in examples], predicted)


def main() -> None:
    """Print the quality and speed tables."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    systems = {"cues (shipped)": False, "cues + trained model": True}
    print(f"## quality on {DATA_DIR / 'test.jsonl'}\n")
    print("| system | " + " | ".join(f"{i} P / R" for i in INTENTS) + " | macro-F1 |")
    print("|---|" + "---:|" * (len(INTENTS) + 1))
    for label, use_model in systems.items():
        report = quality(pipeline("salon_intent", use_model), DATA_DIR / "test.jsonl")
        cells = [
            f"{report['per_label'][i]['precision']:.2f} / {report['per_label'][i]['recall']:.2f}"
            for i in INTENTS
        ]
        print(f"| {label} | " + " | ".join(cells) + f" | {report['macro_f1']:.3f} |")
    posts = [e.text for split in ("train", "test") for e in read_examples(DATA_DIR, split)]
    texts = [f"{posts[i % len(posts)]} #{i}" for i in range(N_POSTS)]
    upstream = pipeline("salon_sentiment")
    docs = list(upstream.pipe(texts, batch_size=256))
    print(f"\n## speed ({len(texts)} posts, one core, CPU time)\n")
    print("| pipeline | posts/s |\n|---|---:|")
    print(f"| up to salon_sentiment | {rate(upstream, texts):,.0f} |")
    for label, use_model in systems.items():
        component = pipeline("salon_intent", use_model).get_pipe("salon_intent")
        print(f"| salon_intent alone, {label} | {component_rate(component, docs):,.0f} |")
    classifier = Classifier()
    classifier.analyse(texts[:64])
    start = time.process_time()
    classifier.analyse(texts)
    whole = len(texts) / (time.process_time() - start)
    print(f"| whole shipped pipeline (`Classifier`, {classifier.version}) | {whole:,.0f} |")
    print("\n" + json.dumps({"posts": len(texts), "whole_pipeline_posts_per_s": round(whole)}))


if __name__ == "__main__":
    main()
