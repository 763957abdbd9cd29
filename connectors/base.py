"""The connector protocol: what every platform module provides, and the normalized post.

A connector turns one platform's API into :class:`Post` objects. It is constructed from its
``Settings`` (credentials and account identity) and, optionally, an already-built SDK client
(``client=``): that is how tests and embedders keep it offline. It never imports ``bot``.

Fetching is bounded: one call to :meth:`Connector.fetch` makes at most ``max_pages`` requests
and returns the posts it saw, the cursor to pass next time, and whether more is waiting.
"""

from __future__ import annotations

import asyncio
import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.errors import Unsupported


class PostKind(enum.StrEnum):
    """What a post is, relative to the channel it came from."""

    POST = "post"  # a top-level post or submission
    COMMENT = "comment"  # a comment under a post (Reddit, channel comments)
    REPLY = "reply"  # a reply inside a thread
    MENTION = "mention"  # a post that mentions the institution's account
    MESSAGE = "message"  # a chat message (Telegram group)


class Capability(enum.StrEnum):
    """Things a connector can do. Sources and rules are checked against these at config time."""

    MENTIONS = "mentions"
    COMMENTS = "comments"
    SEARCH = "search"
    THREAD = "thread"
    TIMELINE = "timeline"
    REPLY = "reply"
    RECONCILE = "reconcile"  # can look up whether our reply already exists (exactly-once)


def capability_set(*names: str) -> frozenset[Capability]:
    """The named capabilities (``capability_set("mentions", "reply")``); a typo fails on import."""
    return frozenset(Capability(name) for name in names)


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD; valid text comes back unchanged.

    JSON may escape half a surrogate pair (``"\\ud800"``) and Python decodes it, but no
    UTF-8 encoder (SQLite, PostgreSQL, spaCy, log files) accepts the result.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def _valid(text: Any) -> Any:
    """:func:`valid_unicode` for strings; anything else as it is (the connector's business)."""
    return valid_unicode(text) if isinstance(text, str) else text


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post, as the platform identifies them."""

    id: str
    handle: str
    name: str | None = None
    is_self: bool = False  # the institution's own account
    is_bot: bool = False  # the platform marks the account as automated
    followers: int | None = None

    def __post_init__(self) -> None:
        for name in ("id", "handle", "name"):
            object.__setattr__(self, name, _valid(getattr(self, name)))


@dataclass(slots=True)
class Post:
    """A platform item in the one shape the rest of Salon understands (no database types)."""

    platform: str
    id: str
    source: str
    kind: PostKind
    author: Author
    text: str
    created_at: datetime
    url: str | None = None
    conversation_id: str | None = None  # the thread root's platform id
    in_reply_to_id: str | None = None  # the parent's platform id
    language: str | None = None  # as the platform reports it (BCP-47), if it does
    mentions_self: bool = False  # the text or metadata mentions the institution's account
    edited_at: datetime | None = None
    deleted: bool = False
    metrics: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.created_at = ensure_utc(self.created_at)
        if self.edited_at is not None:
            self.edited_at = ensure_utc(self.edited_at)
        # text that UTF-8 cannot encode would stop the store and the classifier
        self.platform, self.source = _valid(self.platform), _valid(self.source)
        self.id, self.text, self.url = _valid(self.id), _valid(self.text), _valid(self.url)
        self.conversation_id = _valid(self.conversation_id)
        self.in_reply_to_id = _valid(self.in_reply_to_id)
        self.language = _valid(self.language)

    @property
    def key(self) -> str:
        """The store's unique key: ``platform:id``."""
        return f"{self.platform}:{self.id}"


@dataclass(frozen=True, slots=True)
class Source:
    """One configured feed of one connector (``feed`` names what to poll, e.g. ``mentions``)."""

    name: str
    feed: str
    options: Mapping[str, Any] = field(default_factory=dict)
    max_pages: int = 3
    backfill_hours: float | None = None  # first run: how far back; None = skip existing


@dataclass(slots=True)
class FetchResult:
    """What one bounded fetch returns."""

    posts: list[Post]
    next_cursor: str | None
    has_more: bool = False
    requests_made: int = 0
    warnings: list[str] = field(default_factory=list)  # items skipped, and why


@dataclass(frozen=True, slots=True)
class Sent:
    """The platform's receipt for a reply we posted."""

    platform_id: str
    url: str | None = None


