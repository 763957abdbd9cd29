"""Mastodon JSON (Status, Notification, Account) to :class:`connectors.base.Post`.

Works on the wire JSON as plain dicts. Required fields missing or of the wrong type raise
:class:`MalformedResponse` naming the field; optional ones (language, url, edited_at, counts,
quote, application...) may be absent or null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import Author, Post, PostKind, parse_time
from connectors.errors import MalformedResponse
from connectors.mastodon.faults import PLATFORM
from connectors.mastodon.text import html_to_text

_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}\Z")  # Mastodon: digits; Pleroma, GoToSocial: flake ids
_METRICS = (
    ("likes", "favourites_count"),
    ("replies", "replies_count"),
    ("reposts", "reblogs_count"),
    ("quotes", "quotes_count"),
)


def id_key(value: str) -> tuple[int, str]:
    """A sortable form of a Mastodon id (numeric strings, or fixed-width flake ids)."""
    text = str(value).strip()
    return (len(text), text)


def newest(*ids: str | None) -> str | None:
    """The greatest of the given ids by :func:`id_key` (None when all are None)."""
    present = [i for i in ids if i is not None]
    return max(present, key=id_key) if present else None


def snowflake_at(moment: datetime) -> str:
    """The Mastodon status id that sorts at ``moment`` (ms timestamp << 16)."""
    return str(int(moment.astimezone(UTC).timestamp() * 1000) << 16)


@dataclass(frozen=True, slots=True)
class Identity:
    """The institution's account as configured (or learned from ``verify_credentials``)."""

    account_id: str | None
    handle: str | None  # "user" or "user@domain", lower case, no leading @
    host: str  # the instance we talk to; local accounts' acct has no domain

    def _acct_matches(self, acct: str) -> bool:
        acct = acct.lower().lstrip("@")
        if not self.handle or not acct:
            return False
        mine_user, _, mine_domain = self.handle.partition("@")
        user, _, domain = acct.partition("@")
        if user != mine_user:
            return False
        if not domain:
            # A local account of the instance we poll, which is where our token's account
            # lives; usernames are unique per instance (LOCAL_DOMAIN may differ from the host).
            return True
        return domain in {mine_domain or self.host, self.host}

    def is_self(self, account: Mapping[str, Any] | None) -> bool:
        """Whether ``account`` (an Account dict) is the institution's account."""
        if not account:
            return False
        if self.account_id is not None and account.get("id") is not None:
            return str(account["id"]) == self.account_id
        return self._acct_matches(str(account.get("acct") or ""))

    def mentioned_in(self, status: Mapping[str, Any]) -> bool:
        """Whether ``status`` mentions, replies to or quotes the institution's account."""
        for mention in _dicts(status.get("mentions")):
            if self.is_self(mention):
                return True
        reply_to = status.get("in_reply_to_account_id")
        if reply_to is not None and str(reply_to) == self.account_id:
            return True
        quoted = quoted_status(status)
        return quoted is not None and self.is_self(_dict(quoted.get("account")))


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def quoted_status(status: Mapping[str, Any]) -> dict[str, Any] | None:
    """The quoted Status of an accepted quote (4.4+ ``quote.quoted_status``), if embedded."""
    quote = _dict(status.get("quote"))
    if quote is None:
        return None
    return _dict(quote.get("quoted_status")) or _dict(quote.get("status"))


def _required(obj: Mapping[str, Any], field: str, where: str, source: str) -> Any:
    value = obj.get(field)
    if value is None or value == "":
        raise MalformedResponse(f"{where}.{field} is missing", platform=PLATFORM, source=source)
    return value


def _time(value: Any, field: str, source: str) -> datetime:
    try:
        return parse_time(value)
    except (TypeError, ValueError, AttributeError):
        raise MalformedResponse(
            f"{field}: {value!r} is not an ISO-8601 time", platform=PLATFORM, source=source
        ) from None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def status_id(status: Any, *, source: str, where: str = "status") -> str:
    """The id of a Status (or Notification) dict: digits, or a server's flake id of letters
    and digits (MalformedResponse when it is not one: it becomes the feed's cursor)."""
    if not isinstance(status, dict):
        raise MalformedResponse(f"{where} is not an object", platform=PLATFORM, source=source)
    value = _required(status, "id", where, source)
    if isinstance(value, bool) or not isinstance(value, str | int) or not _ID.match(str(value)):
        raise MalformedResponse(
            f"{where}.id {str(value)[:40]!r} is not a Mastodon id", platform=PLATFORM, source=source
        )
    return str(value)


