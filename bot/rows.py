"""Plain views of the rows triage reads: a batch loaded in two column queries, no ORM objects.

Triage looks at thousands of posts a second; building an ORM object for each post, author,
classification and conversation costs more than deciding about them. These views carry only
the columns rules, the policy guard and alerts read. Authors and conversations are shared by
the posts of a batch that have the same one, so a change made for one post (an opt-out, a
conversation that now awaits us) is seen by the next; :func:`write_back` stores those changes.

Values are read and written without SQLAlchemy's per-value processing where that processing is
the cost: :func:`raw` columns converted here (:func:`stored_time`), and values many rows of a
bulk insert share processed once (:func:`driver_value`, bound with :func:`raw_param`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Protocol

from sqlalchemy import JSON, Boolean, bindparam, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType
from sqlmodel import col

from bot.models import Author, Classification, Conversation, Post, UTCDateTime


class PostLike(Protocol):
    """What rules, the policy guard and alerts read of a post (a stored row or a view)."""

    @property
    def id(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def author_id(self) -> int: ...
    @property
    def conversation_id(self) -> int | None: ...
    @property
    def in_reply_to_key(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def is_own(self) -> bool: ...
    @property
    def mentions_self(self) -> bool: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...


class AuthorLike(Protocol):
    """What triage reads of an author; ``opted_out`` is set when they reply "stop"."""

    opted_out: bool

    @property
    def id(self) -> int | None: ...
    @property
    def platform(self) -> str: ...
    @property
    def handle(self) -> str: ...
    @property
    def is_self(self) -> bool: ...
    @property
    def is_bot(self) -> bool: ...
    @property
    def followers(self) -> int | None: ...


class AnalysisLike(Protocol):
    """What triage reads of a classification."""

    @property
    def language(self) -> str: ...
    @property
    def topics(self) -> dict[str, Any]: ...
    @property
    def top_topic(self) -> str | None: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def sentiment_score(self) -> float: ...
    @property
    def intents(self) -> dict[str, Any]: ...
    @property
    def abuse(self) -> float: ...
    @property
    def is_abusive(self) -> bool: ...


@dataclass(slots=True)
class PostRow:
    """The columns of a stored post triage reads."""

    id: int
    key: str
    platform: str
    source: str
    kind: str
    author_id: int
    conversation_id: int | None
    in_reply_to_key: str | None
    text: str
    url: str | None
    is_own: bool
    mentions_self: bool
    deleted: bool
    created_at: datetime


@dataclass(slots=True)
class AuthorRow:
    """The columns of a stored author triage reads (``opted_out`` may change)."""

    id: int
    platform: str
    handle: str
    is_self: bool
    is_bot: bool
    followers: int | None
    opted_out: bool


@dataclass(slots=True)
class ConversationRow:
    """The columns of a stored conversation its state machine tracks (``bot.conversations``)."""

    id: int
    state: str
    opened_at: datetime | None
    last_public_at: datetime | None
    last_own_at: datetime | None
    first_response_at: datetime | None
    public_posts: int
    own_posts: int
    awaiting_since: datetime | None
    awaiting_post_id: int | None


@dataclass(slots=True)
class ThreadRow(ConversationRow):
    """A conversation as triage reads and changes it: its tracked columns and its assignee."""

    assigned_to: str | None


@dataclass(slots=True)
class AnalysisRow:
    """A stored classification."""

    language: str
    topics: dict[str, Any]
    top_topic: str | None
    sentiment: str
    sentiment_score: float
    intents: dict[str, Any]
    abuse: float
    is_abusive: bool


Convert = Callable[[Any], Any]


def stored_time(value: Any) -> datetime | None:
    """A stored time read :func:`raw` as aware UTC (SQLite gives text, PostgreSQL a naive
    datetime)."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # several times faster than .replace
    return value.replace(tzinfo=UTC)


_raw_decode = json.JSONDecoder().raw_decode


def _json(value: Any) -> Any:
    """A stored JSON value (SQLite gives text, PostgreSQL the decoded value)."""
    if not isinstance(value, str):
        return value
    try:  # twice as fast as json.loads on the compact text the store writes
        decoded, end = _raw_decode(value)
    except ValueError:
        return json.loads(value)  # leading white space, or not JSON: json.loads says
    return decoded if end == len(value) else json.loads(value)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _converter(column: Any) -> Convert | None:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return stored_time
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, Boolean):
        return _flag if column.nullable else bool
    return None


def raw(expression: Any) -> Any:
    """``expression`` read as the driver gives it, without SQLAlchemy's per-value processing
    (a time then needs :func:`stored_time`)."""
    return type_coerce(expression, NullType())


