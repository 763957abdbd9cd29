"""Reply composition for Mastodon: the mention, the visibility, and matching for reconciliation."""

from __future__ import annotations

import re
from typing import Any

from connectors.base import Post

_MENTION_TOKEN = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
VISIBILITIES = ("public", "unlisted", "private", "direct")


def original_status(post: Post) -> dict[str, Any]:
    """The Status inside ``post.raw`` (a notification wraps it under ``status``)."""
    raw = post.raw or {}
    inner = raw.get("status")
    return inner if isinstance(inner, dict) else raw


def reply_visibility(to: Post, setting: str) -> str:
    """Our reply's visibility: the original's (never wider); ``setting="unlisted"`` keeps
    replies off the public timelines; unknown originals get ``unlisted``."""
    original = original_status(to).get("visibility")
    visibility = original if original in VISIBILITIES else "unlisted"
    if setting == "unlisted" and visibility == "public":
        return "unlisted"
    return str(visibility)


def compose_reply(to: Post, text: str) -> str:
    """The status text we post: the author's ``@acct`` first (Mastodon notifies only mentioned
    accounts), unless the text already starts with it or the post is our own."""
    body = text.strip()
    if to.author.is_self or not to.author.handle:
        return body
    mention = "@" + to.author.handle.lstrip("@")
    first = body.split(maxsplit=1)[0] if body else ""
    if first.lower() == mention.lower():
        return body
    return f"{mention} {body}"


def comparable_body(text: str) -> str:
    """Reply text without mentions and with whitespace collapsed (for reconciliation):
    Mastodon renders ``@user@domain`` as ``@user`` in the HTML it stores."""
    return " ".join(_MENTION_TOKEN.sub(" ", text).split())
