"""Personal data (GDPR): retention windows, and an author's right of access and to erasure.

- :func:`apply_retention` clears what the ``privacy`` settings no longer allow us to keep, in
  a few set-based UPDATEs: raw payloads, then texts (classifications, decisions and counts
  stay), then the handle and name of authors not seen for a while (replaced by
  ``visitor-<row id>``, which says nothing about them), and the staff messages and digests
  that quoted them.
- :func:`export_author` gathers everything stored about one author (``salon export``).
- :func:`erase_author` removes it (``salon erase``): texts, raw payloads and URLs of their
  posts, their handle and name, the quotes in alerts and digests; marks them erased so their
  future posts are stored without text, never answered automatically; and records that an
  erasure happened, with counts only.

The platform's account id is kept: it is how a later post by an erased author is recognised
(and its text dropped), and how an opt-out survives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from bot.errors import SalonError
from bot.models import (
    Author,
    Classification,
    Correction,
    Decision,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    StaffAction,
)
from config.settings import PrivacySettings

EMPTY_JSON = "{}"
REDACTED_PAYLOAD: dict[str, Any] = {"redacted": True}
FINAL_STATES = (OutboxState.SENT.value, OutboxState.FAILED.value, OutboxState.CANCELLED.value)
PENDING_STATES = (OutboxState.DRAFT.value, OutboxState.QUEUED.value, OutboxState.HELD.value)
PSEUDONYM_PREFIX = "visitor-"
ERASE_ACTION = "privacy_erase"
QUOTING_KEYS = ("text", "url", "draft")  # what an alert's payload quotes of the post


class PrivacyError(SalonError):
    """An export or erasure that cannot be done as asked."""


def _pseudonym_sql() -> Any:
    """``'visitor-' || author.id``, in SQL."""
    return literal(PSEUDONYM_PREFIX) + cast(col(Author.id), String)


def apply_retention(session: Session, privacy: PrivacySettings, now: datetime) -> dict[str, int]:
    """Clear what is older than the retention windows; returns rows changed per data kind.

    Idempotent: a row already cleared is not touched again. Commits.
    """
    cleared: dict[str, int] = {}
    if privacy.raw_days is not None:
        cutoff = now - timedelta(days=privacy.raw_days)
        cleared["raw"] = _rowcount(
            session.execute(
                update(Post)
                .where(col(Post.created_at) < cutoff, cast(col(Post.raw), String) != EMPTY_JSON)
                .values(raw={})
                .execution_options(synchronize_session=False)
            )
        )
    if privacy.text_days is not None:
        cutoff = now - timedelta(days=privacy.text_days)
        cleared["text"] = _rowcount(
            session.execute(
                update(Post)
                .where(col(Post.created_at) < cutoff, col(Post.text) != "")
                .values(text="", raw={})
                .execution_options(synchronize_session=False)
            )
        )
    if privacy.handles_days is not None:
        cutoff = now - timedelta(days=privacy.handles_days)
        recent = select(col(Post.author_id)).where(col(Post.created_at) >= cutoff)
        cleared["handles"] = _rowcount(
            session.execute(
                update(Author)
                .where(
                    col(Author.is_self).is_(False),
                    col(Author.pseudonymised).is_(False),
                    col(Author.id).not_in(recent),
                )
                .values(handle=_pseudonym_sql(), name=None, pseudonymised=True)
                .execution_options(synchronize_session=False)
            )
        )
        hidden = select(col(Author.id)).where(col(Author.pseudonymised).is_(True))
        session.execute(  # a post's URL names its author on most platforms
            update(Post)
            .where(col(Post.author_id).in_(hidden), col(Post.url).is_not(None))
            .values(url=None)
            .execution_options(synchronize_session=False)
        )
    windows = [d for d in (privacy.text_days, privacy.handles_days) if d is not None]
    if windows:  # alerts quote the text and the handle, digests the handles
        cutoff = now - timedelta(days=min(windows))
        cleared["payloads"] = _rowcount(
            session.execute(
                update(OutboxItem)
                .where(
                    col(OutboxItem.created_at) < cutoff,
                    col(OutboxItem.state).in_(FINAL_STATES),
                    cast(col(OutboxItem.payload), String) != json.dumps(REDACTED_PAYLOAD),
                )
                .values(payload=REDACTED_PAYLOAD)
                .execution_options(synchronize_session=False)
            )
        )
    session.commit()
    session.expire_all()
    return cleared


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def normalise_handle(handle: str) -> str:
    """A handle as typed by a person: ``@Someone`` → ``someone``."""
    cleaned = handle.strip().lstrip("@").lower()
    if not cleaned:
        raise PrivacyError("give the author's handle, e.g. --author someone (with or without @)")
    return cleaned


def find_authors(session: Session, handle: str, platform: str | None = None) -> list[Author]:
    """The authors with ``handle`` (case-insensitive, ``@`` optional), on ``platform`` if given."""
    wanted = normalise_handle(handle)
    query = select(Author).where(
        func.lower(col(Author.handle)).in_([wanted, f"@{wanted}"]),
        col(Author.erased).is_(False),
    )
    if platform:
        query = query.where(col(Author.platform) == platform)
    return list(session.scalars(query.order_by(col(Author.platform), col(Author.id))))


def _dump(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json")


def export_author(session: Session, handle: str, platform: str | None = None) -> dict[str, Any]:
    """Everything stored about the author(s) with ``handle``: their account rows, posts with
    classifications, decisions, corrections, the outbox items about each post (our replies,
    staff alerts), the staff actions on those and on their conversations, and our own posts
    that answer theirs. :class:`PrivacyError` when no author matches."""
    authors = find_authors(session, handle, platform)
    if not authors:
        raise PrivacyError(_no_author(handle, platform))
    return {
        "handle": normalise_handle(handle),
        "platform": platform,
        "authors": [_export_one(session, author) for author in authors],
    }


def _export_one(session: Session, author: Author) -> dict[str, Any]:
    posts = list(
        session.scalars(
            select(Post).where(col(Post.author_id) == author.id).order_by(col(Post.created_at))
        )
    )
    ids = [p.id for p in posts if p.id is not None]
    keys = [p.key for p in posts]
    by_post = {
        "classification": _rows_by_post(session, Classification, ids),
        "decisions": _rows_by_post(session, Decision, ids),
        "corrections": _rows_by_post(session, Correction, ids),
        "outbox": _rows_by_post(session, OutboxItem, ids),
    }
    outbox_ids = [i["id"] for items in by_post["outbox"].values() for i in items]
    conversations = sorted({p.conversation_id for p in posts if p.conversation_id is not None})
    actions = session.scalars(
        select(StaffAction)
        .where(
            or_(
                col(StaffAction.outbox_id).in_(outbox_ids),
                col(StaffAction.conversation_id).in_(conversations),
            )
        )
        .order_by(col(StaffAction.created_at), col(StaffAction.id))
    )
    answers = session.scalars(
        select(Post)
        .where(col(Post.is_own).is_(True), col(Post.in_reply_to_key).in_(keys))
        .order_by(col(Post.created_at))
    )
    exported_posts = []
    for post in posts:
        entry = _dump(post)
        classification = by_post["classification"].get(post.id or 0, [])
        entry["classification"] = classification[0] if classification else None
        for name in ("decisions", "corrections", "outbox"):
            entry[name] = by_post[name].get(post.id or 0, [])
        exported_posts.append(entry)
    return {
        "author": _dump(author),
        "posts": exported_posts,
        "our_replies": [_dump(p) for p in answers],
        "staff_actions": [_dump(a) for a in actions],
    }


def _rows_by_post(
    session: Session, model: Any, post_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    if not post_ids:
        return grouped
    for row in session.scalars(select(model).where(col(model.post_id).in_(post_ids))):
        grouped.setdefault(row.post_id, []).append(_dump(row))
    return grouped


@dataclass(slots=True)
class Erasure:
    """What :func:`erase_author` did (counts only: no personal data)."""

    authors: int = 0
    posts: int = 0
    outbox_items: int = 0
    cancelled: int = 0
    digests: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts, as recorded with the erasure."""
        return {
            "authors": self.authors,
            "posts": self.posts,
            "outbox_items": self.outbox_items,
            "cancelled": self.cancelled,
            "digests": self.digests,
        }


