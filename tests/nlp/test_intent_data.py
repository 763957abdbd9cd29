"""The labelled intent posts, their reader, the multi-label metrics and ``evaluate_intent``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.errors import NlpDataError
from nlp.intent import DATA_DIR, INTENTS
from nlp.intent.data import read_examples
from nlp.intent.evaluate import evaluate_intent, main, predicted_intents
from nlp.intent.metrics import evaluate_predictor, multilabel_report
from tests.nlp.pipelines import classifier


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def test_dataset_size_labels_and_languages() -> None:
    train, test = read_examples(DATA_DIR, "train"), read_examples(DATA_DIR, "test")
    everything = train + test
    assert len(everything) >= 400
    counts = Counter(label for example in everything for label in example.intents)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 30, counts
    for split in (train, test):  # every label is represented in both splits
        assert set(INTENTS) <= {label for example in split for label in example.intents}
    assert 0.6 <= len(train) / len(everything) <= 0.8
    assert any(not example.intents for example in everything)  # none-of-the-above posts
    languages = Counter(example.lang for example in everything)
    assert {"fr", "de", "es", "it", "nl"} <= set(languages)
    assert 0.08 <= 1 - languages["en"] / len(everything) <= 0.2


def test_no_text_in_both_splits_or_twice() -> None:
    train = [_key(e.text) for e in read_examples(DATA_DIR, "train")]
    test = [_key(e.text) for e in read_examples(DATA_DIR, "test")]
    assert not set(train) & set(test)
    assert len(set(train)) == len(train) and len(set(test)) == len(test)


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"text": "", "intents": []}', "'text' must be a non-empty string"),
        ('{"text": "hi", "intents": "question"}', "'intents' must be a list"),
        ('{"text": "hi", "intents": ["quesiton"]}', "unknown intent(s) 'quesiton'"),
        ('["hi"]', "expected an object"),
    ],
)
def test_bad_lines_name_file_line_and_fix(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, ['{"text": "ok", "intents": []}', line])
    with pytest.raises(NlpDataError) as error:
        read_examples(path)
    assert f"{path}:2" in str(error.value)
    assert message in str(error.value)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(NlpDataError, match="no such file"):
        read_examples(tmp_path / "nothing.jsonl")
    with pytest.raises(NlpDataError, match="no examples"):
        read_examples(_write(tmp_path, [""]))


def test_multilabel_report_by_hand() -> None:
    gold = [{"question"}, {"question", "praise"}, set(), {"complaint"}]
    predicted = [{"question"}, {"praise"}, {"question"}, {"complaint", "praise"}]
    report = multilabel_report(gold, predicted)
    question = report["per_label"]["question"]  # tp 1, fp 1, fn 1
    assert (question["precision"], question["recall"], question["f1"]) == (0.5, 0.5, 0.5)
    assert (question["support"], question["predicted"]) == (2, 2)
    praise = report["per_label"]["praise"]  # tp 1, fp 1, fn 0
    assert (praise["precision"], praise["recall"], praise["f1"]) == (0.5, 1.0, 0.6667)
    assert report["per_label"]["complaint"]["f1"] == 1.0
    assert report["per_label"]["request"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 0,
    }
    # micro: tp 3, fp 2 (question in post 3, praise in post 4), fn 1
    assert report["micro"] == {"precision": 0.6, "recall": 0.75, "f1": 0.6667}
    assert report["macro"]["recall"] == round((0.5 + 1 + 1 + 0 + 0) / 5, 4)
    assert report["macro_f1"] == round((0.5 + 1 + 0.6667) / 5, 4)
    assert report["exact_match"] == 0.25
    assert report["n"] == 4


def test_evaluate_predictor_and_length_mismatch() -> None:
    texts = ["why?", "thanks", "nope"]
    gold = [{"question"}, {"praise"}, set()]
    perfect = evaluate_predictor(lambda ts: [gold[texts.index(t)] for t in ts], texts, gold)
    assert perfect["exact_match"] == 1.0 and perfect["micro"]["f1"] == 1.0
    with pytest.raises(ValueError, match="2 label sets for 3"):
        evaluate_predictor(lambda ts: [set(), set()], texts, gold)


def test_predicted_intents_threshold() -> None:
    scores = {"question": 0.5, "complaint": 0.49, "praise": 0.9}
    assert predicted_intents(scores) == {"question", "praise"}
    assert predicted_intents(scores, 0.6) == {"praise"}


def test_evaluate_intent_on_a_fixture(tmp_path: Path) -> None:
    rows = [
        {"text": "What time do you open on Sunday?", "intents": ["question"]},
        {"text": "Loved the exhibition, thank you so much!", "intents": ["praise"]},
        {"text": "The museum opens at ten.", "intents": []},
    ]
    path = _write(tmp_path, [json.dumps(row) for row in rows])
    result = evaluate_intent(path, classifier=classifier())
    assert result["task"] == "intent" and result["n"] == 3
    assert set(result["per_label"]) == set(INTENTS)
    assert result["per_label"]["question"]["recall"] == 1.0
    assert result["per_label"]["praise"]["recall"] == 1.0
    assert result["exact_match"] == 1.0
    assert result["docs_per_second"] > 0


def test_evaluate_command_reports_bad_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, ['{"text": "hi", "intents": ["nonsense"]}'])
    assert main(["--data", str(path)]) == 2
    assert "unknown intent" in capsys.readouterr().err
