"""The labelled intent posts: JSONL, one ``{"text", "intents", "lang"}`` object per line.

``read_examples(path)`` checks every line and raises :class:`~nlp.errors.NlpDataError` naming the
file, the line and what to change. ``path`` may be a file or a folder holding ``<split>.jsonl``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.errors import NlpDataError
from nlp.intent import INTENTS

__all__ = ["IntentExample", "read_examples", "split_path"]

SPLITS = ("train", "test")


@dataclass(frozen=True, slots=True)
class IntentExample:
    """One labelled post."""

    text: str
    intents: frozenset[str]
    lang: str = "en"


def split_path(path: str | Path, split: str = "test") -> Path:
    """``path`` itself if it is a file, else ``path/<split>.jsonl``."""
    path = Path(path)
    if path.is_dir():
        path = path / f"{split}.jsonl"
    if not path.is_file():
        raise NlpDataError(
            f"{path}: no such file; give a JSONL file or a folder holding "
            f"{' and '.join(s + '.jsonl' for s in SPLITS)}"
        )
    return path


def _example(item: Any, where: str) -> IntentExample:
    if not isinstance(item, dict):
        raise NlpDataError(f'{where}: expected an object like {{"text": ..., "intents": [...]}}')
    text, intents, lang = item.get("text"), item.get("intents"), item.get("lang", "en")
    if not isinstance(text, str) or not text.strip():
        raise NlpDataError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
        raise NlpDataError(f"{where}: 'intents' must be a list of strings (may be empty)")
    unknown = sorted(set(intents) - set(INTENTS))
    if unknown:
        raise NlpDataError(
            f"{where}: unknown intent(s) {', '.join(map(repr, unknown))}; use {', '.join(INTENTS)}"
        )
    if not isinstance(lang, str) or not lang:
        raise NlpDataError(f"{where}: 'lang' must be a language code such as 'en'")
    return IntentExample(text, frozenset(intents), lang)


def read_examples(path: str | Path, split: str = "test") -> list[IntentExample]:
    """Every example of a JSONL file (or of ``<split>.jsonl`` in a folder), in file order."""
    path = split_path(path, split)
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NlpDataError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from exc
        examples.append(_example(item, where))
    if not examples:
        raise NlpDataError(f"{path}: no examples; write one JSON object per line")
    return examples
