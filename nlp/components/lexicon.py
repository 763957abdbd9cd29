"""Reading the packaged lexicon files in ``nlp/lexicons`` (plain text, TSV and YAML).

Files are UTF-8; blank lines and lines starting with ``#`` are comments. Everything here is
read once per component instance, never per document.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import yaml

LEXICON_PACKAGE = "nlp"
LEXICON_DIR = "lexicons"


def lexicon_root() -> Traversable:
    """The ``nlp/lexicons`` folder as a resource (works from a wheel as well as a checkout)."""
    return resources.files(LEXICON_PACKAGE).joinpath(LEXICON_DIR)


def lexicon_file(*parts: str) -> Traversable:
    """One lexicon file, e.g. ``lexicon_file("sentiment", "en.tsv")``."""
    node = lexicon_root()
    for part in parts:
        node = node.joinpath(part)
    return node


def read_lines(*parts: str) -> list[str]:
    """The non-blank, non-comment lines of a lexicon file, stripped."""
    text = lexicon_file(*parts).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def read_tsv(*parts: str, columns: int) -> list[list[str]]:
    """Rows of a tab-separated lexicon file, each padded or checked to ``columns`` fields."""
    rows: list[list[str]] = []
    for number, line in enumerate(read_lines(*parts), start=1):
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) != columns:
            name = "/".join(parts)
            raise ValueError(
                f"{name}: entry {number} ({line!r}) needs {columns} tab-separated fields"
            )
        rows.append(fields)
    return rows


def read_yaml(*parts: str) -> Any:
    """A YAML lexicon file, parsed."""
    return yaml.safe_load(lexicon_file(*parts).read_text(encoding="utf-8"))


def _walk(node: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            found.extend(_walk(child, name + "/"))
        elif not child.name.startswith(".") and not child.name.endswith(".md"):
            found.append((name, child))
    return found


def lexicon_fingerprint() -> str:
    """A hash over every lexicon file's name and bytes (not the ``.md`` notes)."""
    digest = hashlib.sha256()
    for name, node in sorted(_walk(lexicon_root(), ""), key=lambda pair: pair[0]):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(node.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
