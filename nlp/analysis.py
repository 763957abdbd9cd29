"""What the pipeline made of one post: the plain, storable result other code works with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc

ABUSE_THRESHOLD = 0.5
UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class Analysis:
    """Language, topics, sentiment, intents and abuse of one post (scores in [0, 1], sentiment
    score in [-1, 1])."""

    language: str
    language_score: float
    topics: dict[str, float]
    sentiment: str
    sentiment_score: float
    intents: dict[str, float]
    abuse: float

    @property
    def is_abusive(self) -> bool:
        """Whether the abuse score reaches the threshold (0.5)."""
        return self.abuse >= ABUSE_THRESHOLD

    def top_topic(self, min_score: float = 0.0) -> str | None:
        """The best-scoring topic (ties: alphabetical), or ``None`` if none reaches
        ``min_score`` or nothing matched."""
        best: tuple[float, str] | None = None
        for key, score in self.topics.items():
            if score > 0 and score >= min_score and (best is None or (-score, key) < best):
                best = (-score, key)
        return None if best is None else best[1]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (also carries ``is_abusive`` and ``top_topic`` for convenience)."""
        return {
            "language": self.language,
            "language_score": self.language_score,
            "topics": dict(self.topics),
            "sentiment": self.sentiment,
            "sentiment_score": self.sentiment_score,
            "intents": dict(self.intents),
            "abuse": self.abuse,
            "is_abusive": self.is_abusive,
            "top_topic": self.top_topic(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        """Rebuild an analysis from :meth:`to_dict` output (derived keys are ignored)."""
        return cls(
            language=str(data["language"]),
            language_score=float(data["language_score"]),
            topics={str(k): float(v) for k, v in dict(data["topics"]).items()},
            sentiment=str(data["sentiment"]),
            sentiment_score=float(data["sentiment_score"]),
            intents={str(k): float(v) for k, v in dict(data["intents"]).items()},
            abuse=float(data["abuse"]),
        )

    @classmethod
    def from_doc(cls, doc: Doc) -> Analysis:
        """Read the ``doc._`` attributes the Salon components set."""
        ext = doc._
        return cls(
            language=ext.language or UNDETERMINED,
            language_score=float(ext.language_score or 0.0),
            topics=dict(ext.topics or {}),
            sentiment=ext.sentiment or "neutral",
            sentiment_score=float(ext.sentiment_score or 0.0),
            intents=dict(ext.intents or {}),
            abuse=float(ext.abuse or 0.0),
        )