def author_of(account: Any, identity: Identity, *, source: str, where: str) -> Author:
    """An :class:`Author` from an Account dict."""
    if not isinstance(account, dict):
        raise MalformedResponse(f"{where} is not an object", platform=PLATFORM, source=source)
    account_id = str(_required(account, "id", where, source))
    handle = account.get("acct") or account.get("username")
    if not isinstance(handle, str) or not handle:
        raise MalformedResponse(f"{where}.acct is missing", platform=PLATFORM, source=source)
    name = account.get("display_name")
    return Author(
        id=account_id,
        handle=handle,
        name=name if isinstance(name, str) and name else None,
        is_self=identity.is_self(account),
        is_bot=account.get("bot") is True,
        followers=_int(account.get("followers_count")),
    )


def kind_of(status: Mapping[str, Any], default: PostKind) -> PostKind:
    """Direct-visibility statuses are private messages; otherwise ``default``."""
    return PostKind.MESSAGE if status.get("visibility") == "direct" else default


def status_to_post(
    status: Any,
    *,
    identity: Identity,
    source: str,
    kind: PostKind,
    raw: dict[str, Any] | None = None,
    conversation_id: str | None = None,
    mentions_self: bool | None = None,
) -> Post:
    """Normalize one Status dict; ``raw`` defaults to the status itself."""
    sid = status_id(status, source=source)
    where = f"status {sid}"
    account = status.get("account")
    author = author_of(account, identity, source=source, where=f"{where}.account")
    created = _time(_required(status, "created_at", where, source), f"{where}.created_at", source)
    content = status.get("content")
    source_text = status.get("text")  # only sent for deleted statuses (redraft source)
    if isinstance(content, str) and content:
        text = html_to_text(content)
    elif isinstance(source_text, str):
        text = source_text
    else:
        text = ""
    edited = status.get("edited_at")
    in_reply_to = status.get("in_reply_to_id")
    in_reply_to_id = None if in_reply_to is None else str(in_reply_to)
    if conversation_id is None:
        # The REST API does not expose the thread root; the parent is the best local key.
        conversation_id = in_reply_to_id or sid
    metrics = {}
    for name, field in _METRICS:
        value = _int(status.get(field))
        if value is not None:
            metrics[name] = value
    url = status.get("url") or status.get("uri")
    language = status.get("language")
    deleted = isinstance(source_text, str) or (
        isinstance(account, dict) and account.get("suspended") is True
    )
    return Post(
        platform=PLATFORM,
        id=sid,
        source=source,
        kind=kind,
        author=author,
        text=text,
        created_at=created,
        url=url if isinstance(url, str) else None,
        conversation_id=conversation_id,
        in_reply_to_id=in_reply_to_id,
        language=language if isinstance(language, str) and language else None,
        mentions_self=identity.mentioned_in(status) if mentions_self is None else mentions_self,
        edited_at=_time(edited, f"{where}.edited_at", source) if edited else None,
        deleted=deleted,
        metrics=metrics,
        raw=raw if raw is not None else dict(status),
    )


def link_threads(posts: list[Post]) -> list[Post]:
    """Sort oldest first and let replies inherit their parent's thread when it is in the batch."""
    posts.sort(key=lambda p: id_key(p.id))
    by_id = {p.id: p for p in posts}
    for post in posts:
        parent = by_id.get(post.in_reply_to_id or "")
        if parent is not None and parent.conversation_id:
            post.conversation_id = parent.conversation_id
    return posts


def created_at(status: Mapping[str, Any], *, source: str) -> datetime:
    """A Status's or Notification's ``created_at`` as aware UTC."""
    return _time(_required(status, "created_at", "item", source), "created_at", source)