def erase_author(
    session: Session, handle: str, platform: str | None, *, actor: str, now: datetime
) -> Erasure:
    """Erase the author(s) with ``handle`` (see the module docstring). Commits."""
    authors = find_authors(session, handle, platform)
    if not authors:
        raise PrivacyError(_no_author(handle, platform))
    own = [a for a in authors if a.is_self]
    if own:
        raise PrivacyError(
            f"{own[0].platform}:{own[0].handle} is the institution's own account; "
            "it cannot be erased (add --platform to pick another account with that handle)"
        )
    erasure = Erasure(authors=len(authors))
    ids = [a.id for a in authors if a.id is not None]
    names = {a.handle for a in authors} | {a.name for a in authors if a.name}
    post_ids = [
        pid
        for pid in session.scalars(select(col(Post.id)).where(col(Post.author_id).in_(ids)))
        if pid is not None
    ]
    erasure.posts = _rowcount(
        session.execute(
            update(Post)
            .where(col(Post.author_id).in_(ids))
            .values(text="", raw={}, url=None)
            .execution_options(synchronize_session=False)
        )
    )
    _scrub_outbox(session, post_ids, names, erasure)
    session.execute(
        update(Author)
        .where(col(Author.id).in_(ids))
        .values(
            handle=_pseudonym_sql(),
            name=None,
            followers=None,
            pseudonymised=True,
            erased=True,
            opted_out=True,  # never answered automatically again
        )
        .execution_options(synchronize_session=False)
    )
    session.add(
        StaffAction(actor=actor, action=ERASE_ACTION, payload=erasure.as_dict(), created_at=now)
    )
    session.commit()
    session.expire_all()
    return erasure


