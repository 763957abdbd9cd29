"""The museum topic taxonomy: topic keys, labels and the words that signal each topic.

A taxonomy is a YAML mapping ``topics: {key: {label, terms, translations, description}}``.
Keys are dotted lower-case paths, ``group`` or ``group.topic`` (``visiting.hours``). ``terms``
are (mostly English) words and phrases; ``translations`` maps a language code (``fr``, ``pt``)
to more terms. Every topic needs at least one term somewhere. Validation is strict: unknown keys,
an empty taxonomy, a bad key or a topic with no terms are errors that name the topic at fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.errors import ConfigError

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
DEFAULT_TAXONOMY_FILE = "default_taxonomy.yaml"


def _clean_terms(values: list[str], where: str) -> list[str]:
    """Strip and de-duplicate terms (case-insensitively), refusing blank ones."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        term = " ".join(str(value).split())
        if not term:
            raise ValueError(f"{where}entry {index} is blank")
        if term.lower() not in seen:
            seen.add(term.lower())
            cleaned.append(term)
    return cleaned


class Topic(BaseModel):
    """One topic: a human label and the terms (plus per-language translations) that signal it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    terms: list[str] = Field(default_factory=list)
    translations: dict[str, list[str]] = Field(default_factory=dict)
    description: str | None = None

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        return _clean_terms(value, "")

    @field_validator("translations")
    @classmethod
    def _translations(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for language, terms in value.items():
            if not LANGUAGE_PATTERN.match(language):
                raise ValueError(
                    f"translation language {language!r} must be a lower-case ISO 639 code "
                    "such as 'fr' or 'pt'"
                )
            result[language] = _clean_terms(terms, f"{language}: ")
        return result

    @model_validator(mode="after")
    def _has_terms(self) -> Topic:
        if not self.terms and not any(self.translations.values()):
            raise ValueError(f"topic {self.label!r} has no terms (give terms or translations)")
        return self

    def all_terms(self) -> list[tuple[str, str | None]]:
        """Every term with its language (``None`` for the untranslated ``terms`` list)."""
        pairs: list[tuple[str, str | None]] = [(term, None) for term in self.terms]
        for language, terms in sorted(self.translations.items()):
            pairs.extend((term, language) for term in terms)
        return pairs


class Taxonomy(BaseModel):
    """The topics a classifier looks for, keyed by dotted path (``group`` or ``group.topic``)."""

    model_config = ConfigDict(extra="forbid")

    topics: dict[str, Topic]

    @field_validator("topics", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if not value:
                raise ValueError("the taxonomy is empty: define at least one topic")
            for key in value:
                if not isinstance(key, str) or not KEY_PATTERN.match(key):
                    raise ValueError(
                        f"bad topic key {key!r}: use a lower-case name or dotted path such as "
                        "'events' or 'visiting.hours' (letters, digits, '_'; at most one dot)"
                    )
        return value

    def groups(self) -> list[str]:
        """The distinct top-level groups (``visiting`` for ``visiting.hours``), sorted."""
        return sorted({key.split(".", 1)[0] for key in self.topics})

    def languages(self) -> list[str]:
        """The languages that have translations in at least one topic, sorted."""
        return sorted({lang for topic in self.topics.values() for lang in topic.translations})

    def fingerprint(self) -> str:
        """A short hash of the taxonomy's content (changes whenever a key or term changes)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _format_problems(exc: ValidationError) -> list[str]:
    """``topics['visiting.hours'].terms: entry 2 is blank`` lines, without echoing inputs."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        path = ""
        for index, item in enumerate(loc):
            if isinstance(item, int):
                path += f"[{item}]"
            elif index == 1 and loc[0] == "topics":
                path += f"[{item!r}]"
            else:
                path += f".{item}" if path else str(item)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (allowed: label, terms, translations, description)"
        problems.append(f"{path}: {message}" if path else message)
    return problems


def parse_taxonomy(data: Any, *, source: str | None = None) -> Taxonomy:
    """Validate already-parsed YAML/JSON data; :class:`ConfigError` lists each problem."""
    if not isinstance(data, dict):
        raise ConfigError(["the taxonomy must be a mapping with a 'topics' key"], file=source)
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_problems(exc), file=source) from exc


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [f"cannot read the taxonomy file: {exc.strerror}"], file=str(path)
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"not valid YAML: {exc}"], file=str(path)) from exc
    return parse_taxonomy(data, source=str(path))


def default_taxonomy() -> Taxonomy:
    """The packaged default museum taxonomy (``config/default_taxonomy.yaml``)."""
    text = resources.files("config").joinpath(DEFAULT_TAXONOMY_FILE).read_text(encoding="utf-8")
    return parse_taxonomy(yaml.safe_load(text), source=DEFAULT_TAXONOMY_FILE)
