"""Classification: new and edited public posts through the spaCy pipeline, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nlp.analysis import Analysis
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Classification, Post, utcnow


class Analyser(Protocol):
    """What the store needs of a classifier (``nlp.pipeline.Classifier`` is one)."""

    name: str
    version: str

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Analysis]: ...


def classify_pending(
    session: Session, analyser: Analyser, *, batch_size: int = 512, abuse_threshold: float = 0.5
) -> int:
    """Classify every unclassified public post; each batch commits on its own. Returns count."""
    total = 0
    while True:
        posts = session.execute(
            select(col(Post.id), col(Post.text), col(Post.language))
            .where(~col(Post.classified), ~col(Post.is_own))
            .order_by(col(Post.id))
            .limit(batch_size)
            .with_for_update(skip_locked=True)  # PostgreSQL: workers take different batches
        ).all()
        if not posts:
            return total
        results = analyser.analyse(
            [p.text for p in posts], [p.language for p in posts], batch_size=batch_size
        )
        ids = [p.id for p in posts]
        now = utcnow()
        session.execute(delete(Classification).where(col(Classification.post_id).in_(ids)))
        session.execute(  # executemany on the table: ORM objects cost more than the SQL
            insert(Classification.__table__),  # type: ignore[attr-defined]
            [
                {
                    "post_id": post.id,
                    "model": analyser.name,
                    "version": analyser.version,
                    "language": result.language,
                    "topics": result.topics,
                    "top_topic": result.top_topic(),
                    "sentiment": result.sentiment,
                    "sentiment_score": result.sentiment_score,
                    "intents": result.intents,
                    "abuse": result.abuse,
                    "is_abusive": result.abuse >= abuse_threshold,
                    "created_at": now,
                }
                for post, result in zip(posts, results, strict=True)
            ],
        )
        session.execute(update(Post).where(col(Post.id).in_(ids)).values(classified=True))
        session.commit()
        total += len(posts)
