"""Bluesky wire JSON (``app.bsky.*`` views, camelCase as sent) to normalized :class:`Post`.

Pure functions over dicts: no I/O, no SDK models, so ``raw`` keeps the payload exactly as the
platform sent it. An item we cannot read raises :class:`BadItem`; the caller skips it with a
warning instead of failing the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import Author, Post, PostKind, counts, parse_time

PLATFORM = "bluesky"
APP_URL = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
# Labels that mean "removed by moderation": Bluesky's own takedown, and the imperative hide label.
REMOVAL_LABELS = frozenset({"!takedown", "!hide"})
BOT_LABEL = "bot"  # the self-label Bluesky shows as "automated account"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
NOT_FOUND_POST = "app.bsky.feed.defs#notFoundPost"
BLOCKED_POST = "app.bsky.feed.defs#blockedPost"
_METRICS = {
    "likeCount": "likes",
    "replyCount": "replies",
    "repostCount": "reposts",
    "quoteCount": "quotes",
    "bookmarkCount": "bookmarks",
}
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


class BadItem(ValueError):
    """One item of a page cannot be read (missing or mistyped required field)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """The institution's own account, for ``is_self`` and ``mentions_self``."""

    did: str | None
    handle: str

    def owns(self, did: str | None, handle: str | None = None) -> bool:
        """Whether ``did`` (or, failing that, ``handle``) is this account."""
        if did and self.did:
            return did == self.did
        return bool(handle) and str(handle).lower() == self.handle


@dataclass(frozen=True, slots=True)
class AtUri:
    """The parts of ``at://<did>/<collection>/<rkey>``."""

    did: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, uri: Any) -> AtUri:
        """Split an AT URI; :class:`BadItem` if it is not one."""
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise BadItem(f"uri: {uri!r} is not an at:// URI")
        parts = uri[len("at://") :].split("/")
        if len(parts) != 3 or not all(parts):
            raise BadItem(f"uri: {uri!r} is not at://<repo>/<collection>/<rkey>")
        return cls(parts[0], parts[1], parts[2])


def permalink(handle: str | None, did: str, rkey: str) -> str:
    """The public bsky.app URL of a post (the DID stands in for an invalid handle)."""
    who = handle if handle and handle != "handle.invalid" else did
    return f"{APP_URL}/profile/{who}/post/{rkey}"


def tid_time(rkey: str) -> datetime | None:
    """The creation time encoded in a TID record key (None if ``rkey`` is not a TID)."""
    if len(rkey) != 13 or any(ch not in _TID_ALPHABET for ch in rkey):
        return None
    value = 0
    for ch in rkey:
        value = value * 32 + _TID_ALPHABET.index(ch)
    if value >> 63:
        return None
    return datetime.fromtimestamp((value >> 10) / 1_000_000, tz=UTC)


def timestamp(value: Any, field: str) -> datetime:
    """Parse a lexicon datetime; :class:`BadItem` names ``field`` if it is not one."""
    if not isinstance(value, str) or not value:
        raise BadItem(f"{field}: missing or not a string")
    try:
        return parse_time(value)
    except ValueError:
        raise BadItem(f"{field}: {value!r} is not an ISO-8601 datetime") from None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _label_values(item: dict[str, Any]) -> set[str]:
    labels = item.get("labels")
    if not isinstance(labels, list):
        return set()
    return {
        str(label.get("val"))
        for label in labels
        if isinstance(label, dict) and not label.get("neg")
    }


def author_from(profile: Any, me: Identity) -> Author:
    """An :class:`Author` from a ``profileView*`` dict."""
    data = _dict(profile)
    did = _str(data.get("did"))
    handle = _str(data.get("handle"))
    if did is None or handle is None:
        raise BadItem("author: did and handle are required")
    followers = data.get("followersCount")
    if not isinstance(followers, int) or isinstance(followers, bool):
        followers = None
    return Author(
        id=did,
        handle=handle,
        name=_str(data.get("displayName")),
        is_self=me.owns(did, handle),
        is_bot=BOT_LABEL in _label_values(data),
        followers=followers,
    )


