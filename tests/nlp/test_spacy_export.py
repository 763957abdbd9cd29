"""Model folders as spaCy pipelines: ``spacy.load`` on what ``salon nlp train`` writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import spacy

from nlp.components.model_folder import POINTER_FILE
from nlp.errors import NlpError
from nlp.spacy_export import write_spacy_pipeline
from nlp.textcat.model import MODELS_DIR, load_textcat

TEXT = "You idiots, why is the museum closed on Monday?"


def _copy(task: str, tmp_path: Path, version: str) -> Path:
    folder = shutil.copytree(MODELS_DIR / task, tmp_path / task)
    meta = json.loads((folder / "meta.json").read_text())
    meta["version"] = version  # tells this copy's model from the shipped one once loaded
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize(
    ("task", "component", "attr"),
    [
        ("sentiment", "salon_sentiment_model", "textcat_sentiment"),
        ("abuse", "salon_abuse_model", "textcat_abuse"),
    ],
)
def test_a_model_folder_loads_with_spacy_after_a_move(
    tmp_path: Path, task: str, component: str, attr: str
) -> None:
    folder = write_spacy_pipeline(task, _copy(task, tmp_path, "7.7.7"))
    moved = folder.rename(tmp_path / "moved")
    loaded = spacy.load(moved)
    assert loaded.pipe_names == [component] and loaded.meta["version"] == "7.7.7"
    pipe = loaded.get_pipe(component)
    assert pipe.model_dir == moved.resolve() and pipe.model.version == "7.7.7"
    # nothing copied: the component directory only points at the folder's files
    assert sorted(p.name for p in (moved / component).iterdir()) == [POINTER_FILE]
    shipped = load_textcat(task)
    expected = (
        shipped.predict_proba([TEXT])[0].tolist()
        if task == "sentiment"
        else [shipped.predict_parts([TEXT])["abusive"][0]]
    )
    scores = loaded(TEXT)._.get(attr)
    got = list(scores.values()) if task == "sentiment" else [scores["abusive"]]
    assert got == pytest.approx(expected)


def test_the_intent_model_folder_loads_with_spacy(tmp_path: Path) -> None:
    folder = write_spacy_pipeline("intent", _copy("intent", tmp_path, "3.0.0"))
    loaded = spacy.load(folder)
    assert loaded.get_pipe("salon_intent").model is not None
    assert loaded(TEXT)._.intents["question"] > 0.5


def test_a_pipeline_with_the_shipped_model_copies_it_when_saved(tmp_path: Path) -> None:
    pipeline = spacy.blank("xx")
    pipeline.add_pipe("salon_textcat", name="sentiment", config={"task": "sentiment"})
    pipeline.to_disk(tmp_path / "pipe")
    assert (tmp_path / "pipe" / "sentiment" / "model.npz").is_file()
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe("sentiment").model_dir == (tmp_path / "pipe" / "sentiment").resolve()
    assert loaded(TEXT)._.textcat_sentiment["negative"] > 0.5


def test_a_broken_component_directory_says_what_to_do(tmp_path: Path) -> None:
    folder = write_spacy_pipeline("sentiment", _copy("sentiment", tmp_path, "1.0.0"))
    (folder / "salon_sentiment_model" / POINTER_FILE).write_text("{}")
    with pytest.raises(NlpError, match="salon nlp train"):
        spacy.load(folder)


def test_unknown_task_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NlpError, match="unknown task 'mood'"):
        write_spacy_pipeline("mood", tmp_path)
