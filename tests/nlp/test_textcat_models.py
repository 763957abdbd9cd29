"""The shipped models: load from the repository, sane outputs, obvious examples, no network."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from nlp.textcat import MODELS_DIR, AbuseModel, LinearTextModel, load_textcat

POSITIVE = [
    "I love this museum, what a wonderful exhibition! 😍",
    "Thank you so much for the lovely visit today!",
    "The exhibition was good.",
]
NEGATIVE = [
    "This is the worst experience ever, I hate it. Terrible staff.",
    "The exhibition was not good at all.",
]
NEUTRAL = ["The museum opens at 10am on Tuesday.", "What time does the gallery close?"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def guard(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)


def test_shipped_files_small_and_described() -> None:
    for folder, files in {
        "sentiment": ["model.npz"],
        "abuse": ["offensive.npz", "hate.npz"],
    }.items():
        meta = json.loads((MODELS_DIR / folder / "meta.json").read_text())
        keys = ("name", "version", "training_data", "command", "metrics_val", "metrics_cv", "date")
        for key in keys:
            assert key in meta, key
        for name in files:
            size = (MODELS_DIR / folder / name).stat().st_size
            assert 0 < size < 20_000_000
            assert meta["files"][name]["bytes"] == size


def test_sentiment_obvious_examples() -> None:
    model = load_textcat("sentiment")
    assert model.labels == ("negative", "neutral", "positive")
    probs = model.predict_proba(POSITIVE + NEGATIVE + NEUTRAL)
    assert probs.shape == (7, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    pred = [model.labels[i] for i in probs.argmax(axis=1)]
    assert pred == ["positive"] * 3 + ["negative"] * 2 + ["neutral"] * 2


def test_offensive_and_hate_obvious_examples() -> None:
    off = load_textcat("offensive")
    hate = load_textcat("hate")
    assert off.labels == ("not-offensive", "offensive")
    assert hate.labels == ("not-hate", "hate")
    p_off = off.predict_proba(["You are a fucking idiot, shut up", *POSITIVE])[:, 1]
    assert p_off[0] > 0.9 and (p_off[1:] < 0.5).all()
    p_hate = hate.predict_proba(
        ["Illegal immigrants are invaders, send them all back now", *NEUTRAL]
    )[:, 1]
    assert p_hate[0] > 0.5 and (p_hate[1:] < 0.5).all()


def test_abuse_combines_parts_in_unit_interval() -> None:
    model = load_textcat("abuse")
    assert isinstance(model, AbuseModel)
    texts = ["You are a fucking idiot", "Lovely garden, see you soon", ""]
    parts = model.predict_parts(texts)
    assert np.allclose(parts["abusive"], np.maximum(parts["offensive"], parts["hate"]))
    probs = model.predict_proba(texts)
    assert probs.shape == (3, 2) and np.allclose(probs.sum(axis=1), 1.0)
    assert ((probs >= 0) & (probs <= 1)).all()
    assert probs[0, 1] > 0.9 > 0.5 > probs[1, 1]


def test_empty_and_odd_inputs() -> None:
    model = load_textcat("sentiment")
    assert model.predict_proba([]).shape == (0, 3)
    probs = model.predict_proba(["", "   ", "\\ud83d", "😀" * 500])
    assert np.isfinite(probs).all() and np.allclose(probs.sum(axis=1), 1.0)


def test_save_load_roundtrip(tmp_path) -> None:
    model = load_textcat("offensive")
    assert isinstance(model, LinearTextModel)
    path = tmp_path / "m.npz"
    model.save(path, *model.compact())
    again = LinearTextModel.load(path)
    texts = ["what a day", "shut up you idiot", "#museum opening tonight"]
    assert np.allclose(model.predict_proba(texts), again.predict_proba(texts), atol=1e-6)


def test_unknown_task_rejected() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        load_textcat("toxicity")


# Hand-written museum posts: a check of the shipped operating point, never training data.
COMPLAINTS = [
    "Worst experience ever, terrible staff.",
    "This is the worst experience ever, I hate it. Terrible staff.",
    "The queue was an hour long and nobody told us anything. Really disappointing.",
    "Your cafe is overpriced and the toilets were filthy.",
    "The audio guide kept crashing, total waste of money.",
    "Booked tickets online and the site charged me twice. Awful service.",
    "The new exhibition is boring and badly lit, what a letdown.",
    "Rude security guard shouted at my kids. Not acceptable.",
    "Closed again without notice? This is ridiculous.",
    "The lift was broken so we couldn't see the upper floors in a wheelchair. Terrible.",
]
INSULTS = [
    "You are a fucking idiot",
    "Your director is a talentless idiot and a coward",
    "Shut up, you pathetic morons",
    "whoever runs your comms is a worthless piece of shit",
]


def test_plain_complaints_are_not_flagged_at_the_shipped_threshold() -> None:
    meta = json.loads((MODELS_DIR / "abuse" / "meta.json").read_text())
    flag = meta["flag_thresholds"]
    assert 0.5 <= flag["offensive"] < 1.0 and 0.5 <= flag["hate"] < 1.0
    model = load_textcat("abuse")
    assert isinstance(model, AbuseModel)
    complaints = model.predict_parts(COMPLAINTS)
    assert (complaints["offensive"] < flag["offensive"]).all(), complaints["offensive"]
    assert (complaints["hate"] < flag["hate"]).all(), complaints["hate"]
    # the brief's example scored 0.79 on offensive in 1.0.0
    assert complaints["offensive"][0] < 0.7
    insults = model.predict_parts(INSULTS)
    assert (insults["offensive"] >= flag["offensive"]).all(), insults["offensive"]
    praise = model.predict_parts(POSITIVE)
    assert (praise["abusive"] < 0.5).all()


def test_abuse_models_carry_the_toxicity_lexicon() -> None:
    model = load_textcat("abuse")
    assert isinstance(model, AbuseModel)
    for part in (model.offensive, model.hate):
        assert part.config.toxicity and part.extractor.toxicity is not None
        assert len(part.extractor.toxicity.weights) > 10_000
    sentiment = load_textcat("sentiment")
    assert isinstance(sentiment, LinearTextModel) and sentiment.extractor.toxicity is None
