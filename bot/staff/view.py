"""What an alert message shows, read from the store: the alert, its draft, its conversation.

The same view renders the first message and every later edit in place, so the message always
shows the current state (the draft's, the conversation's) and who did what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Author, Conversation, OutboxItem, OutboxKind, Post, StaffAction
from bot.triage import reply_key

CONTEXT_POSTS = 3


@dataclass(slots=True)
class Logged:
    """One staff action shown under the alert."""

    action: str
    actor: str
    at: datetime
    payload: dict[str, Any]


@dataclass(slots=True)
class AlertView:
    """Everything an alert message shows."""

    payload: dict[str, Any]
    outbox_id: int | None = None
    post_id: int | None = None
    draft_id: int | None = None
    draft_state: str | None = None
    draft_text: str | None = None
    draft_error: str | None = None
    conversation_id: int | None = None
    conversation_key: str | None = None
    conversation_state: str | None = None
    assigned_to: str | None = None
    snoozed_until: datetime | None = None
    context: list[tuple[str, str]] = field(default_factory=list)  # (author, text), oldest first
    log: list[Logged] = field(default_factory=list)

    @property
    def dismissed(self) -> bool:
        """Staff dismissed this alert."""
        return any(entry.action == "dismiss" for entry in self.log)


def alert_item(session: Session, outbox_id: int) -> OutboxItem | None:
    """The alert outbox item with this id (None if there is none, or it is not an alert)."""
    item = session.get(OutboxItem, outbox_id)
    return item if item is not None and item.kind == OutboxKind.ALERT.value else None


def draft_for(session: Session, post: Post) -> OutboxItem | None:
    """The one public reply (draft or not) a post may have."""
    return session.scalars(select(OutboxItem).where(col(OutboxItem.key) == reply_key(post))).first()


def post_and_draft(session: Session, alert_id: int) -> tuple[Post | None, OutboxItem | None]:
    """The post an alert is about and its reply (draft or not), if they exist."""
    item = alert_item(session, alert_id)
    post = session.get(Post, item.post_id) if item and item.post_id is not None else None
    return post, (draft_for(session, post) if post else None)


def load_view(session: Session, item: OutboxItem | None, payload: dict[str, Any]) -> AlertView:
    """The view of an alert (``item`` None: an alert the store does not know; payload only)."""
    view = AlertView(payload=dict(item.payload) if item else payload)
    if item is None:
        return view
    view.outbox_id = item.id
    post = session.get(Post, item.post_id) if item.post_id is not None else None
    if post is None:
        return _with_log(session, view)
    view.post_id = post.id
    draft = draft_for(session, post)
    if draft is not None:
        view.draft_id, view.draft_state = draft.id, draft.state
        view.draft_text, view.draft_error = str(draft.payload.get("text", "")), draft.last_error
    conv = session.get(Conversation, post.conversation_id) if post.conversation_id else None
    if conv is not None:
        view.conversation_id, view.conversation_key = conv.id, conv.key
        view.conversation_state, view.assigned_to = conv.state, conv.assigned_to
        view.snoozed_until = conv.snoozed_until
        earlier = session.execute(
            select(col(Author.handle), col(Post.text))
            .join(Author, col(Author.id) == col(Post.author_id))
            .where(
                col(Post.conversation_id) == conv.id,
                col(Post.id) != post.id,
                col(Post.created_at) <= post.created_at,
            )
            .order_by(col(Post.created_at).desc(), col(Post.id).desc())
            .limit(CONTEXT_POSTS)
        ).all()
        view.context = [(handle, text) for handle, text in reversed(earlier)]
    return _with_log(session, view)


def _with_log(session: Session, view: AlertView) -> AlertView:
    actions = session.scalars(
        select(StaffAction)
        .where(col(StaffAction.outbox_id) == view.outbox_id)
        .order_by(col(StaffAction.created_at), col(StaffAction.id))
    )
    view.log = [Logged(a.action, a.actor, a.created_at, dict(a.payload)) for a in actions]
    return view
