"""``salon nlp classify`` and ``salon nlp evaluate``: output format and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from nlp.errors import NlpDataError
from nlp.evaluation import read_labelled

runner = CliRunner()
TEXTS = [
    "I love this museum, what a wonderful exhibition!",
    "This is the worst experience ever, I hate it.",
    "The museum opens at 10am on Tuesday.",
    "Loved the late opening, the DJ was great",
    "Queue was chaos and nobody helped, awful",
    "Is the cafe open on Sunday?",
]
LABELS = ["2", "0", "1", "2", "0", "1"]


def write(folder: Path, texts: list[str], labels: list[str], mapping: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "val_text.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (folder / "val_labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    if mapping is not None:
        (folder / "mapping.txt").write_text(mapping, encoding="utf-8")


def evaluate(folder: Path, task: str, *extra: str) -> dict[str, object]:
    result = runner.invoke(
        app,
        [
            *("nlp", "evaluate", "--task", task, "--texts", str(folder / "val_text.txt")),
            *("--labels", str(folder / "val_labels.txt"), *extra),
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert isinstance(out, dict)
    return out


def test_evaluate_prints_one_json_object_with_the_issue_keys(tmp_path: Path) -> None:
    write(tmp_path, TEXTS, LABELS, "0\tnegative\n1\tneutral\n2\tpositive\n")
    out = evaluate(tmp_path, "sentiment")
    for key in ("task", "n", "macro_recall", "macro_f1", "accuracy", "per_label"):
        assert key in out
    assert out["task"] == "sentiment" and out["n"] == len(TEXTS)
    per_label = out["per_label"]
    assert isinstance(per_label, dict) and set(per_label) == {"negative", "neutral", "positive"}
    assert sum(label["support"] for label in per_label.values()) == len(TEXTS)
    assert isinstance(out["docs_per_second"], float) and out["docs_per_second"] > 0
    assert float(out["macro_recall"]) >= 0.5  # these are easy; a broken pipeline scores ~0.33


def test_evaluate_offensive_reports_model_and_product_flag(tmp_path: Path) -> None:
    texts = ["You are a fucking idiot", "What a lovely day at the gallery", "shut up moron"]
    write(tmp_path, texts, ["1", "0", "1"])
    out = evaluate(tmp_path, "offensive")
    flag = out["flag"]
    assert isinstance(flag, dict) and flag["n"] == 3 and flag["abuse_threshold"] == 0.5
    rules = evaluate(tmp_path, "offensive", "--rules-only")
    assert str(rules["pipeline"]).split()[1].split("+")[0].endswith("r")


@pytest.mark.parametrize(
    ("labels", "mapping", "message"),
    [
        (LABELS[:-1], None, "has 6 lines but"),
        ([*LABELS[:-1], "3"], None, "val_labels.txt:6: label '3' is not one of the ids 0..2"),
        ([*LABELS[:-1], "x"], None, "val_labels.txt:6: label 'x'"),
        (LABELS, "0\tnot-hate\n1\thate\n", "do not match task 'sentiment'"),
    ],
)
def test_bad_label_files_get_a_clear_error(
    tmp_path: Path, labels: list[str], mapping: str | None, message: str
) -> None:
    write(tmp_path, TEXTS, labels, mapping)
    with pytest.raises(NlpDataError, match=message):
        read_labelled(tmp_path / "val_text.txt", tmp_path / "val_labels.txt", "sentiment")


def test_missing_file_and_unknown_task(tmp_path: Path) -> None:
    with pytest.raises(NlpDataError, match="no such file"):
        read_labelled(tmp_path / "nope.txt", tmp_path / "nope.txt", "sentiment")
    with pytest.raises(NlpDataError, match="unknown task 'mood'"):
        read_labelled(tmp_path / "nope.txt", tmp_path / "nope.txt", "mood")


def test_classify_prints_the_full_analysis() -> None:
    result = runner.invoke(app, ["nlp", "classify", "What time do you open on Sunday?"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["classifier"] == "salon" and out["language"] == "en"
    assert out["intents"]["question"] >= 0.5
    assert set(out["textcat_sentiment"]) == {"negative", "neutral", "positive"}
    french = runner.invoke(app, ["nlp", "classify", "Quand ouvrez-vous ?", "-l", "fr"])
    assert json.loads(french.stdout)["language"] == "fr"


def test_evaluate_intent_on_a_jsonl_file(tmp_path: Path) -> None:
    rows = [
        {"text": "What time do you open on Sunday?", "intents": ["question"]},
        {"text": "The café was filthy and the staff rude.", "intents": ["complaint"]},
        {"text": "Loved the new wing, thank you!", "intents": ["praise"]},
        {"text": "You should add more benches in gallery 3", "intents": ["suggestion"]},
    ]
    path = tmp_path / "test.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = runner.invoke(app, ["nlp", "evaluate", "--task", "intent", "--data", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["task"] == "intent" and out["n"] == 4
    assert set(out["per_label"]) >= {"question", "complaint", "praise", "suggestion", "request"}
    assert out["per_label"]["question"]["recall"] == 1.0  # an obvious question is found


def test_evaluate_needs_both_files_for_tweeteval_tasks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["nlp", "evaluate", "--task", "offensive"])
    assert result.exit_code != 0
    assert "needs --texts FILE and --labels FILE" in str(result.exception)
