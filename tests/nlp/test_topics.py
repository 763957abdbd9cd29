"""salon_normalize + salon_topics: taxonomy terms found through case, accents, plurals and
translations, scored by match count and specificity."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from config.taxonomy import Taxonomy, Topic
from nlp.components.text import norm_word
from nlp.components.topics import TopicMatcher
from tests.nlp.pipelines import run

SMALL = Taxonomy(
    topics={
        "visiting.hours": Topic(
            label="Hours",
            terms=["opening hours", "open", "closed"],
            translations={"fr": ["horaires", "ouvert"], "de": ["öffnungszeiten"]},
        ),
        "visiting.tickets": Topic(label="Tickets", terms=["ticket", "free entry", "free"]),
        "events": Topic(label="Events", terms=["guided tour", "free"]),
        "visiting.access": Topic(label="Access", terms=["lift", "step-free"]),
        "complaints.service": Topic(label="Service", terms=["broken lift", "rude staff"]),
        "exhibitions": Topic(
            label="Exhibitions", terms=["exposition"], translations={"fr": ["exposition"]}
        ),
    }
)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    pipeline = spacy.blank("xx")
    pipeline.add_pipe("salon_normalize")
    pipeline.add_pipe("salon_language")
    topics = pipeline.add_pipe("salon_topics")
    assert isinstance(topics, TopicMatcher)
    topics.set_taxonomy(SMALL)
    return pipeline


def topics_of(
    nlp: spacy.language.Language, text: str, language: str | None = None
) -> dict[str, float]:
    doc = nlp.make_doc(text)
    doc._.language = language
    for _, component in nlp.pipeline:
        doc = component(doc)
    return dict(doc._.topics)


@pytest.mark.parametrize(
    ("word", "norm"),
    [
        ("Tickets", "ticket"),
        ("TICKETS", "ticket"),
        ("galleries", "galler"),
        ("gallery", "galler"),
        ("fermée", "ferm"),
        ("fermé", "ferm"),
        ("Öffnungszeiten", "offnungszeiten"),
        ("l'exposition", "exposition"),
        ("biglietti", "bigliett"),
        ("biglietto", "bigliett"),
        ("queues", "que"),
        ("queue", "que"),
        ("bus", "bus"),
        ("class", "class"),
    ],
)
def test_normal_form(word: str, norm: str) -> None:
    assert norm_word(word.lower()) == norm


def test_multi_word_terms_outweigh_single_words(nlp: spacy.language.Language) -> None:
    phrase = topics_of(nlp, "What are your opening hours?")["visiting.hours"]
    word = topics_of(nlp, "Are you open?")["visiting.hours"]
    assert 0.0 < word < phrase <= 1.0
    assert word >= 0.3  # one clear single-word term passes the default rule threshold


def test_case_and_plural_variants_match(nlp: spacy.language.Language) -> None:
    for text in ["TICKETS please", "Two tickets", "one Ticket"]:
        assert topics_of(nlp, text)["visiting.tickets"] > 0.4, text


def test_more_matches_score_higher(nlp: spacy.language.Language) -> None:
    one = topics_of(nlp, "Is the lift working?")["visiting.access"]
    two = topics_of(nlp, "Is the lift working and is the entrance step-free?")["visiting.access"]
    assert two > one


def test_repeating_a_term_adds_less_than_a_new_term(nlp: spacy.language.Language) -> None:
    repeated = topics_of(nlp, "ticket ticket")["visiting.tickets"]
    different = topics_of(nlp, "ticket, free entry")["visiting.tickets"]
    single = topics_of(nlp, "ticket")["visiting.tickets"]
    assert single < repeated < different


def test_a_term_shared_by_topics_counts_less_in_each(nlp: spacy.language.Language) -> None:
    shared = topics_of(nlp, "Is it free?")
    assert (
        shared["visiting.tickets"]
        == shared["events"]
        < topics_of(nlp, "a ticket")["visiting.tickets"]
    )


def test_longest_match_wins_inside_a_topic_but_other_topics_keep_theirs(
    nlp: spacy.language.Language,
) -> None:
    found = topics_of(nlp, "The broken lift again")
    assert found["complaints.service"] > found["visiting.access"] > 0


def test_translated_terms_match_accents_optional(nlp: spacy.language.Language) -> None:
    assert topics_of(nlp, "Quels sont vos horaires ?", "fr")["visiting.hours"] > 0.4
    assert topics_of(nlp, "Öffnungszeiten am Montag?", "de")["visiting.hours"] > 0.4
    assert topics_of(nlp, "Offnungszeiten am Montag?", "de")["visiting.hours"] > 0.4
    assert topics_of(nlp, "L'exposition est magnifique", "fr")["exhibitions"] > 0.4


def test_translation_in_another_language_counts_less(nlp: spacy.language.Language) -> None:
    own = topics_of(nlp, "horaires ?", "fr")["visiting.hours"]
    foreign = topics_of(nlp, "horaires ?", "de")["visiting.hours"]
    english_term = topics_of(nlp, "open ?", "fr")["visiting.hours"]
    assert foreign < own == english_term


def test_no_match_gives_no_topics(nlp: spacy.language.Language) -> None:
    assert topics_of(nlp, "What a lovely day 🌞") == {}
    assert topics_of(nlp, "") == {}


def test_topics_are_sorted_by_score(nlp: spacy.language.Language) -> None:
    found = topics_of(nlp, "Are the opening hours the same for the guided tour? Is it free?")
    assert list(found.values()) == sorted(found.values(), reverse=True)
    assert all(0.0 < score <= 1.0 for score in found.values())


def test_default_taxonomy_on_museum_posts() -> None:
    cases = {
        "What time do you open on Sunday?": "visiting.hours",
        "How much are tickets for a family of four?": "visiting.tickets",
        "Is the gallery wheelchair accessible? Is there a lift?": "visiting.access",
        "Where can we leave our backpacks? Is there a cloakroom?": "visiting.facilities",
        "The new exhibition of Dutch paintings is stunning": "exhibitions",
        "Are there any workshops for school groups?": "events",
        "Share your memories of the old harbour for our community project": "community",
        "How can I become a volunteer?": "volunteering",
        "The staff at the front desk were rude and we queued for an hour": "complaints.service",
        "Your website keeps crashing when I try to book online": "digital",
        "Is it true the museum is closing down? Saw a rumour on Reddit": "press",
        "Wie viel kostet der Eintritt?": "visiting.tickets",
        "Czy muzeum jest dostępne dla osób na wózku inwalidzkim?": "visiting.access",
        "Quando apre la mostra?": "exhibitions",
    }
    for text, topic in cases.items():
        found = run(text, last="salon_topics")._.topics
        assert max(found, key=found.get) == topic, (text, found)


def test_taxonomy_travels_with_the_pipeline(tmp_path: Path, nlp: spacy.language.Language) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    component = loaded.get_pipe("salon_topics")
    assert isinstance(component, TopicMatcher)
    assert component.taxonomy == SMALL
    assert loaded("Your opening hours?")._.topics == topics_of(nlp, "Your opening hours?")


def test_bytes_round_trip(nlp: spacy.language.Language) -> None:
    component = nlp.get_pipe("salon_topics")
    assert isinstance(component, TopicMatcher)
    fresh = TopicMatcher(nlp, "copy").from_bytes(component.to_bytes())
    assert fresh.taxonomy == SMALL


def test_taxonomy_path_in_the_config(tmp_path: Path) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text("topics:\n  shop:\n    label: Shop\n    terms: [gift shop, postcards]\n")
    pipeline = spacy.blank("xx")
    pipeline.add_pipe("salon_normalize")
    pipeline.add_pipe("salon_topics", config={"taxonomy_path": str(path)})
    assert set(pipeline("Postcards in the gift shop?")._.topics) == {"shop"}
