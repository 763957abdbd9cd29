"""spaCy component, evaluate CLI output, metrics, and training on a tiny synthetic set."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import spacy

import nlp.textcat  # noqa: F401  (registers the factory)
from nlp.textcat import evaluate, train
from nlp.textcat.metrics import classification_report, macro_f1, macro_recall
from nlp.textcat.model import load_textcat

TWEETS = [
    "I love this museum, what a wonderful exhibition!",
    "This is the worst experience ever, I hate it.",
    "The museum opens at 10am on Tuesday.",
    "You are a fucking idiot",
]


def test_component_sets_extension_for_each_doc() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("salon_textcat", config={"task": "sentiment"})
    nlp.add_pipe("salon_textcat", name="abuse", config={"task": "abuse"})
    docs = list(nlp.pipe(TWEETS, batch_size=3))
    for doc in docs:
        sent = doc._.textcat_sentiment
        assert set(sent) == {"negative", "neutral", "positive"}
        assert abs(sum(sent.values()) - 1.0) < 1e-6
        abuse = doc._.textcat_abuse
        assert set(abuse) == {"abusive", "not-abusive", "offensive", "hate"}
        assert 0.0 <= abuse["abusive"] <= 1.0
    assert max(docs[0]._.textcat_sentiment, key=docs[0]._.textcat_sentiment.get) == "positive"
    assert max(docs[1]._.textcat_sentiment, key=docs[1]._.textcat_sentiment.get) == "negative"
    assert docs[3]._.textcat_abuse["abusive"] > 0.5 > docs[2]._.textcat_abuse["abusive"]
    # single-doc call equals the batched result
    single = nlp(TWEETS[1])._.textcat_sentiment
    assert single == pytest.approx(docs[1]._.textcat_sentiment)


def test_component_can_be_added_twice_and_unknown_task_fails() -> None:
    a = spacy.blank("en")
    a.add_pipe("salon_textcat", config={"task": "hate"})
    b = spacy.blank("en")
    b.add_pipe("salon_textcat", config={"task": "hate"})
    assert b("hello")._.textcat_hate is not None
    with pytest.raises(ValueError, match="unknown task"):
        spacy.blank("en").add_pipe("salon_textcat", config={"task": "nope"})


def test_metrics_against_hand_computed_values() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    # recalls 1/2, 2/2, 1/2 ; precisions 1/2, 2/3, 1/1
    assert macro_recall(y, p) == pytest.approx((0.5 + 1 + 0.5) / 3)
    f1s = [2 * 0.5 * 0.5 / 1.0, 2 * (2 / 3) * 1 / (2 / 3 + 1), 2 * 1 * 0.5 / 1.5]
    assert macro_f1(y, p) == pytest.approx(sum(f1s) / 3)
    rep = classification_report(y, p, ["neg", "neu", "pos"])
    assert rep["per_label"]["neu"]["precision"] == pytest.approx(0.6667, abs=1e-4)
    assert rep["accuracy"] == pytest.approx(4 / 6, abs=1e-4)


def test_evaluate_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = tmp_path / "t.txt"
    labels = tmp_path / "l.txt"
    texts.write_text("\n".join(TWEETS[:3]) + "\n", encoding="utf-8")
    labels.write_text("2\n0\n1\n")
    assert (
        evaluate.main(["--task", "sentiment", "--texts", str(texts), "--labels", str(labels)]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    for key in (
        "task",
        "n",
        "macro_recall",
        "macro_f1",
        "accuracy",
        "per_label",
        "docs_per_second",
    ):
        assert key in out
    assert out["task"] == "sentiment" and out["n"] == 3
    assert set(out["per_label"]) == {"negative", "neutral", "positive"}
    assert set(out["per_label"]["negative"]) == {"precision", "recall", "f1", "support"}
    assert out["per_label"]["positive"]["support"] == 1
    assert out["accuracy"] == 1.0 and out["docs_per_second"] > 0


def test_evaluate_rejects_mismatched_files(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("a\nb\n")
    (tmp_path / "l.txt").write_text("1\n")
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        evaluate.main(
            [
                "--task",
                "hate",
                "--texts",
                str(tmp_path / "t.txt"),
                "--labels",
                str(tmp_path / "l.txt"),
            ]
        )


def _write_split(folder: Path, names: list[str], rows: dict[str, list[tuple[str, int]]]) -> None:
    folder.mkdir(parents=True)
    (folder / "mapping.txt").write_text("".join(f"{i}\t{n}\n" for i, n in enumerate(names)))
    for split, data in rows.items():
        (folder / f"{split}_text.txt").write_text("".join(t + "\n" for t, _ in data))
        (folder / f"{split}_labels.txt").write_text("".join(f"{y}\n" for _, y in data))


def _synthetic(words: list[list[str]], n: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    filler = ["the", "museum", "today", "visit", "we", "gallery", "and", "it", "was"]
    rows = []
    for i in range(n):
        label = i % len(words)
        toks = rng.sample(filler, 4) + rng.sample(words[label], 2)
        rng.shuffle(toks)
        rows.append((" ".join(toks), label))
    return rows


def test_train_sentiment_on_tiny_synthetic_set(tmp_path: Path) -> None:
    cues = [["zorg", "blick", "vump"], ["plain", "tuesday", "hours"], ["quix", "yarp", "fleem"]]
    data = tmp_path / "sent"
    _write_split(
        data,
        ["negative", "neutral", "positive"],
        {"train": _synthetic(cues, 90, 1), "val": _synthetic(cues, 30, 2)},
    )
    out = tmp_path / "model"
    assert train.main(["--task", "sentiment", "--data", str(data), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["sentiment"]
    assert metrics["macro_recall"] > 0.9
    meta = json.loads((out / "meta.json").read_text())
    assert meta["command"].startswith("python -m nlp.textcat.train --task sentiment")
    model = load_textcat("sentiment", out)
    pred = model.predict_proba(["zorg blick at the museum", "quix fleem today"]).argmax(axis=1)
    assert pred.tolist() == [0, 2]


def test_train_abuse_on_tiny_synthetic_set(tmp_path: Path) -> None:
    cues = [["calm", "nice", "kind"], ["grr", "blarg", "snark"]]
    for sub, names in (
        ("offensive", ["not-offensive", "offensive"]),
        ("hate", ["not-hate", "hate"]),
    ):
        _write_split(
            tmp_path / "data" / sub,
            names,
            {"train": _synthetic(cues, 60, 3), "val": _synthetic(cues, 20, 4)},
        )
    out = tmp_path / "abuse"
    assert train.main(["--task", "abuse", "--data", str(tmp_path / "data"), "--out", str(out)]) == 0
    assert (out / "offensive.npz").exists() and (out / "hate.npz").exists()
    model = load_textcat("abuse", out)
    probs = model.predict_proba(["grr blarg museum", "calm kind visit"])[:, 1]
    assert probs[0] > 0.5 > probs[1]
