"""Posts to and from plain JSON-able dicts (the replay format, and the store's ``raw`` column)."""

from __future__ import annotations

from typing import Any

from connectors.base import Author, Post, PostKind, parse_time


def post_to_dict(post: Post) -> dict[str, Any]:
    """A JSON-able dict of ``post`` (the inverse of :func:`post_from_dict`)."""
    return {
        "platform": post.platform,
        "id": post.id,
        "source": post.source,
        "kind": post.kind.value,
        "author": {
            "id": post.author.id,
            "handle": post.author.handle,
            "name": post.author.name,
            "is_self": post.author.is_self,
            "is_bot": post.author.is_bot,
            "followers": post.author.followers,
        },
        "text": post.text,
        "created_at": post.created_at.isoformat(),
        "url": post.url,
        "conversation_id": post.conversation_id,
        "in_reply_to_id": post.in_reply_to_id,
        "language": post.language,
        "mentions_self": post.mentions_self,
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "deleted": post.deleted,
        "metrics": dict(post.metrics),
        "raw": post.raw,
    }


def post_from_dict(data: dict[str, Any], *, source: str | None = None) -> Post:
    """Build a :class:`Post` from a dict; raises ``ValueError``/``KeyError`` naming the field."""
    author = data["author"]
    if not isinstance(author, dict):
        raise ValueError("author: must be an object with id and handle")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("text: must be a string")
    try:
        kind = PostKind(data.get("kind", "post"))
    except ValueError:
        allowed = ", ".join(k.value for k in PostKind)
        raise ValueError(f"kind: {data.get('kind')!r} is not one of {allowed}") from None
    try:
        created_at = parse_time(data["created_at"])
    except (TypeError, ValueError):
        bad = data.get("created_at")
        raise ValueError(f"created_at: {bad!r} is not an ISO-8601 time") from None
    edited = data.get("edited_at")
    return Post(
        platform=str(data["platform"]),
        id=str(data["id"]),
        source=source or str(data.get("source") or ""),
        kind=kind,
        author=Author(
            id=str(author["id"]),
            handle=str(author["handle"]),
            name=author.get("name"),
            is_self=bool(author.get("is_self", False)),
            is_bot=bool(author.get("is_bot", False)),
            followers=author.get("followers"),
        ),
        text=text,
        created_at=created_at,
        url=data.get("url"),
        conversation_id=_opt_str(data.get("conversation_id")),
        in_reply_to_id=_opt_str(data.get("in_reply_to_id")),
        language=data.get("language"),
        mentions_self=bool(data.get("mentions_self", False)),
        edited_at=parse_time(edited) if edited else None,
        deleted=bool(data.get("deleted", False)),
        metrics={k: int(v) for k, v in (data.get("metrics") or {}).items()},
        raw=data.get("raw") or {},
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
