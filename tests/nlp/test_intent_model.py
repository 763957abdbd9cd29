"""The trained intent model (loads offline, classifies) and the cue pattern index."""

from __future__ import annotations

import json
import re
import socket

import numpy as np
import pytest
import spacy

import nlp.components  # noqa: F401  (registers the factories)
from nlp.components.intent import N_FEATURES, IntentComponent, IntentCues
from nlp.components.text import fold
from nlp.errors import NlpError
from nlp.intent import DATA_DIR, INTENTS, MODEL_DIR
from nlp.intent.data import read_examples
from nlp.intent.model import MODEL_FILE, IntentModel, load_intent_model
from nlp.patterns import PatternIndex, literal_prefixes
from tests.nlp.pipelines import run


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def guard(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)


def test_shipped_model_is_small_and_described() -> None:
    meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    for key in ("name", "version", "date", "command", "training_data", "thresholds"):
        assert key in meta, key
    assert set(meta["thresholds"]) == set(INTENTS)
    size = (MODEL_DIR / MODEL_FILE).stat().st_size
    assert 0 < size < 20_000_000
    assert meta["files"][MODEL_FILE]["bytes"] == size
    assert "test" not in meta["training_data"]["file"]  # never trained on the test split


def test_model_loads_offline_and_classifies() -> None:
    model = load_intent_model()
    assert model.labels == INTENTS and model.n_dense == N_FEATURES
    component = IntentComponent("salon_intent", model)
    texts = [
        "What time do you open on Sunday?",
        "Thank you for a wonderful exhibition, the staff were lovely!",
        "Please send me the invoice for my membership",
        "",
    ]
    docs = list(component.pipe(run(text, last="salon_sentiment") for text in texts))
    for doc in docs:
        assert tuple(doc._.intents) == INTENTS
        assert all(0.0 <= value <= 1.0 for value in doc._.intents.values())
    assert docs[0]._.intents["question"] >= 0.5 > docs[0]._.intents["praise"]
    assert docs[1]._.intents["praise"] >= 0.5 > docs[1]._.intents["question"]
    assert docs[2]._.intents["request"] >= 0.5
    assert max(docs[3]._.intents.values()) < 0.5


def test_factory_loads_the_shipped_model_on_request() -> None:
    nlp = spacy.blank("xx")
    assert nlp.add_pipe("salon_intent").model is None  # type: ignore[attr-defined]
    with_model = nlp.add_pipe("salon_intent", name="with_model", config={"use_model": True})
    assert with_model.model is load_intent_model()  # type: ignore[attr-defined]


def test_model_input_shape_is_checked() -> None:
    model = load_intent_model()
    assert model.predict_proba([], np.zeros((0, N_FEATURES))).shape == (0, len(INTENTS))
    with pytest.raises(ValueError):
        model.predict_proba(["one"], np.zeros((1, N_FEATURES + 1)))


def test_missing_model_folder_says_how_to_train(tmp_path) -> None:
    with pytest.raises(NlpError, match=r"nlp\.intent\.train"):
        IntentModel.load(tmp_path)


@pytest.mark.parametrize(
    ("pattern", "prefixes"),
    [
        (r"\b(never|no longer) again\b", {"never again", "no longer again"}),
        (
            r"\b(please )?consider (adding|opening)\b",
            {
                "consider adding",
                "consider opening",
                "please consider adding",
                "please consider opening",
            },
        ),
        (r"\brip[- ]?off\b", {"rip-off", "rip off", "ripoff"}),
        (r"\b\d+ emails\b", set("0123456789")),
        (r"^\W*(what|when)\b", {"what", "when"}),
        (r"\b\w+-e\b", None),
        (r"(🙄|🙃)", None),
        (r"\?", None),
    ],
)
def test_literal_prefixes(pattern: str, prefixes: set[str] | None) -> None:
    assert literal_prefixes(pattern) == prefixes


def test_pattern_index_finds_exactly_what_searching_every_pattern_finds() -> None:
    cues = IntentCues()
    posts = [e.text for split in ("train", "test") for e in read_examples(DATA_DIR, split)]
    texts = [fold(text) for text in posts[::4]]
    texts += ["", "?", "¿qué?", "ugh!!", "is it open", "  what a day", "rip-off 🙄"]
    for language in ("en", None):
        cue_set = cues.for_language(language)
        for index in (cue_set.index, cue_set.post_index):
            compiled = [re.compile(p) for p in index.patterns]
            assert len(index.always) < len(compiled) / 4  # most patterns are indexed
            for text in texts:
                expected = {i for i, p in enumerate(compiled) if p.search(text)}
                assert index.matching(text) == expected, text


def test_pattern_index_small_example() -> None:
    index = PatternIndex([r"\bopen\b", r"\bclosed\b", r"\?", r"^\W*(is|are) (you|they)\b"])
    assert index.matching("open or closed?") == {0, 1, 2}
    assert index.matching("...Are you open") == {0}  # patterns see folded, lower-case text
    assert index.matching("...are you open") == {0, 3}
    assert index.matching("so are you open") == {0}  # anchored: first word only
    assert index.matching("reopened, unclosed") == set()
