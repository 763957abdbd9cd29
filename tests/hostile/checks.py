"""What a normalized post must be, whatever the platform sent (no tests here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.base import Author, Post, PostKind


def valid_unicode(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (no lone surrogates): what SQLite,
    PostgreSQL and spaCy need."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    assert isinstance(value, str), f"{where} is {type(value).__name__}: {value!r:.80}"
    assert valid_unicode(value), f"{where} is not valid Unicode: {value!r:.80}"


def _time(value: object, where: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    assert isinstance(value, datetime), f"{where} is {type(value).__name__}"
    assert value.utcoffset() == timedelta(0), f"{where} is not UTC: {value!r}"


def assert_valid_author(author: Author, where: str) -> None:
    """Every field of an author has its declared type."""
    _text(author.id, f"{where}.id")
    assert author.id, f"{where}.id is empty"
    _text(author.handle, f"{where}.handle")
    _text(author.name, f"{where}.name", optional=True)
    assert isinstance(author.is_self, bool) and isinstance(author.is_bot, bool)
    followers = author.followers
    assert followers is None or (type(followers) is int), f"{where}.followers: {followers!r}"


def assert_valid_post(post: Post) -> None:
    """Every field of a normalized post has its declared type, strings are valid Unicode,
    times are aware UTC: what the store, the classifier and the rules rely on."""
    where = f"post {post.id!r:.40}"
    assert isinstance(post.kind, PostKind), f"{where}.kind: {post.kind!r}"
    for name in ("platform", "id", "source", "text"):
        _text(getattr(post, name), f"{where}.{name}")
    assert post.id, f"{where}: empty id"
    for name in ("url", "conversation_id", "in_reply_to_id", "language"):
        _text(getattr(post, name), f"{where}.{name}", optional=True)
    _time(post.created_at, f"{where}.created_at")
    _time(post.edited_at, f"{where}.edited_at", optional=True)
    assert isinstance(post.mentions_self, bool) and isinstance(post.deleted, bool)
    assert isinstance(post.metrics, dict) and all(
        isinstance(k, str) and type(v) is int for k, v in post.metrics.items()
    ), f"{where}.metrics: {post.metrics!r:.80}"
    assert isinstance(post.raw, dict), f"{where}.raw is {type(post.raw).__name__}"
    assert_valid_author(post.author, f"{where}.author")
