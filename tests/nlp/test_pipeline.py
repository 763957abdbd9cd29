"""The public interface: build_pipeline, Classifier.analyse in batches, Analysis."""

from __future__ import annotations

import json

import pytest

from config.taxonomy import Taxonomy, Topic, default_taxonomy
from nlp import Analysis, Classifier, build_pipeline
from nlp.pipeline import COMPONENTS, classifier_version
from tests.nlp.pipelines import classifier

POSTS = [
    "What time do you open on Sunday? We'd like to come before lunch.",
    "The lift was broken again and the staff were rude. Unacceptable.",
    "Loved the new exhibition, the paintings are stunning! Thank you 😍",
    "@museum you are a bunch of idiots",
    "Quels sont vos horaires d'ouverture le lundi ?",
    "It would be great if you had more benches in the galleries",
    "",
    "🎉🎉🎉",
]


@pytest.fixture(scope="module")
def results() -> list[Analysis]:
    return classifier().analyse(POSTS)


def test_one_result_per_text_in_order(results: list[Analysis]) -> None:
    assert len(results) == len(POSTS)
    hours, complaint, praise, abusive, french, suggestion, empty, emoji = results
    assert hours.top_topic() == "visiting.hours" and hours.intents["question"] >= 0.5
    assert complaint.sentiment == "negative" and complaint.intents["complaint"] >= 0.5
    assert complaint.top_topic() == "complaints.service"
    assert praise.sentiment == "positive" and praise.intents["praise"] >= 0.5
    assert praise.top_topic() == "exhibitions"
    assert abusive.is_abusive and not complaint.is_abusive
    assert (french.language, french.top_topic()) == ("fr", "visiting.hours")
    assert suggestion.intents["suggestion"] >= 0.5
    assert (empty.language, empty.topics, empty.sentiment) == ("und", {}, "neutral")
    assert emoji.sentiment == "positive" and emoji.language == "und"


def test_values_are_in_range(results: list[Analysis]) -> None:
    for result in results:
        assert 0.0 <= result.language_score <= 1.0
        assert -1.0 <= result.sentiment_score <= 1.0
        assert result.sentiment in {"negative", "neutral", "positive"}
        assert 0.0 <= result.abuse <= 1.0
        assert all(0.0 < v <= 1.0 for v in result.topics.values())
        assert set(result.intents) == {"question", "complaint", "praise", "suggestion", "request"}


def test_batches_give_the_same_results_as_single_calls(results: list[Analysis]) -> None:
    one_by_one = [classifier().analyse([text], batch_size=1)[0] for text in POSTS]
    assert one_by_one == results


def test_platform_languages_are_trusted() -> None:
    texts = ["Obrigado pela visita!", "Thanks for the visit!", "Danke!"]
    got = classifier().analyse(texts, ["pt-BR", None, "und"])
    assert [(a.language, a.language_score) for a in got[:1]] == [("pt", 1.0)]
    assert got[1].language == "en" and got[1].language_score < 1.0
    assert got[2].language == "de"


def test_languages_must_match_texts() -> None:
    with pytest.raises(ValueError, match="one per text"):
        classifier().analyse(["a", "b"], ["en"])


def test_empty_batch() -> None:
    assert classifier().analyse([]) == []


def test_analysis_dict_round_trip(results: list[Analysis]) -> None:
    for result in results:
        data = json.loads(json.dumps(result.to_dict()))
        assert data["is_abusive"] == result.is_abusive
        assert data["top_topic"] == result.top_topic()
        assert Analysis.from_dict(data) == result


def test_top_topic_ties_and_threshold() -> None:
    analysis = Analysis("en", 1.0, {"b": 0.5, "a": 0.5, "c": 0.2}, "neutral", 0.0, {}, 0.0)
    assert analysis.top_topic() == "a"
    assert analysis.top_topic(min_score=0.6) is None
    assert Analysis("en", 1.0, {}, "neutral", 0.0, {}, 0.49).top_topic() is None
    assert not Analysis("en", 1.0, {}, "neutral", 0.0, {}, 0.49).is_abusive
    assert Analysis("en", 1.0, {}, "neutral", 0.0, {}, 0.5).is_abusive


def test_name_and_version() -> None:
    default = classifier()
    assert default.name == "salon"
    assert default.version == classifier_version(default_taxonomy())
    other = Taxonomy(topics={"events": Topic(label="Events", terms=["talk"])})
    assert classifier_version(other) != default.version
    rules_only = classifier_version(default_taxonomy(), trained=False)
    assert rules_only != default.version and rules_only.split("+")[0].endswith("r")
    assert Classifier(other).analyse(["A talk tonight?"])[0].topics == {"events": 0.4512}


def test_trained_models_refine_english_posts_only() -> None:
    text = "the soup in the cafe was stone cold and the person at the till just shrugged"
    french = "La soupe du café était froide et le serveur a haussé les épaules"
    rules, trained = Classifier(trained=False), classifier()
    assert [n for n in trained.nlp.pipe_names if n not in COMPONENTS] == [
        "salon_sentiment_model",
        "salon_abuse_model",
        "salon_blend",
    ]
    docs = list(trained.pipe([text, french], ["en", "fr"]))
    assert docs[0]._.textcat_sentiment is not None and docs[0]._.lexicon_scores is not None
    assert docs[1]._.lexicon_scores is None  # French: the lexicon's verdict stands
    assert trained.analyse([french], ["fr"]) == rules.analyse([french], ["fr"])


def test_build_pipeline_declares_its_components() -> None:
    nlp = build_pipeline(default_taxonomy())
    assert tuple(nlp.pipe_names[: len(COMPONENTS)]) == COMPONENTS
    analysis = nlp.analyze_pipes()
    assert analysis is not None
    assert not any(analysis["problems"].values()), analysis["problems"]
    assigns = {name: set(meta["assigns"]) for name, meta in analysis["summary"].items()}
    assert assigns["salon_language"] == {"doc._.language", "doc._.language_score"}
    assert assigns["salon_topics"] == {"doc._.topics"}
    assert assigns["salon_abuse"] == {"doc._.abuse"}


def test_nlp_package_does_not_load_spacy_for_analysis_alone() -> None:
    import subprocess
    import sys

    code = "import sys, nlp.analysis; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_salon_factory_is_an_installed_spacy_entry_point() -> None:
    from importlib.metadata import entry_points

    from spacy.language import Language

    registered = {name for name in Language.factories if name.startswith("salon_")}
    declared = {ep.name: ep for ep in entry_points(group="spacy_factories")}
    assert registered <= set(declared), "add them to [project.entry-points.spacy_factories]"
    for name in registered:
        assert declared[name].load() is not None
