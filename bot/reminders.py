"""Reminders and escalation: a question or complaint to us is never left hanging unseen.

A conversation waiting for us (state ``awaiting_us``, since ``awaiting_since``) raises a
**reminder** alert once ``staff.remind_after_hours`` have passed (or the ``remind_after_hours``
of the rule that decided one of its waiting posts, the smallest if several), and an
**escalation** (priority urgent, to the urgent chat when one is configured) once
``staff.escalate_after_hours`` have passed; a rule's own delay moves the escalation with it,
keeping the same gap. If both are due at once only the escalation is sent.

Each alert is an outbox item keyed ``remind:<conversation key>@<waiting since>:<level>``
(level 1 reminder, 2 escalation; the waiting time in unix seconds), so it goes out once per
waiting episode however often the job runs, and a later unanswered question in the same thread
is reminded again. Snoozed, handled and muted conversations are skipped, and so are questions
older than ``staff.remind_max_age_hours`` (after a backfill they belong to the digest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, null, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from bot.models import (
    Author,
    Classification,
    Conversation,
    ConversationState,
    Decision,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    utcnow,
)
from bot.store import insert_ignoring_conflicts
from bot.triage import post_fields
from config.settings import StaffSettings

REMINDER, ESCALATION = 1, 2


@dataclass(slots=True)
class ReminderStats:
    """What one reminder pass did."""

    waiting: int = 0  # conversations waiting for us (not snoozed, not too old)
    reminders: int = 0
    escalations: int = 0


@dataclass(frozen=True, slots=True)
class Due:
    """The alert a waiting conversation is due for, and why."""

    level: int
    hours: float  # the delay that made it due


def reminder_key(conversation_key: str, since: datetime, level: int) -> str:
    """The idempotency key of a reminder (level 1) or escalation (level 2)."""
    return f"remind:{conversation_key}@{int(since.timestamp())}:{level}"


def due_level(
    staff: StaffSettings, waited: timedelta, rule_hours: float | None = None
) -> Due | None:
    """Which alert is due after waiting ``waited``; ``rule_hours`` overrides the reminder delay."""
    remind = rule_hours if rule_hours is not None else staff.remind_after_hours
    hours = waited.total_seconds() / 3600
    if staff.escalate_after_hours is not None:
        escalate = remind + (staff.escalate_after_hours - staff.remind_after_hours)
        if hours >= escalate:
            return Due(ESCALATION, escalate)
    return Due(REMINDER, remind) if hours >= remind else None


def _rule_hours() -> Any:
    """The smallest ``remind_after_hours`` of the decisions on a conversation's waiting posts
    (a correlated subquery), or SQL NULL when decisions carry no such column."""
    column = getattr(Decision, "remind_after_hours", None)
    if column is None:
        return null()
    waiting = aliased(Post)
    return (
        select(func.min(column))
        .select_from(Decision)
        .join(waiting, col(waiting.id) == col(Decision.post_id))
        .where(
            col(waiting.conversation_id) == col(Conversation.id),
            col(waiting.created_at) >= col(Conversation.awaiting_since),
        )
        .scalar_subquery()
    )


class Reminders:
    """Finds conversations waiting for us too long and enqueues their reminder or escalation."""

    def __init__(self, staff: StaffSettings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.staff = staff
        self.clock = clock

    def run(self, session: Session, *, now: datetime | None = None) -> ReminderStats:
        """One pass: a few queries and one insert, committed."""
        now = now or self.clock()
        query = (
            select(Conversation, Post, Author, Classification, _rule_hours())
            .join(Post, col(Post.id) == col(Conversation.awaiting_post_id))
            .join(Author, col(Author.id) == col(Post.author_id))
            .outerjoin(Classification, col(Classification.post_id) == col(Post.id))
            .where(
                col(Conversation.state) == ConversationState.AWAITING_US.value,
                col(Conversation.awaiting_since) <= now,
                or_(
                    col(Conversation.snoozed_until).is_(None),
                    col(Conversation.snoozed_until) <= now,
                ),
            )
        )
        if self.staff.remind_max_age_hours is not None:
            oldest = now - timedelta(hours=self.staff.remind_max_age_hours)
            query = query.where(col(Conversation.awaiting_since) >= oldest)
        rows = session.execute(query).all()
        stats = ReminderStats(waiting=len(rows))
        candidates: list[tuple[str, Due, Any]] = []
        for row in rows:
            conv = row[0]
            assert conv.awaiting_since is not None
            due = due_level(self.staff, now - conv.awaiting_since, row[4])
            if due is not None:
                candidates.append(
                    (reminder_key(conv.key, conv.awaiting_since, due.level), due, row)
                )
        if not candidates:
            return stats
        sent = set(
            session.scalars(
                select(col(OutboxItem.key)).where(
                    col(OutboxItem.key).in_([key for key, _, _ in candidates])
                )
            )
        )
        fresh = [(key, due, row) for key, due, row in candidates if key not in sent]
        drafts = self._drafts(session, [row[1].id for _, _, row in fresh])
        items = []
        for key, due, (conv, post, author, analysis, _hours) in fresh:
            items.append(self._item(key, due, conv, post, author, analysis, drafts, now))
            if due.level == ESCALATION:
                stats.escalations += 1
            else:
                stats.reminders += 1
        insert_ignoring_conflicts(session, OutboxItem, items)
        session.commit()
        return stats

    @staticmethod
    def _drafts(session: Session, post_ids: list[int]) -> dict[int, str]:
        """Reply drafts waiting for approval on the waiting posts (shown in the reminder)."""
        if not post_ids:
            return {}
        rows = session.execute(
            select(col(OutboxItem.post_id), col(OutboxItem.payload)).where(
                col(OutboxItem.post_id).in_(post_ids),
                col(OutboxItem.kind) == OutboxKind.REPLY.value,
                col(OutboxItem.state) == OutboxState.DRAFT.value,
            )
        )
        return {pid: str(payload.get("text", "")) for pid, payload in rows if pid is not None}

    def _item(
        self,
        key: str,
        due: Due,
        conv: Conversation,
        post: Post,
        author: Author,
        analysis: Classification | None,
        drafts: dict[int, str],
        now: datetime,
    ) -> dict[str, Any]:
        assert conv.awaiting_since is not None and post.id is not None
        waited = (now - conv.awaiting_since).total_seconds() / 3600
        escalation = due.level == ESCALATION
        urgent_chat = self.staff.telegram.urgent_chat is not None
        draft = drafts.get(post.id)
        payload = {
            **post_fields(post, author, analysis),
            "conversation": conv.key,
            "conversation_id": conv.id,
            "waiting_since": conv.awaiting_since.isoformat(),
            "waiting_hours": round(waited, 1),
            "level": due.level,
            "action": "escalation" if escalation else "reminder",
            "rule": "escalation" if escalation else "reminder",
            "why": f"unanswered for {waited:.0f} h ({'escalation' if escalation else 'reminder'}"
            f" after {due.hours:g} h)",
            "priority": "urgent" if escalation else "high",
            "to": "urgent" if escalation and urgent_chat else "staff",
            "draft": draft,
            "note": "a reply draft is waiting for approval" if draft else None,
        }
        return {
            "key": key,
            "kind": OutboxKind.ALERT.value,
            "channel": "staff",
            "state": OutboxState.QUEUED.value,
            "post_id": post.id,
            "priority": payload["priority"],
            "payload": payload,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