def _scrub_outbox(
    session: Session, post_ids: Sequence[int], names: Iterable[str], erasure: Erasure
) -> None:
    """Remove the author's words and names from outbox items: alerts and replies about their
    posts (those not yet sent are cancelled), and every digest that names them."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.I)
    items = list(
        session.scalars(
            select(OutboxItem).where(
                or_(
                    col(OutboxItem.post_id).in_(post_ids),
                    col(OutboxItem.kind) == OutboxKind.DIGEST.value,
                )
            )
        )
    )
    for item in items:
        payload = dict(item.payload)
        if item.kind == OutboxKind.DIGEST.value:
            text = str(payload.get("summary", ""))
            if not pattern.search(text):
                continue
            payload["summary"] = pattern.sub("(erased)", text)
            erasure.digests += 1
        else:
            for key in QUOTING_KEYS:
                if key in payload and item.kind == OutboxKind.ALERT.value:
                    payload[key] = ""
            for key, value in payload.items():
                if isinstance(value, str):
                    payload[key] = pattern.sub("(erased)", value)
            erasure.outbox_items += 1
            if item.state in PENDING_STATES:
                item.state, item.last_error = OutboxState.CANCELLED.value, "author erased"
                erasure.cancelled += 1
        item.payload = payload
        session.add(item)


def _no_author(handle: str, platform: str | None) -> str:
    where = f" on {platform}" if platform else ""
    return (
        f"no author with handle {normalise_handle(handle)!r}{where} in the store"
        " (check the spelling; an author already erased no longer has a handle)"
    )