def reply_refs(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (root, parent) strong refs of a post record that replies, else None."""
    reply = record.get("reply")
    if not isinstance(reply, dict):
        return None
    root, parent = _dict(reply.get("root")), _dict(reply.get("parent"))
    if not _str(root.get("uri")) or not _str(parent.get("uri")):
        raise BadItem("record.reply: root.uri and parent.uri are required")
    return root, parent


def quoted_uri(record: dict[str, Any]) -> str | None:
    """The AT URI of the record a post quotes, if it quotes one."""
    embed = _dict(record.get("embed"))
    kind = embed.get("$type")
    if kind == EMBED_RECORD:
        return _str(_dict(embed.get("record")).get("uri"))
    if kind == EMBED_RECORD_WITH_MEDIA:
        return _str(_dict(_dict(embed.get("record")).get("record")).get("uri"))
    return None


def mentions(record: dict[str, Any], me: Identity) -> bool:
    """Whether a post record mentions (facet, quote, or ``@handle`` in text) our account."""
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        for feature in _dict(facet).get("features") or []:
            feature = _dict(feature)
            if feature.get("$type") == MENTION_FEATURE and me.owns(_str(feature.get("did"))):
                return True
    quoted = quoted_uri(record)
    if quoted and quoted.startswith("at://"):
        try:
            if me.owns(AtUri.parse(quoted).did):
                return True
        except BadItem:
            pass
    text = record.get("text")
    return isinstance(text, str) and f"@{me.handle}" in text.lower()


def post_from_view(
    view: dict[str, Any],
    *,
    source: str,
    me: Identity,
    kind: PostKind | None = None,
    mentioned: bool = False,
    raw: dict[str, Any] | None = None,
) -> Post:
    """A :class:`Post` from a ``postView`` or a notification (both carry uri, cid, author,
    record, indexedAt). ``kind`` defaults to reply/mention/post from the record itself;
    ``mentioned`` forces ``mentions_self`` (a mention or quote notification)."""
    uri = view.get("uri")
    at = AtUri.parse(uri)
    if at.collection != POST_COLLECTION:
        raise BadItem(f"uri: {uri} is not a post ({at.collection})")
    if not _str(view.get("cid")):
        raise BadItem(f"cid: missing on {uri}")
    record = view.get("record")
    if not isinstance(record, dict):
        raise BadItem(f"record: missing on {uri}")
    text = record.get("text")
    if not isinstance(text, str):
        raise BadItem(f"record.text: missing on {uri}")
    author = author_from(view.get("author"), me)
    indexed = timestamp(view.get("indexedAt"), "indexedAt")
    try:
        created = timestamp(record.get("createdAt"), "record.createdAt")
    except BadItem:
        created = indexed
    refs = reply_refs(record)
    mentions_self = mentioned or mentions(record, me)
    if kind is None:
        kind = PostKind.REPLY if refs else PostKind.MENTION if mentions_self else PostKind.POST
    langs = record.get("langs")
    language = _str(langs[0]) if isinstance(langs, list) and langs else None
    str_uri = str(uri)
    return Post(
        platform=PLATFORM,
        id=str_uri,
        source=source,
        kind=kind,
        author=author,
        text=text,
        # Bluesky sorts by min(createdAt, indexedAt): createdAt is set by the client and may
        # lie in the future; never report a post as newer than when it was indexed.
        created_at=min(created, indexed),
        url=permalink(author.handle, author.id, at.rkey),
        conversation_id=str(refs[0]["uri"]) if refs else str_uri,
        in_reply_to_id=str(refs[1]["uri"]) if refs else None,
        language=language,
        mentions_self=mentions_self,
        edited_at=None,  # Bluesky has no edits: the AppView ignores updates to post records
        deleted=bool(_label_values(view) & REMOVAL_LABELS),
        metrics=counts(view, _METRICS),
        raw=raw if raw is not None else view,
    )


def tombstone(
    node: dict[str, Any], *, source: str, me: Identity, conversation_id: str, parent_id: str
) -> Post | None:
    """A ``deleted=True`` post for a ``notFoundPost`` node of a thread (None if undatable)."""
    at = AtUri.parse(node.get("uri"))
    created = tid_time(at.rkey)
    if created is None:
        return None
    return Post(
        platform=PLATFORM,
        id=str(node["uri"]),
        source=source,
        kind=PostKind.REPLY,
        author=Author(id=at.did, handle=at.did, is_self=me.owns(at.did)),
        text="",
        created_at=created,
        url=None,
        conversation_id=conversation_id,
        in_reply_to_id=parent_id,
        deleted=True,
        raw=node,
    )
