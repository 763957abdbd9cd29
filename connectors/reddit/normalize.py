"""Reddit listing children (``{"kind": "t1"|"t3"|"t4", "data": {...}}``) to :class:`Post`.

Fields follow Reddit's JSON as served with ``raw_json=1`` (prawcore always asks for it, so
text is not HTML-escaped): ``created_utc`` (epoch seconds), ``edited`` (``false`` or epoch
seconds), ``author`` / ``author_fullname`` (absent or ``[deleted]`` once deleted),
``permalink``, ``parent_id`` / ``link_id`` (fullnames), inbox items' ``type`` and
``context``, submissions' ``removed_by_category`` and ``crosspost_parent``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from connectors.base import Author, Post, PostKind, counts, parse_time

PLATFORM = "reddit"
SITE = "https://www.reddit.com"
GONE_AUTHORS = frozenset({"[deleted]", "[removed]"})
GONE_TEXTS = frozenset({"[deleted]", "[removed]"})
REMOVED_TEXT_MARKERS = ("[ Removed by Reddit ]", "[ Removed by moderator ]")
PLATFORM_BOTS = frozenset({"automoderator"})  # Reddit's own automation account
_COMMENT_COUNTS = {"score": "likes", "total_awards_received": "awards"}
_SUBMISSION_COUNTS = {**_COMMENT_COUNTS, "num_comments": "replies", "num_crossposts": "reposts"}
_THREAD = re.compile(r"/comments/([a-z0-9]+)(?:/|$)", re.IGNORECASE)


class Shape(ValueError):
    """A listing child lacks a field every item of its kind carries."""


def created(data: dict[str, Any]) -> float:
    """``created_utc`` as a float (``Shape`` if missing or not a number)."""
    value = data.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Shape(f"created_utc: expected epoch seconds, got {value!r}")
    return float(value)


def fullname(kind: str, data: dict[str, Any]) -> str:
    """The item's fullname (``t3_abc``), from ``name`` or ``kind`` + ``id``."""
    name = data.get("name")
    if isinstance(name, str) and name.startswith(f"{kind}_"):
        return name
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise Shape(f"id: a {kind} item has no id")
    return f"{kind}_{ident}"


