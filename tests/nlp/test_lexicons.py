"""The hand-built lexicon files are well formed (a YAML ``no`` read as ``False`` once silently
removed an English negator)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nlp.components.language import SUPPORTED
from nlp.components.lexicon import (
    lexicon_fingerprint,
    lexicon_root,
    read_lines,
    read_tsv,
    read_yaml,
)

YAML_FILES = [("sentiment", "modifiers.yaml"), ("intent", "cues.yaml"), ("abuse", "patterns.yaml")]


def _strings_only(node: Any, where: str) -> list[str]:
    bad: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            bad += _strings_only(value, f"{where}.{key}")
    elif isinstance(node, list) and "weights" not in where:
        bad += [f"{where}[{i}]={v!r}" for i, v in enumerate(node) if not isinstance(v, str)]
        for value in node:
            bad += _strings_only(value, where)
    return bad


@pytest.mark.parametrize("parts", YAML_FILES)
def test_yaml_lists_hold_strings(parts: tuple[str, str]) -> None:
    assert _strings_only(read_yaml(*parts), "/".join(parts)) == []


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("parts", YAML_FILES[1:])
def test_patterns_compile(parts: tuple[str, str]) -> None:
    for pattern in _patterns(read_yaml(*parts)):
        re.compile(pattern)


@pytest.mark.parametrize("name", [*SUPPORTED, "xx", "emoji"])
def test_sentiment_valences_are_in_range_and_unique(name: str) -> None:
    rows = read_tsv("sentiment", f"{name}.tsv", columns=2)
    assert len(rows) >= (400 if name == "en" else 25)
    terms = [term for term, _ in rows]
    assert len(terms) == len(set(terms)), "duplicate entries"
    neutral_emoji = {"🤔", "👀", "😯"}  # listed so they are recognised, but carry no valence
    for term, value in rows:
        assert -4.0 <= float(value) <= 4.0, term
        assert float(value) != 0 or term in neutral_emoji, term


def test_every_language_has_a_profile() -> None:
    for lang in SUPPORTED:
        assert len(read_lines("language", f"{lang}.stop")) >= 150
        assert len(read_lines("language", f"{lang}.txt")) >= 40


def test_abuse_terms_use_known_categories_and_languages() -> None:
    weights = read_yaml("abuse", "patterns.yaml")["weights"]
    for lang, term, category in read_tsv("abuse", "terms.tsv", columns=3):
        assert lang in {*SUPPORTED, "xx"} and term and category in weights, (lang, term)


def test_other_language_sentiment_words_number_a_few_hundred() -> None:
    total = sum(len(read_tsv("sentiment", f"{lang}.tsv", columns=2)) for lang in SUPPORTED[1:])
    assert total >= 300


def test_fingerprint_is_stable_and_ignores_notes() -> None:
    assert lexicon_fingerprint() == lexicon_fingerprint()
    assert len(lexicon_fingerprint()) == 16
    assert lexicon_root().joinpath("sentiment", "en.tsv").is_file()
