"""X API v2 payloads to :class:`~connectors.base.Post`.

One page carries the posts (``data``), their authors and referenced posts (``includes``),
partial errors (``errors``: e.g. a replied-to post that was deleted) and ``meta`` (tokens).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from connectors.base import Author, Post, PostKind, counts, parse_time
from connectors.errors import ConnectorError, Forbidden, MalformedResponse, NotFound
from connectors.x.cursor import snowflake_time

log = logging.getLogger(__name__)

PLATFORM = "x"
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "edit_history_tweet_ids",
    "entities",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "public_metrics",
    "referenced_tweets",
]
EXPANSIONS = ["author_id", "referenced_tweets.id"]
USER_FIELDS = ["name", "public_metrics", "username", "verified"]

_METRICS = {
    "like_count": "likes",
    "reply_count": "replies",
    "retweet_count": "reposts",
    "quote_count": "quotes",
    "bookmark_count": "bookmarks",
    "impression_count": "impressions",
}
_NOT_FOUND = "resource-not-found"
_NOT_AUTHORIZED = "not-authorized-for-resource"


@dataclass(frozen=True, slots=True)
class Identity:
    """The institution's account as configured (either part may be unknown)."""

    user_id: str | None
    handle: str | None

    def is_self(self, user_id: str | None, username: str | None = None) -> bool:
        """True if the id or the username is the institution's."""
        if self.user_id and user_id and str(user_id) == self.user_id:
            return True
        return bool(self.handle and username and username.lower() == self.handle.lower())

    def mentioned(self, mentions: list[Any], text: str, *, have_entities: bool) -> bool:
        """True if the mention entities (or, lacking entities, the text) name the account."""
        for mention in mentions:
            if isinstance(mention, dict) and self.is_self(
                mention.get("id"), mention.get("username")
            ):
                return True
        if have_entities or not self.handle:
            return False
        pattern = rf"(?<![A-Za-z0-9_@])@{re.escape(self.handle)}(?![A-Za-z0-9_])"
        return re.search(pattern, text, flags=re.IGNORECASE) is not None


@dataclass(slots=True)
class Page:
    """One decoded API answer."""

    tweets: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    included: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    has_meta: bool = False

    @property
    def ids(self) -> list[int]:
        """The ids of the posts on this page."""
        return [int(t["id"]) for t in self.tweets]


def as_payload(result: Any) -> dict[str, Any]:
    """The JSON body of a tweepy result, whatever the client's ``return_type``."""
    if isinstance(result, requests.Response):
        result = result.json()
    if isinstance(result, tuple) and hasattr(result, "_fields"):  # tweepy.Response
        response: Any = result
        data = response.data
        if isinstance(data, list):
            data = [_raw(item) for item in data]
        elif data is not None:
            data = _raw(data)
        payload: dict[str, Any] = {"data": data}
        payload["includes"] = {
            key: [_raw(item) for item in value] for key, value in (response.includes or {}).items()
        }
        payload["errors"] = list(response.errors or [])
        if response.meta:
            payload["meta"] = dict(response.meta)
        return payload
    if not isinstance(result, dict):
        raise ValueError(f"expected a JSON object, got {type(result).__name__}")
    return result


def parse_page(result: Any) -> Page:
    """Decode and shape-check one page (raises ``ValueError`` naming what is wrong)."""
    payload = as_payload(result)
    data = payload.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ValueError("'data' is not a list of posts")
    for item in data:
        _check_tweet(item)
    includes = payload.get("includes") or {}
    if not isinstance(includes, dict):
        raise ValueError("'includes' is not an object")
    users = {str(u["id"]): u for u in _objects(includes.get("users"), "includes.users")}
    included = {str(t["id"]): t for t in _objects(includes.get("tweets"), "includes.tweets")}
    errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
    meta = payload.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise ValueError("'meta' is not an object")
    return Page(data, users, included, errors, meta or {}, has_meta=meta is not None)


def page_problem(page: Page, *, source: str) -> ConnectorError | None:
    """The error to raise when X answered 200 with only errors (no data, no meta)."""
    if page.tweets or page.has_meta or not page.errors:
        return None
    first = page.errors[0]
    detail = str(first.get("detail") or first.get("title") or first)
    kind = str(first.get("type") or "")
    if kind.endswith(_NOT_FOUND):
        return NotFound(f"X: {detail}", platform=PLATFORM, source=source)
    if kind.endswith(_NOT_AUTHORIZED):
        return Forbidden(f"X: {detail}", platform=PLATFORM, source=source)
    return MalformedResponse(f"X answered only errors: {detail}", platform=PLATFORM, source=source)


