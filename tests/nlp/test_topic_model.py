"""The topic model learned from staff corrections: data checks, training, the component."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import spacy

from config.taxonomy import default_taxonomy
from nlp.errors import NlpDataError
from nlp.pipeline import Classifier
from nlp.topic_model import (
    TopicExample,
    TopicModel,
    fit_topic_model,
    read_examples,
    split_holdout,
)
from nlp.topic_training import train_topics

STREAM = ["webcast", "webcast replay", "stream replay", "replay of the webcast", "web cast"]
OTHER = ["paintings", "sculpture garden", "school trip", "gallery floor", "new wing", "portraits"]
OPENERS = ["will there be a", "loved the", "where can I find the", "any news on the", "is the"]


def corrections(count: int, seed: int = 3) -> list[dict[str, object]]:
    """Posts about streams labelled ``digital`` (words the taxonomy does not list) and others."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(count):
        streamy = i % 2 == 0
        thing = rng.choice(STREAM if streamy else OTHER)
        text = f"{rng.choice(OPENERS)} {thing} {rng.choice(['?', '!', ' today', ' soon'])} #{i}"
        rows.append({"text": text, "topics": ["digital"] if streamy else []})
    return rows


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("topics")
    write_jsonl(folder / "data" / "train.jsonl", corrections(120))
    metrics = train_topics(folder / "data", folder / "model", default_taxonomy())
    return folder / "model", metrics


def test_training_learns_a_topic_the_matcher_misses(
    trained: tuple[Path, dict[str, object]],
) -> None:
    folder, metrics = trained
    assert metrics["topics_learned"] == ["digital"]
    combined, alone = metrics["matcher_and_model"], metrics["matcher"]
    assert isinstance(combined, dict) and isinstance(alone, dict)
    assert combined["micro"]["f1"] > alone["micro"]["f1"]
    assert combined["per_label"]["digital"]["recall"] >= 0.8
    model = TopicModel.load(folder)
    p_stream, p_other = model.predict_proba(["any news on the webcast?", "loved the portraits"])
    assert p_stream[0] > 0.5 > p_other[0]
    assert json.loads((folder / "meta.json").read_text())["version"].startswith("1.")


def test_the_component_adds_confident_topics_to_the_matchers(
    trained: tuple[Path, dict[str, object]],
) -> None:
    folder, _ = trained
    with_model = Classifier(trained=False, topic_model=folder)
    plain = Classifier(trained=False)
    assert with_model.version != plain.version
    text = "will there be a webcast replay of the exhibition?"
    assert "digital" in with_model.analyse([text])[0].topics
    assert "digital" not in plain.analyse([text])[0].topics
    assert "exhibitions" in with_model.analyse([text])[0].topics  # the matcher's stay


def test_too_few_labels_is_a_clear_error() -> None:
    few = [TopicExample(f"podcast {i}", frozenset({"digital"})) for i in range(5)]
    few += [TopicExample(f"paintings {i}", frozenset()) for i in range(30)]
    with pytest.raises(NlpDataError, match=r"at least 15 labelled posts.*digital 5"):
        fit_topic_model(few)


def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(
        '{"text": "ok", "topics": []}\nnot json\n{"text": "", "topics": []}\n'
        '{"text": "x", "topics": "digital"}\n{"text": "x", "topics": ["nope"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(NlpDataError) as info:
        read_examples(path, default_taxonomy().topics)
    message = str(info.value)
    assert "4 bad line(s)" in message
    for expected in (":2: not JSON", ':3: "text"', ':4: "topics"', ":5: unknown topic(s) nope"):
        assert expected in message
    with pytest.raises(NlpDataError, match="no such file"):
        read_examples(tmp_path / "missing.jsonl")


def test_holdout_split_is_stable_and_disjoint() -> None:
    examples = [TopicExample(str(i), frozenset()) for i in range(500)]
    train, held = split_holdout(examples)
    _, again_held = split_holdout(list(reversed(examples)))
    assert {e.text for e in held} == {e.text for e in again_held}  # order does not matter
    assert {e.text for e in train}.isdisjoint({e.text for e in held})
    assert 60 <= len(held) <= 140
    assert split_holdout(examples) == (train, held)


def test_salon_check_validates_the_topic_model_folder(
    tmp_path: Path, trained: tuple[Path, dict[str, object]]
) -> None:
    from bot.check import check_settings
    from tests.helpers import settings_from

    good = settings_from({"nlp": {"topic_model": str(trained[0])}})
    assert not [p for p in check_settings(good) if p.startswith("nlp.")]
    missing = settings_from({"nlp": {"topic_model": str(tmp_path / "nowhere")}})
    assert any(
        p.startswith("nlp.topic_model:") and "salon nlp train --task topics" in p
        for p in check_settings(missing)
    )


def test_salon_nlp_train_topics_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    write_jsonl(tmp_path / "data" / "train.jsonl", corrections(60, seed=5))
    write_jsonl(tmp_path / "data" / "val.jsonl", corrections(20, seed=6))
    args = ["nlp", "train", "--task", "topics", "--data", str(tmp_path / "data")]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["held_out"] == "val.jsonl" and metrics["held_out_posts"] == 20
    assert (tmp_path / "model" / "topics.npz").is_file()
    # the model folder is a spaCy pipeline too, loadable after a move
    moved = (tmp_path / "model").rename(tmp_path / "elsewhere")
    loaded = spacy.load(moved)
    assert loaded.pipe_names == ["salon_topic_model"]
    component = loaded.get_pipe("salon_topic_model")
    assert component.model_dir == moved.resolve() and component.model is not None
    assert loaded("a quiet afternoon")._.topics is not None
    bad = CliRunner().invoke(app, ["nlp", "train", "--task", "mood", "--data", str(tmp_path)])
    assert bad.exit_code != 0 and "unknown task 'mood'" in str(bad.exception)
