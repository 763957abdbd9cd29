"""Posts to and from plain JSON-able dicts (the replay format, and the store's ``raw`` column)."""

from __future__ import annotations

from datetime import datetime
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
    """Build a :class:`Post` from a dict; raises ``ValueError``/``KeyError`` naming the field.

    Every field must have its type (ids may be numbers; absent or null optional fields take
    their defaults): a replay file is outside data, and a wrong type would reach the store.
    """
    author = data["author"]
    if not isinstance(author, dict):
        raise ValueError("author: must be an object with id and handle")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("text: must be a string")
    try:
        kind = PostKind(data.get("kind", "post"))
    except (ValueError, TypeError):
        allowed = ", ".join(k.value for k in PostKind)
        raise ValueError(f"kind: {data.get('kind')!r:.40} is not one of {allowed}") from None
    edited = data.get("edited_at")
    return Post(
        platform=_id(data, "platform"),
        id=_id(data, "id"),
        source=source or _text(data, "source") or "",
        kind=kind,
        author=Author(
            id=_id(author, "id", "author."),
            handle=_text(author, "handle", "author.", required=True) or "",
            name=_text(author, "name", "author."),
            is_self=_flag(author, "is_self", "author."),
            is_bot=_flag(author, "is_bot", "author."),
            followers=_count(author.get("followers"), "author.followers"),
        ),
        text=text,
        created_at=_time(data["created_at"], "created_at"),
        url=_text(data, "url"),
        conversation_id=_opt_id(data, "conversation_id"),
        in_reply_to_id=_opt_id(data, "in_reply_to_id"),
        language=_text(data, "language"),
        mentions_self=_flag(data, "mentions_self"),
        edited_at=_time(edited, "edited_at") if edited else None,
        deleted=_flag(data, "deleted"),
        metrics=_metrics(data.get("metrics")),
        raw=_object(data.get("raw"), "raw"),
    )


def _time(value: Any, name: str) -> datetime:
    try:
        return parse_time(value)
    except (TypeError, ValueError, AttributeError, OverflowError, OSError):
        raise ValueError(f"{name}: {value!r:.40} is not an ISO-8601 time") from None


def _id(data: dict[str, Any], name: str, where: str = "") -> str:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ValueError(f"{where}{name}: must be a non-empty string or a number")
    return str(value)


def _opt_id(data: dict[str, Any], name: str) -> str | None:
    return None if data.get(name) is None else _id(data, name)


def _text(
    data: dict[str, Any], name: str, where: str = "", *, required: bool = False
) -> str | None:
    value = data[name] if required else data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}{name}: must be a string")
    return value


def _flag(data: dict[str, Any], name: str, where: str = "") -> bool:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{where}{name}: must be true or false")
    return bool(value)


def _count(value: Any, name: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{name}: must be a whole number")
    return value


def _metrics(value: Any) -> dict[str, int]:
    metrics = _object(value, "metrics")
    for key, count in metrics.items():
        if _count(count, f"metrics.{key}") is None:
            raise ValueError(f"metrics.{key}: must be a whole number")
    return metrics


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name}: must be an object")
    return value
