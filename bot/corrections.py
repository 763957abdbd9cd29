"""Staff corrections as training data: the newest correction per post and task, as JSON Lines.

``salon nlp export-labels --task topics --out DIR`` writes ``DIR/train.jsonl`` in the format
``salon nlp train --task topics --data DIR`` reads: ``{"text": ..., "topics": [...]}``.
Posts whose text was erased (privacy) are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Correction, Post

LABEL_KEYS = {"topics": "topics", "sentiment": "sentiment", "intent": "intents"}


def latest_corrections(session: Session, task: str) -> list[tuple[str, list[str]]]:
    """``(text, labels)`` of every corrected post, newest correction per post, in post order."""
    newest = (
        select(col(Correction.post_id), func.max(col(Correction.id)).label("id"))
        .where(col(Correction.task) == task)
        .group_by(col(Correction.post_id))
        .subquery()
    )
    rows = session.execute(
        select(col(Post.text), col(Correction.labels))
        .join(newest, newest.c.id == col(Correction.id))
        .join(Post, col(Post.id) == col(Correction.post_id))
        .where(col(Post.text) != "")
        .order_by(col(Post.id))
    ).all()
    return [(text, list(labels)) for text, labels in rows]


def export_corrections(session: Session, task: str, out: Path) -> tuple[Path, int]:
    """Write ``out/train.jsonl`` for ``task``; return the file and the number of posts."""
    if task not in LABEL_KEYS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(LABEL_KEYS)}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "train.jsonl"
    pairs = latest_corrections(session, task)
    key = LABEL_KEYS[task]
    with path.open("w", encoding="utf-8") as handle:
        for text, labels in pairs:
            value: object = labels[0] if task == "sentiment" and labels else labels
            handle.write(json.dumps({"text": text, key: value}, ensure_ascii=False) + "\n")
    return path, len(pairs)