@dataclass(frozen=True, slots=True)
class _Columns:
    """Columns read without SQLAlchemy's per-value processing (the hot path's main cost),
    converted here only where the driver's value is not already the Python one."""

    names: tuple[str, ...]
    columns: tuple[Any, ...]
    converts: tuple[tuple[int, Convert], ...]

    @classmethod
    def of(cls, model: Any, row_type: Any) -> _Columns:
        """The columns of ``model``'s table that the dataclass ``row_type`` has fields for."""
        table = model.__table__
        names = tuple(f.name for f in fields(row_type))
        columns = [table.c[name] for name in names]
        converts = [(i, _converter(c)) for i, c in enumerate(columns)]
        return cls(
            names,
            tuple(raw(c).label(f"{table.name}_{c.name}") for c in columns),
            tuple((i, f) for i, f in converts if f is not None),
        )

    def values(self, row: Sequence[Any]) -> list[Any]:
        """The Python values of ``row``."""
        values = list(row)
        for index, convert in self.converts:
            values[index] = convert(values[index])
        return values


_POST = _Columns.of(Post, PostRow)
_AUTHOR = _Columns.of(Author, AuthorRow)
_ANALYSIS = _Columns.of(Classification, AnalysisRow)
_THREAD = _Columns.of(Conversation, ThreadRow)
_thread_values = attrgetter(*_THREAD.names)  # a conversation's values, to see what changed


@dataclass(slots=True)
class Batch:
    """Pending posts with their author, classification and conversation (None if none)."""

    rows: list[tuple[PostRow, AuthorRow, AnalysisRow, ThreadRow | None]]
    authors: dict[int, AuthorRow]
    conversations: dict[int, ThreadRow]
    opted_out_before: set[int]
    conversations_before: dict[int, tuple[Any, ...]]


def load_pending(session: Session, limit: int) -> Batch:
    """Up to ``limit`` classified, untriaged public posts, oldest first (two queries)."""
    n_post, n_author = len(_POST.columns), len(_AUTHOR.columns)
    session.flush()  # Core statements below: no autoflush
    connection = session.connection()
    result = connection.execute(
        select(*_POST.columns, *_AUTHOR.columns, *_ANALYSIS.columns)
        .join(Author, col(Author.id) == col(Post.author_id))
        .join(Classification, col(Classification.post_id) == col(Post.id))
        .where(col(Post.triaged) == False, col(Post.classified), ~col(Post.is_own))  # noqa: E712 - "= 0" uses the index
        .order_by(col(Post.created_at))
        .limit(limit)
        # PostgreSQL: each worker takes other posts, and holds them until its batch commits
        .with_for_update(skip_locked=True, of=Post.__table__)  # type: ignore[attr-defined]
    ).all()
    authors: dict[int, AuthorRow] = {}
    loaded = []
    for row in result:
        author = authors.get(row[n_post])
        if author is None:
            author = AuthorRow(*_AUTHOR.values(row[n_post : n_post + n_author]))
            authors[author.id] = author
        post = PostRow(*_POST.values(row[:n_post]))
        loaded.append((post, author, AnalysisRow(*_ANALYSIS.values(row[n_post + n_author :]))))
    ids = {post.conversation_id for post, _, _ in loaded if post.conversation_id is not None}
    conversations: dict[int, ThreadRow] = {}
    if ids:
        for row in connection.execute(
            select(*_THREAD.columns)
            .where(col(Conversation.id).in_(sorted(ids)))
            .order_by(col(Conversation.id))
            .with_for_update()  # a thread's posts in two workers' batches: one waits
        ).all():
            conv = ThreadRow(*_THREAD.values(row))
            conversations[conv.id] = conv
    rows = [
        (post, author, analysis, conversations.get(post.conversation_id or 0))
        for post, author, analysis in loaded
    ]
    opted = {a.id for a in authors.values() if a.opted_out}
    before = {key: _thread_values(conv) for key, conv in conversations.items()}
    return Batch(rows, authors, conversations, opted, before)


def write_back(session: Session, batch: Batch) -> None:
    """Store what triage changed in the batch's authors (opt-outs) and conversations (only
    the columns that changed, in one statement)."""
    opted = [
        a.id for a in batch.authors.values() if a.opted_out and a.id not in batch.opted_out_before
    ]
    if opted:
        session.execute(update(Author).where(col(Author.id).in_(opted)).values(opted_out=True))
    changed: list[ThreadRow] = []
    columns: set[int] = set()
    for key, conv in batch.conversations.items():
        before, after = batch.conversations_before[key], _thread_values(conv)
        if after != before:
            changed.append(conv)
            columns.update(
                i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new
            )
    if changed:
        names = [_THREAD.names[i] for i in sorted(columns)]
        table = Conversation.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [{"row_id": conv.id, **{n: getattr(conv, n) for n in names}} for conv in changed],
        )
    if opted or changed:
        session.expire_all()  # ORM objects this session holds were updated behind its back


def driver_value(session: Session, column: Any, value: Any) -> Any:
    """``value`` of ``column`` as the driver takes it, processed by the column's type as
    SQLAlchemy does for every row of a bulk INSERT (a time or a JSON value costs microseconds
    each): a value many rows share is processed once. Bind it with :func:`raw_param`."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def raw_param(name: str) -> Any:
    """A bound parameter given to the driver as it is (see :func:`driver_value`)."""
    return type_coerce(bindparam(name), NullType())