class ConnectorSettings(BaseModel):
    """Base for each connector's settings model; unknown keys are errors, inputs never echoed."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


def counts(data: Any, names: Mapping[str, str]) -> dict[str, int]:
    """``Post.metrics`` from a payload: ``names`` maps the platform's count fields to ours;
    what is not an integer (absent, null, a boolean) is left out."""
    if not isinstance(data, Mapping):
        return {}
    out: dict[str, int] = {}
    for wire, ours in names.items():
        value = data.get(wire)
        if isinstance(value, int) and not isinstance(value, bool):
            out[ours] = value
    return out


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_time(value: str | int | float | datetime) -> datetime:
    """Parse an ISO-8601 string, a Unix timestamp or a datetime into aware UTC."""
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return ensure_utc(datetime.fromisoformat(text))


class Connector(ABC):
    """Base class of every platform connector.

    Subclasses set ``platform``, ``capabilities``, ``Settings`` and ``feeds`` (feed name to the
    pydantic model of that feed's options) and implement :meth:`fetch`; connectors that can
    answer implement :meth:`reply` and, to make replies exactly-once, :meth:`find_reply`.
    """

    platform: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    Settings: ClassVar[type[ConnectorSettings]]
    feeds: ClassVar[Mapping[str, type[BaseModel]]]

    @classmethod
    def validate_source(cls, source: Source) -> list[str]:
        """Problems with ``source`` for this connector, each as ``field: message`` (empty: ok)."""
        model = cls.feeds.get(source.feed)
        if model is None:
            allowed = ", ".join(sorted(cls.feeds)) or "none"
            return [f"feed: {cls.platform} has no feed {source.feed!r} (allowed: {allowed})"]
        try:
            model.model_validate(dict(source.options))
        except ValidationError as exc:
            return [
                f"options.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            ]
        return []

    @classmethod
    def exclusive_reader(cls, settings: ConnectorSettings, source: Source) -> str | None:
        """What ``source`` consumes that allows a single reader, named for people (None: it
        shares nothing). Two sources naming the same thing would take each other's items, so
        ``salon check`` refuses them; a Telegram bot's getUpdates queue is the example."""
        return None

    def feed_options(self, source: Source) -> Any:
        """The validated options model of ``source`` (raises :class:`Unsupported`)."""
        model = self.feeds.get(source.feed)
        if model is None:
            raise Unsupported(
                f"no feed {source.feed!r}", platform=self.platform, source=source.name
            )
        try:
            return model.model_validate(dict(source.options))
        except ValidationError as exc:
            raise Unsupported(
                "; ".join(self.validate_source(source)) or str(exc),
                platform=self.platform,
                source=source.name,
            ) from None

    def require(self, capability: Capability) -> None:
        """Raise :class:`Unsupported` unless this connector has ``capability``."""
        if capability not in self.capabilities:
            raise Unsupported(f"{self.platform} cannot {capability.value}", platform=self.platform)

    def cursor_position(self, cursor: str) -> Any:
        """A sortable value for ``cursor``: the store refuses to save a cursor that goes back.

        The default treats cursors as opaque (always equal); connectors whose cursors have an
        order (ids, timestamps, offsets) override this.
        """
        return 0

    @abstractmethod
    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        """Fetch at most ``source.max_pages`` pages newer than ``cursor``."""

    async def reply(self, to: Post, text: str, key: str) -> Sent:
        """Publish ``text`` as a reply to ``to``; ``key`` is the outbox idempotency key."""
        raise Unsupported(f"{self.platform} cannot reply", platform=self.platform)

    async def find_reply(self, to: Post, text: str, key: str) -> Sent | None:
        """Look on the platform for a reply of ours to ``to`` (reconciliation after a crash)."""
        raise Unsupported(f"{self.platform} cannot reconcile replies", platform=self.platform)

    async def whoami(self) -> Author:
        """The account the credentials belong to (``salon check --online``)."""
        raise Unsupported(f"{self.platform} cannot tell who it is", platform=self.platform)

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to close by default
        """Release network resources."""


class SyncConnector(Connector):
    """A connector over a blocking SDK: implement the ``*_sync`` methods; calls run in a thread."""

    @abstractmethod
    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        """Blocking version of :meth:`fetch`."""

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        """Blocking version of :meth:`reply`."""
        raise Unsupported(f"{self.platform} cannot reply", platform=self.platform)

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        """Blocking version of :meth:`find_reply`."""
        raise Unsupported(f"{self.platform} cannot reconcile replies", platform=self.platform)

    def whoami_sync(self) -> Author:
        """Blocking version of :meth:`whoami`."""
        raise Unsupported(f"{self.platform} cannot tell who it is", platform=self.platform)

    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        return await asyncio.to_thread(self.fetch_sync, source, cursor)

    async def reply(self, to: Post, text: str, key: str) -> Sent:
        return await asyncio.to_thread(self.reply_sync, to, text, key)

    async def find_reply(self, to: Post, text: str, key: str) -> Sent | None:
        return await asyncio.to_thread(self.find_reply_sync, to, text, key)

    async def whoami(self) -> Author:
        return await asyncio.to_thread(self.whoami_sync)