class Identity:
    """The institution's account, as configured (handle and/or fullname)."""

    def __init__(self, handle: str | None, account_id: str | None) -> None:
        self.handle = handle.lower() if handle else None
        self.account_id = account_id
        self._mention = (
            re.compile(rf"(?<![\w/])/?u/{re.escape(handle)}(?![\w-])", re.IGNORECASE)
            if handle
            else None
        )

    def is_self(self, handle: str | None, fullname_: str | None) -> bool:
        """Whether an author is the institution's account."""
        if self.account_id and fullname_ and fullname_ == self.account_id:
            return True
        return bool(self.handle and handle and handle.lower() == self.handle)

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` names the account as ``u/handle`` (which notifies it)."""
        if self._mention is None or ("u/" not in text and "U/" not in text):
            return False  # the cheap test first: the pattern is slow on long self-texts
        return self._mention.search(text) is not None


def author_of(data: dict[str, Any], me: Identity) -> Author:
    """The author of an item; deleted accounts become ``[deleted]``."""
    handle = data.get("author")
    author_id = data.get("author_fullname")
    if not isinstance(handle, str) or not handle or handle in GONE_AUTHORS:
        return Author(id="[deleted]", handle="[deleted]")
    ident = author_id if isinstance(author_id, str) and author_id else handle
    return Author(
        id=ident,
        handle=handle,
        is_self=me.is_self(handle, ident),
        is_bot=handle.lower() in PLATFORM_BOTS,
    )


def edited_at(data: dict[str, Any]) -> datetime | None:
    """When the item was last edited; ``edited`` is false or epoch seconds (``true`` on
    some old items, which carries no time and is reported as None)."""
    value = data.get("edited")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return parse_time(float(value))


def _url(path: Any) -> str | None:
    if not isinstance(path, str) or not path:
        return None
    if path.startswith("http"):
        return path
    return SITE + path.split("?", 1)[0]


def _thread_from(path: Any) -> str | None:
    if not isinstance(path, str):
        return None
    found = _THREAD.search(path)
    return f"t3_{found.group(1).lower()}" if found else None


def _removed(data: dict[str, Any]) -> bool:
    return bool(
        data.get("removed_by_category") or data.get("removed") is True or data.get("spam") is True
    )


def submission(
    data: dict[str, Any], *, source: str, me: Identity, raw: dict[str, Any], kind: PostKind
) -> Post:
    """A submission (t3): text is the title, then a blank line and the self-text if any."""
    name = fullname("t3", data)
    title = data.get("title")
    if not isinstance(title, str):
        raise Shape(f"title: submission {name} has no title")
    body = data.get("selftext") if isinstance(data.get("selftext"), str) else ""
    text = f"{title}\n\n{body}" if body else title
    author = author_of(data, me)
    gone = _removed(data) or (author.handle == "[deleted]" and body in GONE_TEXTS)
    return Post(
        platform=PLATFORM,
        id=name,
        source=source,
        kind=kind,
        author=author,
        text=text,
        created_at=parse_time(created(data)),
        url=_url(data.get("permalink")),
        conversation_id=name,
        in_reply_to_id=None,
        language=None,  # Reddit reports no language per item
        mentions_self=me.mentioned_in(text),
        edited_at=edited_at(data),
        deleted=gone,
        metrics=counts(data, _SUBMISSION_COUNTS),
        raw=raw,
    )


def comment(
    data: dict[str, Any], *, source: str, me: Identity, raw: dict[str, Any], kind: PostKind | None
) -> Post:
    """A comment (t1) from a subreddit listing, search or the inbox.

    ``kind`` None means: comment under a post, or reply under a comment, from ``parent_id``.
    """
    name = fullname("t1", data)
    body = data.get("body")
    if not isinstance(body, str):
        raise Shape(f"body: comment {name} has no body")
    parent = data.get("parent_id") if isinstance(data.get("parent_id"), str) else None
    thread = data.get("link_id") if isinstance(data.get("link_id"), str) else None
    thread = thread or _thread_from(data.get("context")) or _thread_from(data.get("permalink"))
    if thread is None and parent and parent.startswith("t3_"):
        thread = parent
    if kind is None:
        kind = PostKind.REPLY if parent and parent.startswith("t1_") else PostKind.COMMENT
    author = author_of(data, me)
    gone = _removed(data) or (
        author.handle == "[deleted]"
        and (body in GONE_TEXTS or body.startswith(REMOVED_TEXT_MARKERS))
    )
    url = _url(data.get("permalink")) or _url(data.get("context"))
    return Post(
        platform=PLATFORM,
        id=name,
        source=source,
        kind=kind,
        author=author,
        text=body,
        created_at=parse_time(created(data)),
        url=url,
        conversation_id=thread,
        in_reply_to_id=parent,
        language=None,
        mentions_self=data.get("type") == "username_mention" or me.mentioned_in(body),
        edited_at=edited_at(data),
        deleted=gone,
        metrics=counts(data, _COMMENT_COUNTS),
        raw=raw,
    )


def message(data: dict[str, Any], *, source: str, me: Identity, raw: dict[str, Any]) -> Post:
    """A private message (t4) from the inbox; its thread is the first message's fullname."""
    name = fullname("t4", data)
    body = data.get("body")
    if not isinstance(body, str):
        raise Shape(f"body: message {name} has no body")
    first = data.get("first_message_name")
    parent = data.get("parent_id")
    author = author_of(data, me)
    return Post(
        platform=PLATFORM,
        id=name,
        source=source,
        kind=PostKind.MESSAGE,
        author=author,
        text=body,
        created_at=parse_time(created(data)),
        url=f"{SITE}/message/messages/{name.removeprefix('t4_')}",
        conversation_id=first if isinstance(first, str) and first else name,
        in_reply_to_id=parent if isinstance(parent, str) and parent else None,
        language=None,
        mentions_self=True,  # a message is addressed to the account
        edited_at=None,
        deleted=author.handle == "[deleted]" and body in GONE_TEXTS,
        metrics={},
        raw=raw,
    )


def to_post(child: Any, *, source: str, me: Identity, feed: str) -> Post | None:
    """Normalize one listing child; None for kinds this feed does not carry (e.g. "more")."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        raise Shape("listing child: expected {kind, data}")
    kind = child.get("kind")
    data: dict[str, Any] = child["data"]
    if kind == "t3":
        return submission(data, source=source, me=me, raw=child, kind=PostKind.POST)
    if kind == "t1":
        post_kind: PostKind | None = None
        if feed == "inbox":
            post_kind = {
                "username_mention": PostKind.MENTION,
                "comment_reply": PostKind.REPLY,
                "post_reply": PostKind.REPLY,
            }.get(str(data.get("type")))
        return comment(data, source=source, me=me, raw=child, kind=post_kind)
    if kind == "t4":
        return message(data, source=source, me=me, raw=child)
    return None
