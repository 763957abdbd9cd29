"""``salon nlp train --task topics``: fit the correction-trained topic model and measure it.

``DATA`` is a folder with ``train.jsonl`` (labelled posts, see :mod:`nlp.topic_model`) and
optionally ``val.jsonl``; without it a fixed 20 % of ``train.jsonl`` (by a hash of the text) is
held out to measure, and the shipped model is then refitted on everything. The held-out figures
compare the taxonomy matcher alone with matcher plus model, on the topics the model learned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from config.taxonomy import Taxonomy
from nlp.errors import NlpDataError
from nlp.intent.metrics import multilabel_report
from nlp.pipeline import build_pipeline
from nlp.topic_model import (
    MIN_EXAMPLES,
    TopicExample,
    TopicModel,
    fit_topic_model,
    read_examples,
    split_holdout,
)

Progress = Callable[[str], None]


def matcher_topics(taxonomy: Taxonomy, texts: Sequence[str], min_score: float) -> list[set[str]]:
    """Topics at or above ``min_score`` from the taxonomy matcher alone."""
    nlp = build_pipeline(taxonomy, trained=False)
    return [
        {k for k, v in (doc._.topics or {}).items() if v >= min_score} for doc in nlp.pipe(texts)
    ]


def with_model(
    found: Sequence[set[str]], model: TopicModel, texts: Sequence[str]
) -> list[set[str]]:
    """``found`` plus the topics ``model`` gives at least 0.5 (as ``salon_topic_model`` does)."""
    rows = model.predict_proba(texts)
    return [
        topics | {t for t, p in zip(model.topics, row, strict=True) if p >= 0.5}
        for topics, row in zip(found, rows, strict=True)
    ]


def train_topics(
    data: Path,
    out: Path,
    taxonomy: Taxonomy,
    *,
    min_examples: int = MIN_EXAMPLES,
    min_score: float = 0.3,
    progress: Progress = lambda _: None,
) -> dict[str, Any]:
    """Train, measure and write the topic model to ``out``; return the metrics."""
    train_file, val_file = data / "train.jsonl", data / "val.jsonl"
    if not data.is_dir():
        raise NlpDataError(f"{data}: not a folder (expected train.jsonl and maybe val.jsonl)")
    keys = list(taxonomy.topics)
    progress("reading labelled posts")
    examples = read_examples(train_file, keys)
    held_out_internally = not val_file.is_file()
    if held_out_internally:
        train, held = split_holdout(examples)
    else:
        train, held = examples, read_examples(val_file, keys)
    version = _version(train_file)
    progress(f"fitting on {len(train)} posts")
    model = fit_topic_model(train, min_examples, version)
    progress(f"measuring on {len(held)} held-out posts")
    metrics = _measure(taxonomy, model, held, min_score)
    if held_out_internally and held:
        progress(f"refitting on all {len(examples)} posts")
        model = fit_topic_model(examples, min_examples, version)
    metrics |= {
        "topics_learned": list(model.topics),
        "train_posts": len(examples) if held_out_internally else len(train),
        "held_out": "20% of train.jsonl" if held_out_internally else "val.jsonl",
    }
    meta = {
        "name": "salon-topics",
        "version": version,
        "task": "topics",
        "topics": list(model.topics),
        "taxonomy": taxonomy.fingerprint(),
        "min_examples": min_examples,
        "trained": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    model.save(out, meta)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    progress(f"wrote {out}")
    return metrics


def _measure(
    taxonomy: Taxonomy, model: TopicModel, held: Sequence[TopicExample], min_score: float
) -> dict[str, Any]:
    if not held:
        return {"held_out_posts": 0, "note": "no held-out posts: nothing measured"}
    texts = [example.text for example in held]
    truth = [example.topics for example in held]
    alone = matcher_topics(taxonomy, texts, min_score)
    combined = with_model(alone, model, texts)
    return {
        "held_out_posts": len(held),
        "matcher": multilabel_report(truth, alone, model.topics),
        "matcher_and_model": multilabel_report(truth, combined, model.topics),
    }


def _version(train_file: Path) -> str:
    digest = hashlib.sha256(train_file.read_bytes()).hexdigest()[:8]
    return f"1.{dt.date.today():%Y%m%d}+{digest}"
