"""The topic taxonomy: the packaged default and validation errors that say what and where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from config.errors import ConfigError
from config.taxonomy import Taxonomy, Topic, default_taxonomy, load_taxonomy, parse_taxonomy

REQUIRED = [
    "visiting.hours",
    "visiting.tickets",
    "visiting.access",
    "visiting.facilities",
    "exhibitions",
    "events",
    "community",
    "volunteering",
    "complaints.service",
    "digital",
    "press",
]
LANGUAGES = {"fr", "de", "es", "it", "nl", "pt", "hu", "pl"}


def test_default_taxonomy_has_the_museum_topics() -> None:
    taxonomy = default_taxonomy()
    assert set(REQUIRED) <= set(taxonomy.topics)
    assert taxonomy.groups() == sorted({key.split(".")[0] for key in REQUIRED})
    for key, topic in taxonomy.topics.items():
        assert topic.label and len(topic.terms) >= 30, key


def test_visiting_topics_are_translated_into_eight_languages() -> None:
    taxonomy = default_taxonomy()
    for key in REQUIRED[:4]:
        translations = taxonomy.topics[key].translations
        assert set(translations) >= LANGUAGES, key
        assert all(len(translations[lang]) >= 10 for lang in LANGUAGES), key


def test_terms_are_cleaned_and_deduplicated() -> None:
    topic = Topic(label="Hours", terms=["  Opening   hours ", "opening hours", "open"])
    assert topic.terms == ["Opening hours", "open"]
    assert topic.all_terms() == [("Opening hours", None), ("open", None)]


def test_a_topic_may_have_translations_only() -> None:
    topic = Topic(label="Horaires", translations={"fr": ["horaires"]})
    assert topic.all_terms() == [("horaires", "fr")]


def _problems(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_taxonomy(data, source="tax.yaml")
    assert str(info.value).startswith("tax.yaml: ")
    return info.value.problems


def test_empty_taxonomy_is_an_error() -> None:
    assert _problems({"topics": {}}) == ["topics: the taxonomy is empty: define at least one topic"]
    with pytest.raises(ValidationError, match="empty"):
        Taxonomy(topics={})


def test_topic_without_terms_names_the_topic() -> None:
    (problem,) = _problems({"topics": {"events": {"label": "Events", "translations": {"fr": []}}}})
    assert problem.startswith("topics['events']: ") and "has no terms" in problem


@pytest.mark.parametrize("key", ["Visiting.Hours", "visiting hours", "a.b.c", "visiting.", "1st"])
def test_bad_keys_are_reported_with_the_key(key: str) -> None:
    (problem,) = _problems({"topics": {key: {"label": "X", "terms": ["x"]}}})
    assert repr(key) in problem and "bad topic key" in problem


def test_blank_terms_unknown_fields_and_bad_languages_are_located() -> None:
    problems = _problems(
        {
            "topics": {
                "events": {"label": "Events", "terms": ["talk", " "]},
                "digital": {"label": "Digital", "terms": ["app"], "synonyms": ["web"]},
                "press": {"label": "Press", "terms": ["press"], "translations": {"FR": ["presse"]}},
            }
        }
    )
    assert any(p == "topics['events'].terms: entry 1 is blank" for p in problems)
    assert any(p.startswith("topics['digital'].synonyms: unknown field") for p in problems)
    assert any(p.startswith("topics['press'].translations:") and "'FR'" in p for p in problems)


def test_load_taxonomy_reads_a_file_and_reports_the_path(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("topics:\n  events:\n    label: Events\n    terms: [talk, tour]\n")
    assert load_taxonomy(good).topics["events"].terms == ["talk", "tour"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        load_taxonomy(bad)
    assert info.value.file == str(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- talk\n")
    with pytest.raises(ConfigError, match="mapping with a 'topics' key"):
        load_taxonomy(listed)


def test_fingerprint_follows_the_content() -> None:
    one = Taxonomy(topics={"events": Topic(label="Events", terms=["talk"])})
    same = Taxonomy(topics={"events": Topic(label="Events", terms=["talk"])})
    other = Taxonomy(topics={"events": Topic(label="Events", terms=["talk", "tour"])})
    assert one.fingerprint() == same.fingerprint() != other.fingerprint()