def unescape(text: str) -> str:
    """Undo X's HTML escaping of ``&``, ``<`` and ``>`` (nothing else is escaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def permalink(handle: str | None, post_id: str) -> str:
    """The public URL of a post (``/i/web/status/`` works without the handle)."""
    return f"https://x.com/{handle or 'i/web'}/status/{post_id}"


def references(tweet: dict[str, Any]) -> dict[str, str]:
    """``referenced_tweets`` as ``{type: id}`` (replied_to, quoted, retweeted)."""
    refs: dict[str, str] = {}
    listed = tweet.get("referenced_tweets")
    for ref in listed if isinstance(listed, list) else []:
        if isinstance(ref, dict) and ref.get("type") and ref.get("id"):
            refs[str(ref["type"])] = str(ref["id"])
    return refs


def to_post(
    tweet: dict[str, Any],
    page: Page,
    *,
    source: str,
    identity: Identity,
    mentions_feed: bool = False,
) -> Post | None:
    """Normalize one post; None (logged) if it lacks an author id."""
    version_id = str(tweet["id"])
    author_id = tweet.get("author_id")
    if not author_id:
        log.warning("x: post %s has no author_id; skipped", version_id)
        return None
    author_id = str(author_id)
    history = [str(i) for i in tweet.get("edit_history_tweet_ids") or []] or [version_id]
    post_id = history[0]
    edited = post_id != version_id
    refs = references(tweet)
    in_reply_to = refs.get("replied_to")

    user = page.users.get(author_id, {})
    handle = str(user.get("username") or "")
    user_metrics = user.get("public_metrics")
    followers = user_metrics.get("followers_count") if isinstance(user_metrics, dict) else None
    name = user.get("name")
    author = Author(
        id=author_id,
        handle=handle,
        name=name if isinstance(name, str) else None,
        is_self=identity.is_self(author_id, handle),
        followers=int(followers) if isinstance(followers, int) else None,
    )

    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else None
    text = unescape(str((note or {}).get("text") or tweet.get("text") or ""))
    created_at, edited_at = _times(tweet, post_id, version_id, edited)

    conversation = tweet.get("conversation_id")
    conversation = str(conversation) if conversation else None
    if conversation == version_id:
        conversation = post_id
    if conversation is None:
        conversation = in_reply_to or post_id

    entities = tweet.get("entities")
    note_entities = (note or {}).get("entities")
    mentions = [*_mentions(entities), *_mentions(note_entities)]
    have_entities = isinstance(entities, dict) or isinstance(note_entities, dict)
    quoted = page.included.get(refs.get("quoted", ""), {})
    mentions_self = (
        mentions_feed
        or identity.mentioned(mentions, text, have_entities=have_entities)
        or (bool(quoted) and identity.is_self(quoted.get("author_id")))
    )
    if in_reply_to:
        kind = PostKind.REPLY
    elif mentions_self and not author.is_self:
        kind = PostKind.MENTION
    else:
        kind = PostKind.POST

    return Post(
        platform=PLATFORM,
        id=post_id,
        source=source,
        kind=kind,
        author=author,
        text=text,
        created_at=created_at,
        url=permalink(handle, post_id),
        conversation_id=conversation,
        in_reply_to_id=in_reply_to,
        language=_language(tweet.get("lang")),
        mentions_self=mentions_self,
        edited_at=edited_at,
        metrics=counts(tweet.get("public_metrics"), _METRICS),
        raw=dict(tweet),
    )


def tombstones(posts: list[Post], page: Page, *, source: str, identity: Identity) -> list[Post]:
    """Deleted parents the page reports as not found, for the posts we return.

    X drops a deleted post silently, but a reply to it still names it in ``referenced_tweets``
    and the expansion fails with a ``resource-not-found`` error. The reply tells us the
    parent's author (``in_reply_to_user_id``) and thread; the snowflake id tells its time.
    """
    gone = {
        str(e.get("resource_id") or e.get("value")): e
        for e in page.errors
        if str(e.get("type") or "").endswith(_NOT_FOUND) and e.get("resource_type") == "tweet"
    }
    out: dict[str, Post] = {}
    for post in posts:
        parent = post.in_reply_to_id
        if parent is None or parent not in gone or parent in out:
            continue
        author_id = post.raw.get("in_reply_to_user_id")
        created_at = snowflake_time(parent)
        if not author_id or created_at is None:
            continue
        is_self = identity.is_self(str(author_id))
        handle = (identity.handle or "") if is_self else ""
        out[parent] = Post(
            platform=PLATFORM,
            id=parent,
            source=source,
            kind=PostKind.POST if parent == post.conversation_id else PostKind.REPLY,
            author=Author(id=str(author_id), handle=handle, is_self=is_self),
            text="",
            created_at=created_at,
            url=permalink(handle, parent),
            conversation_id=post.conversation_id,
            deleted=True,
            raw=dict(gone[parent]),
        )
    return list(out.values())


def _times(
    tweet: dict[str, Any], post_id: str, version_id: str, edited: bool
) -> tuple[datetime, datetime | None]:
    stamped = tweet.get("created_at")
    version_time = parse_time(str(stamped)) if stamped else snowflake_time(version_id)
    if version_time is None:
        raise ValueError(f"post {version_id} has no created_at")
    if not edited:
        return version_time, None
    return snowflake_time(post_id) or version_time, version_time


def _language(lang: Any) -> str | None:
    if not isinstance(lang, str) or not lang or lang == "und":
        return None
    if len(lang) == 3 and lang.startswith("q"):  # X's private codes: qme, qht, qam, ...
        return None
    return lang


def _mentions(entities: Any) -> list[Any]:
    if not isinstance(entities, dict):
        return []
    mentions = entities.get("mentions")
    return mentions if isinstance(mentions, list) else []


def _raw(item: Any) -> Any:
    return getattr(item, "data", item)


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) and "id" in v for v in value):
        raise ValueError(f"'{where}' is not a list of objects with ids")
    return value


def _check_tweet(item: Any) -> None:
    if not isinstance(item, dict):
        raise ValueError("a post in 'data' is not an object")
    post_id = item.get("id")
    if not isinstance(post_id, str) or not post_id.isdigit():
        raise ValueError(f"a post has a bad id: {post_id!r}")
    if not isinstance(item.get("text"), str):
        raise ValueError(f"post {post_id} has no text")
