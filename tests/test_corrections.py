"""Staff corrections exported as training data (newest per post wins, erased texts left out)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.corrections import export_corrections
from bot.models import Correction, Post
from bot.store import store_posts
from nlp.topic_model import read_examples
from tests.helpers import T0, make_post


def correct(session: Session, key: str, task: str, labels: list[str], actor: str = "maria") -> None:
    post = session.scalars(select(Post).where(col(Post.key) == key)).one()
    assert post.id is not None
    session.add(Correction(post_id=post.id, task=task, labels=labels, actor=actor, created_at=T0))


def test_newest_correction_per_post_is_exported(session: Session, tmp_path: Path) -> None:
    store_posts(session, [make_post("1", "is the café open?"), make_post("2", "great talk")])
    store_posts(session, [make_post("3", "")])
    session.commit()
    correct(session, "x:1", "topics", ["events"])
    correct(session, "x:1", "topics", ["visiting.facilities"], actor="li")  # newer: wins
    correct(session, "x:2", "topics", ["events"])
    correct(session, "x:2", "sentiment", ["positive"])
    correct(session, "x:3", "topics", ["events"])  # no text: left out
    session.commit()
    path, count = export_corrections(session, "topics", tmp_path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert count == 2 and lines == [
        {"text": "is the café open?", "topics": ["visiting.facilities"]},
        {"text": "great talk", "topics": ["events"]},
    ]
    assert [e.topics for e in read_examples(path)] == [
        frozenset({"visiting.facilities"}),
        frozenset({"events"}),
    ]
    _, sentiments = export_corrections(session, "sentiment", tmp_path / "s")
    assert sentiments == 1
    first = json.loads((tmp_path / "s" / "train.jsonl").read_text().splitlines()[0])
    assert first == {"text": "great talk", "sentiment": "positive"}
