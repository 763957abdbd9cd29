"""Conversation states: where each thread stands, so that no question is left hanging.

::

    open ── a question, complaint or request to us ──▶ awaiting_us ── our reply ──▶ awaiting_them
      ▲                                                                                 │
      └────────────────────────────── their next post ─────────────────────────────────┘
    handled (staff): stays until a new public post reopens it     muted (staff): stays muted

States change when posts are stored (:func:`track_new_posts`; our own posts come back through
the connectors with ``is_own``, whether the bot or a person wrote them), when triage finds a
question addressed to us (:func:`note_public_post`), when the outbox sends our reply
(:func:`note_own_post`), and when staff act (:func:`set_state`, :func:`snooze`). Everything
here works on a whole batch in a couple of statements, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.errors import ConversationError
from bot.models import (
    Conversation,
    ConversationState,
    OutboxItem,
    OutboxKind,
    OutboxState,
    StaffAction,
    utcnow,
)
from bot.rows import ConversationRow, PostLike
from connectors.base import Post as IncomingPost

#: intents that ask something of the institution
ASKS = frozenset({"question", "complaint", "request"})
#: states staff may set; ``open`` reopens a handled or muted conversation
STAFF_STATES = frozenset({"handled", "muted", "open"})
_HANDLED, _MUTED = ConversationState.HANDLED.value, ConversationState.MUTED.value
_OPEN, _US, _THEM = (
    ConversationState.OPEN.value,
    ConversationState.AWAITING_US.value,
    ConversationState.AWAITING_THEM.value,
)


class ConversationLike(Protocol):
    """The fields the state machine reads and writes (a stored row or a snapshot of one)."""

    state: str
    opened_at: datetime | None
    last_public_at: datetime | None
    last_own_at: datetime | None
    first_response_at: datetime | None
    public_posts: int
    own_posts: int
    awaiting_since: datetime | None
    awaiting_post_id: int | None


def is_ask(intents: Iterable[str]) -> bool:
    """Whether a post with these intents asks something of us (question, complaint, request)."""
    return not ASKS.isdisjoint(intents)


def addressed(mentions_us: bool, we_are_in_thread: bool) -> bool:
    """A post is for us if it mentions us (connectors also set this for replies to our posts
    and for direct messages) or is in a thread we take part in. A chat message among members
    of a group is not."""
    return bool(mentions_us or we_are_in_thread)


def addressed_to_us(post: PostLike, conv: ConversationLike | None) -> bool:
    """:func:`addressed` for a stored post and its conversation."""
    in_thread = conv is not None and (conv.own_posts > 0 or conv.last_own_at is not None)
    return addressed(post.mentions_self, in_thread)


def note_public_arrival(conv: ConversationLike, at: datetime) -> None:
    """A public post joined the thread: they spoke, so we are no longer waiting for them."""
    conv.public_posts += 1
    conv.last_public_at = max(filter(None, [conv.last_public_at, at]))
    conv.opened_at = min(filter(None, [conv.opened_at, at]))
    reopens = conv.state == _HANDLED  # a new public post reopens a handled conversation
    replies = conv.state == _THEM and (conv.last_own_at is None or at >= conv.last_own_at)
    if reopens or replies:
        conv.state = _OPEN


def note_own_post(conv: ConversationLike, at: datetime, *, count: bool = True) -> None:
    """We posted in the thread (a reply sent by the bot, or staff on the platform).

    It answers whatever waited before it and sets ``first_response_at``; handled and muted
    conversations keep their state. ``count=False`` for a reply already counted when sent.
    """
    if count:
        conv.own_posts += 1
    conv.last_own_at = max(filter(None, [conv.last_own_at, at]))
    conv.opened_at = min(filter(None, [conv.opened_at, at]))
    if (
        conv.last_public_at is not None
        and at >= conv.last_public_at
        and (conv.first_response_at is None or at < conv.first_response_at)
    ):
        conv.first_response_at = at
    if conv.awaiting_since is not None and at >= conv.awaiting_since:
        conv.awaiting_since, conv.awaiting_post_id = None, None
    if conv.state in (_HANDLED, _MUTED):
        return
    if conv.last_public_at is None or at >= conv.last_public_at:
        conv.state = _THEM
    elif conv.state == _US and conv.awaiting_since is None:
        conv.state = _OPEN  # answered; what they said after it is triaged on its own


def note_ask(conv: ConversationLike, post_id: int | None, at: datetime) -> bool:
    """A question, complaint or request to us at ``at``: wait for us unless already answered."""
    if conv.state in (_HANDLED, _MUTED):
        return False
    if conv.last_own_at is not None and conv.last_own_at >= at:
        return False
    if conv.awaiting_since is None or at < conv.awaiting_since:
        conv.awaiting_since, conv.awaiting_post_id = at, post_id
    conv.state = _US
    return True


def note_public_post(conv: ConversationLike, post: PostLike, intents: Iterable[str]) -> bool:
    """After classification: True if ``post`` now makes the conversation wait for us."""
    if post.is_own or not is_ask(intents) or not addressed_to_us(post, conv):
        return False
    return note_ask(conv, post.id, post.created_at)


def _counted_replies(session: Session, own: Sequence[IncomingPost]) -> set[str]:
    """Platform ids of our posts the outbox already counted when it sent them."""
    if not own:
        return set()
    ids = [p.id for p in own]
    rows = session.scalars(
        select(col(OutboxItem.external_id)).where(
            col(OutboxItem.kind) == OutboxKind.REPLY.value,
            col(OutboxItem.state) == OutboxState.SENT.value,
            col(OutboxItem.external_id).in_(ids),
        )
    )
    return {r for r in rows if r is not None}


def track_new_posts(session: Session, posts: Sequence[tuple[int, IncomingPost]]) -> None:
    """Update counts, times and states of the conversations new ``(conversation id, post)``
    pairs joined: one read, one batched write (plus one read when the batch has our posts)."""
    if not posts:
        return
    ids = sorted({cid for cid, _ in posts})
    columns = [col(getattr(Conversation, f.name)) for f in fields(ConversationRow)]
    snapshots = {
        row.id: ConversationRow(*row)
        for row in session.execute(select(*columns).where(col(Conversation.id).in_(ids)))
    }
    counted = _counted_replies(session, [p for _, p in posts if p.author.is_self])
    for cid, post in sorted(posts, key=lambda pair: pair[1].created_at):
        snap = snapshots[cid]
        if post.author.is_self:
            note_own_post(snap, post.created_at, count=post.id not in counted)
        else:
            note_public_arrival(snap, post.created_at)
    # Core executemany on the table: no per-row ORM work, no deep copies of the values.
    names = [f.name for f in fields(ConversationRow) if f.name != "id"]
    table = Conversation.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.id == bindparam("row_id")),
        [{"row_id": s.id, **{n: getattr(s, n) for n in names}} for s in snapshots.values()],
    )
    _expire_loaded(session, set(ids))


def _expire_loaded(session: Session, ids: set[int]) -> None:
    """Conversations this session already holds were written behind its back: reload them."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Conversation) and obj.id in ids:
            session.expire(obj)


