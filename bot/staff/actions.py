"""What staff buttons and commands do to the store, each in the caller's transaction.

Every function checks the stored state first, so a stale button (the draft was approved from
another chat a minute ago) changes nothing and says why. Every change is recorded as a
:class:`StaffAction` tied to the alert (``outbox_id``), which is what the alert message shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.conversations import set_state, snooze
from bot.errors import ConversationError
from bot.models import Conversation, Correction, OutboxItem, OutboxState, StaffAction
from bot.staff.view import alert_item, post_and_draft

CORRECTION_TASKS = frozenset({"topics", "sentiment", "intent"})
MAX_REPLY_CHARS = 5000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: whether the store changed, and a short answer for the user."""

    changed: bool
    answer: str


GONE = Outcome(False, "This alert is no longer in the store.")


def _record(
    session: Session, alert_id: int, actor: str, action: str, now: datetime, **data: Any
) -> None:
    session.add(
        StaffAction(actor=actor, action=action, outbox_id=alert_id, payload=data, created_at=now)
    )


def _link(session: Session, alert_id: int) -> None:
    """Tie the actions the conversation layer just recorded to the alert they came from."""
    for obj in session.new:
        if isinstance(obj, StaffAction) and obj.outbox_id is None:
            obj.outbox_id = alert_id


def _move_draft(session: Session, draft: OutboxItem, to: OutboxState, now: datetime) -> bool:
    """``draft`` → ``to`` if it is still a draft (one statement: two presses, one winner)."""
    result = session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == draft.id, col(OutboxItem.state) == OutboxState.DRAFT.value)
        .values(state=to.value, next_attempt_at=now)
    )
    session.expire(draft)
    return bool(getattr(result, "rowcount", 0) == 1)


def approve(session: Session, alert_id: int, actor: str, now: datetime) -> Outcome:
    """Queue the drafted reply for sending (the outbox sends it once, under its key)."""
    if alert_item(session, alert_id) is None:
        return GONE
    _, draft = post_and_draft(session, alert_id)
    if draft is None:
        return Outcome(False, "There is no drafted reply to approve.")
    if not _move_draft(session, draft, OutboxState.QUEUED, now):
        return Outcome(False, f"Nothing to approve: the reply is already {draft.state}.")
    _record(session, alert_id, actor, "approve", now, reply=draft.id)
    return Outcome(True, "Approved: the reply is queued.")


def dismiss(session: Session, alert_id: int, actor: str, now: datetime) -> Outcome:
    """Nothing to do here: cancel the draft, if there is one still waiting."""
    if alert_item(session, alert_id) is None:
        return GONE
    already = session.scalars(
        select(col(StaffAction.id)).where(
            col(StaffAction.outbox_id) == alert_id, col(StaffAction.action) == "dismiss"
        )
    ).first()
    if already is not None:
        return Outcome(False, "Already dismissed.")
    _, draft = post_and_draft(session, alert_id)
    cancelled = None
    if draft is not None:
        if not _move_draft(session, draft, OutboxState.CANCELLED, now):
            return Outcome(False, f"Too late to dismiss: the reply is already {draft.state}.")
        cancelled = draft.id
    _record(session, alert_id, actor, "dismiss", now, cancelled=cancelled)
    return Outcome(True, "Dismissed" + (": the draft is cancelled." if cancelled else "."))


def edit_draft(session: Session, alert_id: int, text: str, actor: str, now: datetime) -> Outcome:
    """Replace the drafted reply's text (it still needs Approve)."""
    text = text.strip()
    if not text:
        return Outcome(False, "The new text is empty; the draft is unchanged.")
    if len(text) > MAX_REPLY_CHARS:
        return Outcome(False, f"The new text is longer than {MAX_REPLY_CHARS} characters.")
    if alert_item(session, alert_id) is None:
        return GONE
    _, draft = post_and_draft(session, alert_id)
    if draft is None or draft.state != OutboxState.DRAFT.value:
        state = draft.state if draft else "missing"
        return Outcome(False, f"The draft cannot be edited any more (it is {state}).")
    before = str(draft.payload.get("text", ""))
    draft.payload = {**draft.payload, "text": text, "edited_by": actor}
    session.add(draft)
    _record(session, alert_id, actor, "edit", now, reply=draft.id, before=before, after=text)
    return Outcome(True, "Draft updated. Approve it on the alert to send it.")


def _conversation(session: Session, alert_id: int) -> Conversation | None:
    post, _ = post_and_draft(session, alert_id)
    return (
        session.get(Conversation, post.conversation_id) if post and post.conversation_id else None
    )


def assign(session: Session, alert_id: int, member: str, actor: str, now: datetime) -> Outcome:
    """Make ``member`` the owner of the alert's conversation."""
    if alert_item(session, alert_id) is None:
        return GONE
    conv = _conversation(session, alert_id)
    if conv is None:
        return Outcome(False, "This post has no conversation to assign.")
    if conv.assigned_to == member:
        return Outcome(False, f"Already assigned to {member}.")
    conv.assigned_to = member
    session.add(conv)
    _record(session, alert_id, actor, "assign", now, to=member, conversation=conv.id)
    return Outcome(True, f"Assigned to {member}.")


def snooze_for(
    session: Session, alert_id: int, seconds: float, actor: str, now: datetime
) -> Outcome:
    """No reminders for the alert's conversation for ``seconds``."""
    if alert_item(session, alert_id) is None:
        return GONE
    conv = _conversation(session, alert_id)
    if conv is None or conv.id is None:
        return Outcome(False, "This post has no conversation to snooze.")
    snooze(session, conv.id, now + timedelta(seconds=seconds), actor=actor, now=now)
    _link(session, alert_id)
    hours = seconds / 3600
    return Outcome(True, f"Snoozed for {hours:g} hour{'s' if hours != 1 else ''}.")


def mark_handled(session: Session, alert_id: int, actor: str, now: datetime) -> Outcome:
    """The alert's conversation needs nothing more from us."""
    if alert_item(session, alert_id) is None:
        return GONE
    conv = _conversation(session, alert_id)
    if conv is None or conv.id is None:
        return Outcome(False, "This post has no conversation to mark.")
    if conv.state == "handled":
        return Outcome(False, "Already handled.")
    try:
        set_state(session, conv.id, "handled", actor=actor, now=now)
    except ConversationError as exc:
        return Outcome(False, str(exc))
    _link(session, alert_id)
    return Outcome(True, "Marked handled.")


def correct(
    session: Session, alert_id: int, task: str, labels: list[str], actor: str, now: datetime
) -> Outcome:
    """Store the right labels for the alert's post as a training label (:class:`Correction`)."""
    if task not in CORRECTION_TASKS:
        raise ValueError(f"unknown correction task {task!r}; allowed: {sorted(CORRECTION_TASKS)}")
    if alert_item(session, alert_id) is None:
        return GONE
    post, _ = post_and_draft(session, alert_id)
    if post is None or post.id is None:
        return Outcome(False, "The post is no longer in the store.")
    session.add(Correction(post_id=post.id, task=task, labels=labels, actor=actor, created_at=now))
    _record(session, alert_id, actor, "correct", now, task=task, labels=labels, post=post.id)
    return Outcome(True, f"Thanks: {task} recorded as {', '.join(labels)}.")
