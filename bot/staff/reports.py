"""The texts of /inbox and /status, read from the store (Telegram HTML); /digest's is
:func:`bot.digest_render.render_text`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import (
    Author,
    Conversation,
    ConversationState,
    Flag,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    SourceState,
    StaffAction,
)
from bot.outbox import PRIORITY_ORDER, SENDING_PAUSED
from bot.staff.render import PRIORITY_ICON, esc, fit_lines, link, local, one_line
from bot.triage import reply_key
from config.settings import Settings

INBOX_LIMIT = 15
INBOX_SCAN = 500  # the most recent alerts looked at
WAITING = (ConversationState.OPEN.value, ConversationState.AWAITING_US.value)


@dataclass(slots=True)
class InboxRow:
    """One open item: an alert whose conversation still needs us."""

    alert_id: int
    priority: str
    created_at: datetime
    platform: str
    author: str
    text: str
    url: str | None
    conversation_id: int | None
    draft_waiting: bool
    owner: str | None


def open_items(session: Session, now: datetime, limit: int = INBOX_LIMIT) -> list[InboxRow]:
    """Alerts still needing us (conversation open or awaiting us, not snoozed, not dismissed),
    one per conversation, most urgent first, then oldest first."""
    rows = session.execute(
        select(OutboxItem, Post, Author, Conversation)
        .join(Post, col(Post.id) == col(OutboxItem.post_id))
        .join(Author, col(Author.id) == col(Post.author_id))
        .outerjoin(Conversation, col(Conversation.id) == col(Post.conversation_id))
        .where(
            col(OutboxItem.kind) == OutboxKind.ALERT.value,
            or_(col(Conversation.id).is_(None), col(Conversation.state).in_(WAITING)),
            or_(col(Conversation.snoozed_until).is_(None), col(Conversation.snoozed_until) <= now),
        )
        .order_by(col(OutboxItem.created_at).desc())
        .limit(INBOX_SCAN)
    ).all()
    ids = [item.id for item, *_ in rows]
    dismissed = set(
        session.scalars(
            select(col(StaffAction.outbox_id)).where(
                col(StaffAction.outbox_id).in_(ids), col(StaffAction.action) == "dismiss"
            )
        )
    )
    keys = [reply_key(post) for _, post, _, _ in rows]
    drafts = set(
        session.scalars(
            select(col(OutboxItem.key)).where(
                col(OutboxItem.key).in_(keys), col(OutboxItem.state) == OutboxState.DRAFT.value
            )
        )
    )
    best: dict[object, InboxRow] = {}
    for item, post, author, conv in rows:
        if item.id in dismissed or item.id is None:
            continue
        row = InboxRow(
            alert_id=item.id,
            priority=item.priority,
            created_at=item.created_at,
            platform=post.platform,
            author=author.handle,
            text=post.text,
            url=post.url,
            conversation_id=conv.id if conv else None,
            draft_waiting=reply_key(post) in drafts,
            owner=conv.assigned_to if conv else None,
        )
        where = conv.id if conv else ("alert", item.id)
        if where not in best or _rank(row) < _rank(best[where]):
            best[where] = row
    return sorted(best.values(), key=_rank)[:limit]


def _rank(row: InboxRow) -> tuple[int, datetime]:
    return PRIORITY_ORDER.get(row.priority, 2), row.created_at


def age(then: datetime, now: datetime) -> str:
    """``5 min``, ``3 h``, ``2 d``."""
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h"
    return f"{seconds // 86400:.0f} d"


def inbox_text(session: Session, now: datetime) -> str:
    """/inbox: open items by priority."""
    rows = open_items(session, now)
    if not rows:
        return "📭 Nothing is waiting for you. 🎉"
    lines = [f"📥 <b>Open items</b> ({len(rows)} shown, most urgent first)"]
    for row in rows:
        extras = [age(row.created_at, now) + " ago"]
        if row.draft_waiting:
            extras.append("📝 draft waiting")
        if row.owner:
            extras.append(f"👤 {esc(row.owner, 40)}")
        url = link(row.url, "open")
        if url:
            extras.append(url)
        if row.conversation_id is not None:
            extras.append(f"/mute {row.conversation_id}")
        lines.append(
            f"{PRIORITY_ICON.get(row.priority, '🟡')} #{row.alert_id} {esc(row.author, 40)} on "
            f"{esc(row.platform, 20)}: {one_line(row.text, 90)}\n    " + " · ".join(extras)
        )
    return fit_lines(lines)


def status_text(session: Session, settings: Settings, now: datetime) -> str:
    """/status: each source's health and quota, the outbox, and whether sending is paused."""
    tz = ZoneInfo(settings.institution.timezone)
    states = {s.name: s for s in session.scalars(select(SourceState))}
    lines = ["📡 <b>Sources</b>"]
    for spec in settings.sources:
        s = states.get(spec.name)
        label = f"• <b>{esc(spec.name, 60)}</b> ({esc(spec.platform, 20)})"
        if not spec.enabled:
            lines.append(f"{label}: disabled")
            continue
        last = local(s.last_poll_at, tz, "%d %b %H:%M") if s and s.last_poll_at else "never"
        parts = [f"last poll {last}"]
        month = now.strftime("%Y-%m")
        used = s.requests_this_month if s and s.budget_month == month else 0
        if spec.monthly_request_budget:
            left = max(0, spec.monthly_request_budget - used)
            parts.append(f"{left} of {spec.monthly_request_budget} requests left this month")
        else:
            parts.append(f"{used} requests this month")
        if s and s.consecutive_failures:
            parts.append(f"⚠️ {s.consecutive_failures} failures")
        if s and s.paused_until and s.paused_until > now:
            parts.append(f"paused until {local(s.paused_until, tz, '%d %b %H:%M')}")
        lines.append(f"{label}: " + " · ".join(parts))
        if s and s.last_error and s.consecutive_failures:
            lines.append(f"    error: {one_line(s.last_error, 200)}")
    if not settings.sources:
        lines.append("• none configured")
    counts = dict(
        session.execute(
            select(col(OutboxItem.state), func.count()).group_by(col(OutboxItem.state))
        ).all()
    )
    outbox = ", ".join(
        f"{counts[state]} {state}"
        for state in ("queued", "sending", "draft", "held", "failed")
        if counts.get(state)
    )
    lines += ["", f"📤 <b>Outbox</b>: {outbox or 'nothing pending'}"]
    flag = session.get(Flag, SENDING_PAUSED)
    if flag is not None and flag.enabled:
        since = local(flag.set_at, tz, "%d %b %H:%M") if flag.set_at else "?"
        lines.append(
            f"⏸ Public replies are <b>paused</b> (by {esc(flag.set_by, 60)}, {since}): /resume"
        )
    else:
        lines.append("▶️ Public replies are going out (/pause stops them).")
    return fit_lines(lines)
