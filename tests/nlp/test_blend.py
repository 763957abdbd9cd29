"""salon_blend: when the trained models' verdicts replace the lexicon's."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc

import nlp.components  # noqa: F401  (registers the factories)
from nlp.components.blend import BlendComponent


@pytest.fixture(scope="module")
def blend() -> BlendComponent:
    return BlendComponent("blend", ["en"], model_abuse_threshold=0.8, lexicon_override=0.6)


def make_doc(
    language: str | None,
    lexicon: tuple[str, float],
    model: dict[str, float] | None,
    abuse: float = 0.0,
    model_abuse: float | None = None,
) -> Doc:
    doc = spacy.blank("xx").make_doc("some post")
    doc._.language, doc._.language_score = language, 1.0
    doc._.sentiment, doc._.sentiment_score = lexicon
    doc._.abuse = abuse
    doc._.textcat_sentiment = model
    doc._.textcat_abuse = None if model_abuse is None else {"abusive": model_abuse}
    return doc


MODEL_NEGATIVE = {"negative": 0.7, "neutral": 0.2, "positive": 0.1}


def test_model_decides_for_english_when_lexicon_is_not_sure(blend: BlendComponent) -> None:
    doc = blend(make_doc("en", ("positive", 0.3), MODEL_NEGATIVE))
    assert (doc._.sentiment, doc._.sentiment_score) == ("negative", -0.6)
    assert doc._.lexicon_scores == {"sentiment": "positive", "sentiment_score": 0.3, "abuse": 0.0}


def test_a_sure_lexicon_overrules_a_disagreeing_model(blend: BlendComponent) -> None:
    doc = blend(make_doc("en", ("positive", 0.78), MODEL_NEGATIVE))
    assert (doc._.sentiment, doc._.sentiment_score) == ("positive", 0.78)
    agreeing = blend(make_doc("en", ("negative", -0.9), MODEL_NEGATIVE))
    assert (agreeing._.sentiment, agreeing._.sentiment_score) == ("negative", -0.6)


@pytest.mark.parametrize("language", ["fr", None])
def test_other_or_unsure_languages_keep_the_lexicon(
    blend: BlendComponent, language: str | None
) -> None:
    doc = blend(make_doc(language, ("positive", 0.3), MODEL_NEGATIVE, 0.1, 0.99))
    assert (doc._.sentiment, doc._.sentiment_score, doc._.abuse) == ("positive", 0.3, 0.1)
    assert doc._.lexicon_scores is None


@pytest.mark.parametrize(
    ("lexicon", "model", "flagged"),
    [(0.0, 0.79, False), (0.0, 0.8, True), (0.6, 0.1, True), (0.2, 0.5, False)],
)
def test_abuse_is_the_larger_of_lexicon_and_rescaled_model(
    blend: BlendComponent, lexicon: float, model: float, flagged: bool
) -> None:
    doc = blend(make_doc("en", ("neutral", 0.0), None, lexicon, model))
    assert (doc._.abuse >= 0.5) is flagged
    assert doc._.abuse >= lexicon


def test_rescaling_is_monotonic_and_maps_the_threshold_to_one_half(blend: BlendComponent) -> None:
    points = [blend.rescale_abuse(p / 100) for p in range(101)]
    assert points == sorted(points) and points[0] == 0.0 and points[-1] == 1.0
    assert blend.rescale_abuse(0.8) == pytest.approx(0.5)


def test_invalid_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="model_abuse_threshold"):
        BlendComponent("blend", ["en"], model_abuse_threshold=1.0, lexicon_override=0.6)
