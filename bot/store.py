"""Writing fetched posts: authors, posts, conversations and the cursor, in one transaction.

Every statement here works on a whole batch (a handful of queries per fetch, whatever its
size), and inserts are ``ON CONFLICT DO NOTHING`` so two writers never duplicate a post.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.conversations import track_new_posts
from bot.models import Author, Conversation, ConversationState, Post, SourceState, utcnow
from connectors.base import Post as IncomingPost


@dataclass(slots=True)
class IngestStats:
    """What one batch did to the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


def insert_ignoring_conflicts(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk ``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL.

    Rows go to the table itself (Core ``executemany``, batched into multi-row statements),
    not through the ORM's bulk path, which splits them into one statement per row; rows that
    leave out different columns (those take the column defaults) are inserted group by group.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(model.__table__).on_conflict_do_nothing()
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        session.execute(statement, group)


def content_hash(post: IncomingPost) -> str:
    """A fingerprint of what can change in a post (text, edit time, deletion)."""
    edited = post.edited_at.isoformat() if post.edited_at else ""
    data = f"{post.text}\x00{edited}\x00{int(post.deleted)}"
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def conversation_key(post: IncomingPost) -> str:
    """The thread a post belongs to: ``platform:root id``."""
    return f"{post.platform}:{post.conversation_id or post.id}"


def _author_ids(
    session: Session, posts: Sequence[IncomingPost], now: datetime
) -> tuple[dict[tuple[str, str], int], set[int]]:
    """Each author's row id (created if new), and the ids of authors erased on request."""
    wanted: dict[tuple[str, str], IncomingPost] = {}
    for post in posts:
        wanted[(post.platform, post.author.id)] = post
    rows = [
        {
            "platform": platform,
            "platform_id": author_id,
            "handle": post.author.handle,
            "name": post.author.name,
            "is_self": post.author.is_self,
            "is_bot": post.author.is_bot,
            "followers": post.author.followers,
            "first_seen_at": now,
        }
        for (platform, author_id), post in wanted.items()
    ]
    insert_ignoring_conflicts(session, Author, rows)
    found: dict[tuple[str, str], Any] = {}  # rows, not ORM objects: only these columns
    names = ("id", "platform", "platform_id", "erased", "handle", "name", "followers", "is_bot")
    columns = [col(getattr(Author, name)) for name in names]
    for platform in {p for p, _ in wanted}:
        ids = [a for p, a in wanted if p == platform]
        for author in session.execute(
            select(*columns).where(
                col(Author.platform) == platform, col(Author.platform_id).in_(ids)
            )
        ):
            found[(author.platform, author.platform_id)] = author
    changes = []
    for key, author in found.items():
        if author.erased:
            continue  # erased on request: their handle and name never come back
        seen = wanted[key].author
        if (author.handle, author.name, author.followers, author.is_bot) != (
            seen.handle,
            seen.name,
            seen.followers if seen.followers is not None else author.followers,
            seen.is_bot,
        ):
            changes.append(
                {
                    "id": author.id,
                    "handle": seen.handle,
                    "name": seen.name,
                    "followers": seen.followers if seen.followers is not None else author.followers,
                    "is_bot": seen.is_bot,
                    "pseudonymised": False,  # seen again: their current handle is new data
                }
            )
    if changes:
        session.execute(update(Author), changes)
    by_key = {key: author.id for key, author in found.items() if author.id is not None}
    return by_key, {author.id for author in found.values() if author.erased and author.id}


def _content(post: IncomingPost, author_erased: bool) -> dict[str, Any]:
    """What is kept of a post's content: nothing of a post deleted on the platform or by an
    author erased on request (bot/privacy.py)."""
    if post.deleted or author_erased:
        return {"text": "", "raw": {}, "url": None}
    return {"text": post.text, "raw": post.raw, "url": post.url}


def _thread_keys(session: Session, posts: Sequence[IncomingPost]) -> dict[str, str]:
    """Each post's conversation key; a reply joins its parent's conversation when we know it
    (some platforms only name the parent, not the thread root)."""
    parents = {f"{p.platform}:{p.in_reply_to_id}" for p in posts if p.in_reply_to_id}
    known: dict[str, str] = {}
    if parents:
        known = {
            post_key: conv_key
            for post_key, conv_key in session.execute(
                select(col(Post.key), col(Conversation.key))
                .join(Conversation, col(Conversation.id) == col(Post.conversation_id))
                .where(col(Post.key).in_(parents))
            )
        }
    keys: dict[str, str] = {}
    for post in sorted(posts, key=lambda p: p.created_at):
        parent = f"{post.platform}:{post.in_reply_to_id}" if post.in_reply_to_id else ""
        keys[post.key] = known.get(parent) or keys.get(parent) or conversation_key(post)
    return keys


def _conversations(
    session: Session, posts: Sequence[IncomingPost], thread_keys: dict[str, str]
) -> dict[str, int]:
    """The id of each thread's conversation (created if new), by conversation key."""
    keys: dict[str, IncomingPost] = {}
    for post in posts:
        keys.setdefault(thread_keys[post.key], post)
    insert_ignoring_conflicts(
        session,
        Conversation,
        [
            {
                "key": key,
                "platform": post.platform,
                "state": ConversationState.OPEN.value,
                "opened_at": post.created_at,
                "public_posts": 0,
                "own_posts": 0,
            }
            for key, post in keys.items()
        ],
    )
    rows = session.execute(
        select(col(Conversation.key), col(Conversation.id)).where(
            col(Conversation.key).in_(list(keys))
        )
    )
    return {key: cid for key, cid in rows if cid is not None}


def store_posts(session: Session, posts: Sequence[IncomingPost]) -> IngestStats:
    """Upsert ``posts`` (unique on platform:id); edited posts are updated and re-classified."""
    stats = IngestStats()
    if not posts:
        return stats
    now = utcnow()
    latest: dict[str, IncomingPost] = {}
    for post in posts:
        latest[post.key] = post
    batch = list(latest.values())
    existing = {
        row.key: (row.id, row.content_hash)
        for row in session.execute(
            select(col(Post.key), col(Post.id), col(Post.content_hash)).where(
                col(Post.key).in_(list(latest))
            )
        )
    }
    fresh = [p for p in batch if p.key not in existing]
    changed = [p for p in batch if p.key in existing and existing[p.key][1] != content_hash(p)]
    stats.unchanged = len(batch) - len(fresh) - len(changed)
    if not fresh and not changed:
        return stats
    authors, erased = _author_ids(session, fresh + changed, now)
    thread_keys = _thread_keys(session, fresh)
    conversations = _conversations(session, fresh, thread_keys) if fresh else {}
    insert_ignoring_conflicts(
        session,
        Post,
        [
            {
                "key": p.key,
                "platform": p.platform,
                "platform_id": p.id,
                "source": p.source,
                "kind": p.kind.value,
                "author_id": authors[(p.platform, p.author.id)],
                "conversation_id": conversations[thread_keys[p.key]],
                "in_reply_to_key": f"{p.platform}:{p.in_reply_to_id}" if p.in_reply_to_id else None,
                **_content(p, authors[(p.platform, p.author.id)] in erased),
                "language": p.language,
                "is_own": p.author.is_self,
                "mentions_self": p.mentions_self,
                "deleted": p.deleted,
                "created_at": p.created_at,
                "edited_at": p.edited_at,
                "ingested_at": now,
                "content_hash": content_hash(p),
                "classified": False,
                "triaged": False,
                "metrics": dict(p.metrics),
            }
            for p in fresh
        ],
    )
    if changed:
        session.execute(
            update(Post),
            [
                {
                    "id": existing[p.key][0],
                    **_content(p, authors[(p.platform, p.author.id)] in erased),
                    "edited_at": p.edited_at,
                    "deleted": p.deleted,
                    "content_hash": content_hash(p),
                    "metrics": dict(p.metrics),
                    "classified": False,
                }
                for p in changed
            ],
        )
    track_new_posts(session, [(conversations[thread_keys[p.key]], p) for p in fresh])
    stats.new, stats.updated = len(fresh), len(changed)
    return stats


def save_cursor(
    session: Session,
    source: str,
    platform: str,
    cursor: str | None,
    *,
    requests: int = 0,
    now: datetime | None = None,
) -> SourceState:
    """Record a successful poll of ``source`` and its new cursor (in the caller's transaction)."""
    now = now or utcnow()
    state = session.get(SourceState, source) or SourceState(name=source, platform=platform)
    month = now.strftime("%Y-%m")
    if state.budget_month != month:
        state.budget_month, state.requests_this_month = month, 0
    state.requests_this_month += requests
    state.platform = platform  # a source switched to another platform keeps its name
    state.cursor = cursor
    state.last_poll_at = state.last_success_at = now
    state.consecutive_failures = 0
    state.last_error = None
    session.add(state)
    return state