def state_counts(session: Session) -> dict[str, int]:
    """How many conversations are in each state (every state listed, zeros included)."""
    counts = dict.fromkeys((s.value for s in ConversationState), 0)
    rows = session.execute(
        select(col(Conversation.state), func.count()).group_by(col(Conversation.state))
    )
    counts.update({state: n for state, n in rows})
    return counts


def get_conversation(session: Session, ref: int | str) -> Conversation:
    """A conversation by id or by key (``platform:root id``); :class:`ConversationError` if none."""
    conv = (
        session.get(Conversation, ref)
        if isinstance(ref, int)
        else session.scalars(select(Conversation).where(col(Conversation.key) == ref)).first()
    )
    if conv is None:
        raise ConversationError(
            f"no conversation {ref!r}: give its id or its key (platform:root post id, as shown"
            " in alerts)"
        )
    return conv


def set_state(
    session: Session,
    ref: int | str,
    state: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> Conversation:
    """Staff mark a conversation handled or muted, or reopen it (``open``); recorded as a
    :class:`StaffAction`, in the caller's transaction."""
    if state not in STAFF_STATES:
        raise ConversationError(
            f"staff can set a conversation to {', '.join(sorted(STAFF_STATES))}, not {state!r}"
        )
    conv = get_conversation(session, ref)
    before = conv.state
    if state == _HANDLED:
        conv.state, conv.awaiting_since, conv.awaiting_post_id = _HANDLED, None, None
    elif state == _MUTED:
        conv.state = _MUTED  # what was waiting stays recorded, for when it is unmuted
    else:
        conv.state = _current_state(conv)
    _record(session, conv, actor, f"state:{state}", {"from": before, "to": conv.state}, now)
    return conv


def _current_state(conv: ConversationLike) -> str:
    if conv.awaiting_since is not None:
        return _US
    if conv.last_own_at is not None and (
        conv.last_public_at is None or conv.last_own_at >= conv.last_public_at
    ):
        return _THEM
    return _OPEN


def snooze(
    session: Session,
    ref: int | str,
    until: datetime | None,
    *,
    actor: str,
    now: datetime | None = None,
) -> Conversation:
    """No reminders for the conversation until ``until`` (None: wake it now); recorded."""
    now = now or utcnow()
    if until is not None and until <= now:
        raise ConversationError(
            f"cannot snooze until {until:%Y-%m-%d %H:%M} UTC: that is not in the future"
        )
    conv = get_conversation(session, ref)
    conv.snoozed_until = until
    _record(session, conv, actor, "snooze", {"until": until.isoformat() if until else None}, now)
    return conv


def _record(
    session: Session,
    conv: Conversation,
    actor: str,
    action: str,
    payload: dict[str, object],
    now: datetime | None,
) -> None:
    session.add(conv)
    session.add(
        StaffAction(
            actor=actor,
            action=action,
            conversation_id=conv.id,
            payload=payload,
            created_at=now or utcnow(),
        )
    )
