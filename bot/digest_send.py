"""The weekly digest into the outbox: once per week, as a compact text and its charts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.digest import Digest
from bot.digest_charts import CHARTS, caption
from bot.digest_period import digest_key
from bot.digest_render import render_text
from bot.models import OutboxItem, OutboxKind, OutboxState
from bot.store import insert_ignoring_conflicts


def digest_payload(digest: Digest, files: dict[str, Path]) -> dict[str, Any]:
    """What the staff sink sends: ``summary`` (plain text) and ``charts`` (PNG paths)."""
    charts = [files[name] for name in CHARTS if name in files]
    return {
        "summary": render_text(digest),
        "charts": [{"path": str(path), "caption": caption(path.name)} for path in charts],
        "week": digest.week,
    }


def enqueue_digest(session: Session, digest: Digest, files: dict[str, Path], now: datetime) -> None:
    """Queue the digest for staff under ``digest:<ISO week>`` (not committed); nothing happens
    if that week's digest was queued before, so it is never sent twice."""
    insert_ignoring_conflicts(
        session,
        OutboxItem,
        [
            {
                "key": digest_key(digest.start, digest.tz),
                "kind": OutboxKind.DIGEST.value,
                "channel": "staff",
                "state": OutboxState.QUEUED.value,
                "priority": "normal",
                "payload": digest_payload(digest, files),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
    )
