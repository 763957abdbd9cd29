"""The store's tables (SQLModel). Times are aware UTC in Python, naive UTC in the database."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints, so that a migration can alter them on every backend (SQLite's batch mode).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def time_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A column for an aware UTC timestamp."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column() -> Any:
    """A JSON column defaulting to an empty object."""
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxState(enum.StrEnum):
    """An outbox item's life: draft → queued → sending → sent / failed / cancelled (or held)."""

    DRAFT = "draft"  # awaiting staff approval
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"  # outcome unknown after a crash and the platform cannot tell us: staff decide


class OutboxKind(enum.StrEnum):
    """What an outbox item delivers."""

    REPLY = "reply"
    ALERT = "alert"
    DIGEST = "digest"


class ConversationState(enum.StrEnum):
    """Where a conversation stands from the institution's point of view."""

    OPEN = "open"
    AWAITING_US = "awaiting_us"
    AWAITING_THEM = "awaiting_them"
    HANDLED = "handled"
    MUTED = "muted"


class SourceState(SQLModel, table=True):
    """A configured source's cursor and health."""

    name: str = Field(primary_key=True)
    platform: str
    cursor: str | None = None
    last_poll_at: datetime | None = time_column()
    last_success_at: datetime | None = time_column()
    consecutive_failures: int = 0
    paused_until: datetime | None = time_column()
    last_error: str | None = None
    requests_this_month: int = 0
    budget_month: str | None = None  # "2026-11": the month requests_this_month counts


class Author(SQLModel, table=True):
    """A person or account seen on a platform."""

    __table_args__ = (UniqueConstraint("platform", "platform_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    platform_id: str
    handle: str
    name: str | None = None
    is_self: bool = False
    is_bot: bool = False
    followers: int | None = None
    opted_out: bool = False
    first_seen_at: datetime | None = time_column()
    # privacy (bot/privacy.py): handle and name replaced by a pseudonym (retention or erasure);
    # erased on request: their posts, past and future, are kept without text, raw or URL
    pseudonymised: bool = False
    erased: bool = False


class Conversation(SQLModel, table=True):
    """A thread, tracked so that no question is left hanging."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # platform:root id
    platform: str
    state: str = ConversationState.OPEN.value
    opened_at: datetime | None = time_column()
    last_public_at: datetime | None = time_column()
    last_own_at: datetime | None = time_column()
    first_response_at: datetime | None = time_column()
    assigned_to: str | None = None
    snoozed_until: datetime | None = time_column()
    public_posts: int = 0
    own_posts: int = 0
    # the first question or complaint to us that is still unanswered (state awaiting_us)
    awaiting_since: datetime | None = time_column(index=True)
    awaiting_post_id: int | None = None


class Post(SQLModel, table=True):
    """A normalized platform item, with its raw payload."""

    __table_args__ = (
        Index("ix_post_pending_classify", "classified", "is_own"),
        Index("ix_post_created", "created_at"),
        # triage reads pending posts oldest first, authors' first posts and threads in order
        Index("ix_post_pending_triage", "triaged", "created_at"),
        Index("ix_post_author_time", "author_id", "created_at"),
        Index("ix_post_thread_time", "conversation_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # platform:platform_id
    platform: str
    platform_id: str
    source: str
    kind: str
    author_id: int = Field(foreign_key="author.id")  # indexed with created_at below
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")  # ditto
    in_reply_to_key: str | None = None
    text: str
    language: str | None = None
    url: str | None = None
    is_own: bool = False
    mentions_self: bool = False
    deleted: bool = False
    created_at: datetime = time_column(nullable=False)
    edited_at: datetime | None = time_column()
    ingested_at: datetime = time_column(nullable=False)
    content_hash: str
    classified: bool = False
    triaged: bool = False
    metrics: dict[str, Any] = json_column()
    raw: dict[str, Any] = json_column()


class Classification(SQLModel, table=True):
    """What the NLP pipeline made of a post, with the model that said so."""

    post_id: int = Field(primary_key=True, foreign_key="post.id")
    model: str
    version: str
    language: str
    topics: dict[str, Any] = json_column()
    top_topic: str | None = Field(default=None, index=True)
    sentiment: str = Field(index=True)
    sentiment_score: float
    intents: dict[str, Any] = json_column()
    abuse: float
    is_abusive: bool
    created_at: datetime = time_column(nullable=False)


class Decision(SQLModel, table=True):
    """A triage outcome and the rule that made it ("why was I alerted?")."""

    __table_args__ = (UniqueConstraint("post_id", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    rule: str
    group: str
    action: str
    priority: str = "normal"
    note: str | None = None  # e.g. why an auto-reply was refused by the policy guard
    created_at: datetime = time_column(nullable=False)
    # the rule's options (see docs/rules.md): alert target, owner, labels, reminder delay
    alert_to: str | None = None
    assigned_to: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    remind_after_hours: float | None = None  # None: staff.remind_after_hours


class OutboxItem(SQLModel, table=True):
    """Something to deliver exactly once: a public reply, a staff alert, a digest."""

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # idempotency key
    kind: str
    channel: str  # platform / source name for replies, "staff" for alerts and digests
    state: str = OutboxState.QUEUED.value
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    priority: str = "normal"
    payload: dict[str, Any] = json_column()
    attempts: int = 0
    next_attempt_at: datetime | None = time_column()
    claimed_at: datetime | None = time_column()
    last_error: str | None = None
    external_id: str | None = None
    created_at: datetime = time_column(nullable=False)
    sent_at: datetime | None = time_column()


class StaffAction(SQLModel, table=True):
    """Something a staff member did (approve, edit, dismiss, assign, snooze, handled)."""

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    outbox_id: int | None = Field(default=None, foreign_key="outboxitem.id")
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    payload: dict[str, Any] = json_column()
    created_at: datetime = time_column(nullable=False)


class Correction(SQLModel, table=True):
    """A staff correction of what the classifier said about a post: a training label.

    ``task`` is ``topics``, ``sentiment`` or ``intent``; ``labels`` the right answer as a list
    (``["visiting.tickets"]``, ``["negative"]``). The newest correction of a post for a task
    wins; topic training reads them back as gold labels (the model is never retrained here).
    """

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    task: str
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actor: str
    created_at: datetime = time_column(nullable=False)


class Flag(SQLModel, table=True):
    """A persisted switch staff flip at run time (``sending_paused``: /pause and /resume)."""

    name: str = Field(primary_key=True)
    enabled: bool = False
    set_by: str | None = None
    set_at: datetime | None = time_column()


class Lease(SQLModel, table=True):
    """A periodic job (``source:<name>``) that one worker at a time may run (bot/leases.py).

    ``holder`` runs it until ``until``; the job is next due at ``due_at``. A worker that dies
    leaves its lease to expire, and another takes the job over.
    """

    name: str = Field(primary_key=True)
    holder: str | None = None
    until: datetime | None = time_column()
    due_at: datetime | None = time_column()
    runs: int = 0  # times the job was claimed
