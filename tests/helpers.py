"""Test helpers: posts, settings and a tiny deterministic analyser."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.loader import parse_settings
from config.settings import Settings
from connectors.base import Author, Post, PostKind

if TYPE_CHECKING:
    from nlp.analysis import Analysis

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MUSEUM = Author(id="1", handle="lumenmuseum", is_self=True)


def make_post(
    pid: str,
    text: str = "hello",
    *,
    platform: str = "x",
    author: Author | None = None,
    minutes: int = 0,
    reply_to: str | None = None,
    root: str | None = None,
    source: str = "src",
    mentions_self: bool = True,
    **extra: Any,
) -> Post:
    """A normalized post at ``T0 + minutes``."""
    return Post(
        platform=platform,
        id=pid,
        source=source,
        kind=PostKind.REPLY if reply_to else PostKind.MENTION,
        author=author or Author(id=f"u-{pid}", handle=f"user{pid}"),
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        conversation_id=root or (pid if reply_to is None else None),
        in_reply_to_id=reply_to,
        mentions_self=mentions_self,
        raw={"id": pid},
        **extra,
    )


def settings_from(data: dict[str, Any]) -> Settings:
    """Settings from a dict, with the required institution filled in."""
    return parse_settings({"institution": {"name": "Test Museum"}, **data}, environ={})


class KeywordAnalyser:
    """Deterministic stand-in for the NLP classifier (tests of the plumbing, not of NLP)."""

    name = "keyword-test"
    version = "1"

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Analysis]:
        return [self._one(text) for text in texts]

    @staticmethod
    def _one(text: str) -> Analysis:
        from nlp.analysis import Analysis

        low = text.lower()
        topics = {"visiting.hours": 0.9} if "open" in low else {}
        if "ticket" in low:
            topics["visiting.tickets"] = 0.9
        intents = {}
        if "?" in low:
            intents["question"] = 0.9
        if "awful" in low:
            intents["complaint"] = 0.9
        if "love" in low:
            intents["praise"] = 0.9
        sentiment = "negative" if "awful" in low else "positive" if "love" in low else "neutral"
        return Analysis(
            language="fr" if "bonjour" in low else "en",
            language_score=1.0,
            topics=topics,
            sentiment=sentiment,
            sentiment_score={"negative": -0.8, "positive": 0.8}.get(sentiment, 0.0),
            intents=intents,
            abuse=0.9 if "idiot" in low else 0.0,
        )


TICKETS_RULE = {
    "name": "tickets",
    "when": {"topic": "visiting.tickets"},
    "action": "auto_reply",
    "template": "t",
}
COMPLAINTS_RULE = {"name": "complaints", "when": {"intent": "complaint"}, "action": "alert"}


def replay_settings(
    tmp_path: Path,
    posts: Sequence[Post],
    *,
    url: str | None = None,
    template: str = "Tickets: {{ facts.url }}",
    rules: Sequence[dict[str, Any]] = (TICKETS_RULE,),
    **extra: Any,
) -> Settings:
    """Settings for one replay source ``s`` serving ``posts`` (written to ``in.jsonl``), with a
    tickets template and ``rules``; the store is ``db.sqlite`` in ``tmp_path`` unless ``url``."""
    from connectors.serialize import post_to_dict

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(post_to_dict(p)) + "\n" for p in posts))
    return settings_from(
        {
            "database": {"url": url or f"sqlite:///{tmp_path / 'db.sqlite'}"},
            "sources": [
                {"name": "s", "platform": "replay", "feed": "file", "options": {"path": str(data)}}
            ],
            "templates": {"t": {"text": template}},
            "facts": {"url": {"value": "https://example.org"}},
            "triage": {"rules": list(rules)},
            **extra,
        }
    )
