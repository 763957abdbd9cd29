"""Reading TweetEval-style splits: ``<split>_text.txt``, ``<split>_labels.txt``, ``mapping.txt``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["read_label_names", "read_lines", "read_split"]


def read_lines(path: str | Path) -> list[str]:
    """Lines of a UTF-8 file without their line ends (a trailing empty line is dropped)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_label_names(folder: str | Path) -> list[str]:
    """Label names ordered by id, from ``mapping.txt`` (``<id>\\t<name>`` per line)."""
    pairs = []
    for line in read_lines(Path(folder) / "mapping.txt"):
        if line.strip():
            idx, name = line.split("\t", 1)
            pairs.append((int(idx), name.strip()))
    return [name for _, name in sorted(pairs)]


def read_split(folder: str | Path, split: str) -> tuple[list[str], np.ndarray]:
    """Texts and integer labels of ``split`` (``train`` or ``val``) in ``folder``."""
    folder = Path(folder)
    texts = read_lines(folder / f"{split}_text.txt")
    labels = np.array([int(x) for x in read_lines(folder / f"{split}_labels.txt") if x.strip()])
    if len(texts) != len(labels):
        raise ValueError(f"{folder}/{split}: {len(texts)} texts but {len(labels)} labels")
    return texts, labels
