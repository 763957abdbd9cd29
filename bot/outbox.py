"""The outbox drain: replies, alerts and digests delivered exactly once toward the public.

Each item is claimed (``queued`` → ``sending``, committed) before the platform is called and
recorded (``sent``, committed) after. If the process dies in between, the item stays in
``sending``; once its lease expires :meth:`Outbox.reconcile` asks the platform whether our reply
exists (``find_reply``) and marks it sent, or requeues it; a platform that cannot tell puts the
item on ``held`` for staff to decide. Replies are therefore never sent twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.alerts import AlertSink
from bot.conversations import note_own_post
from bot.models import (
    Author,
    Conversation,
    Flag,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    utcnow,
)
from config.settings import OutboxSettings
from connectors.base import Author as IncomingAuthor
from connectors.base import Capability, Connector, PostKind, Sent
from connectors.base import Post as IncomingPost
from connectors.errors import (
    ConnectorError,
    NotFound,
    RateLimited,
    TransientError,
    Unsupported,
)
from scheduler.backoff import Backoff

log = logging.getLogger(__name__)

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
SENDING_PAUSED = "sending_paused"  # the Flag staff set with /pause: no public replies go out


def sending_paused(session: Session) -> bool:
    """True while staff have paused public sending (/pause); alerts and digests still go."""
    flag = session.get(Flag, SENDING_PAUSED)
    return bool(flag and flag.enabled)


def set_sending_paused(session: Session, paused: bool, *, actor: str, now: datetime) -> bool:
    """Pause or resume public sending (in the caller's transaction); False if unchanged."""
    flag = session.get(Flag, SENDING_PAUSED)
    if bool(flag and flag.enabled) == paused:
        return False
    flag = flag or Flag(name=SENDING_PAUSED)
    flag.enabled, flag.set_by, flag.set_at = paused, actor, now
    session.add(flag)
    return True


@runtime_checkable
class GroupingSink(Protocol):
    """A sink that sums up a flood of alerts on one topic in one message."""

    group_after: int  # more alerts than this on one topic in one drain: the rest are grouped

    async def send_alert_group(self, payloads: list[dict[str, Any]], keys: list[str]) -> str: ...


def group_alerts(items: Sequence[OutboxItem], group_after: int) -> list[list[OutboxItem]]:
    """Items in delivery order, each alone, except that past the first ``group_after`` alerts
    on one topic the rest (not urgent, without a draft to approve) travel as one group, placed
    where the first of them was (only alerts bound for the same chats are grouped).
    ``group_after`` 0 groups nothing."""
    if group_after <= 0:
        return [[item] for item in items]

    def topic(item: OutboxItem) -> str | None:
        payload = item.payload
        groupable = (
            item.kind == OutboxKind.ALERT.value
            and item.priority != "urgent"
            and not payload.get("draft")
        )
        if not groupable:
            return None
        return f"{payload.get('to') or ''}\x00{payload.get('topic') or ''}"  # same chats, topic

    totals = Counter(t for t in map(topic, items) if t is not None)
    seen: Counter[str] = Counter()
    batches: list[list[OutboxItem]] = []
    groups: dict[str, list[OutboxItem]] = {}
    for item in items:
        key = topic(item)
        if key is not None:
            seen[key] += 1
            if totals[key] > group_after and seen[key] > group_after:
                if key not in groups:
                    groups[key] = []
                    batches.append(groups[key])
                groups[key].append(item)
                continue
        batches.append([item])
    return batches


@dataclass(slots=True)
class DrainStats:
    """What one drain pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    held: int = 0
    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome)

    def count(self, outcome: str, kind: str) -> None:
        """One more item of ``kind`` with ``outcome`` (sent, retried, failed, reconciled, held)."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_kind[(kind, outcome)] += 1


def incoming_post(post: Post, author: Author) -> IncomingPost:
    """Rebuild the normalized post a connector needs to reply (from the stored row)."""
    return IncomingPost(
        platform=post.platform,
        id=post.platform_id,
        source=post.source,
        kind=PostKind(post.kind),
        author=IncomingAuthor(
            id=author.platform_id,
            handle=author.handle,
            name=author.name,
            is_self=author.is_self,
            is_bot=author.is_bot,
            followers=author.followers,
        ),
        text=post.text,
        created_at=post.created_at,
        url=post.url,
        conversation_id=None,
        in_reply_to_id=post.in_reply_to_key.split(":", 1)[1] if post.in_reply_to_key else None,
        language=post.language,
        mentions_self=post.mentions_self,
        edited_at=post.edited_at,
        deleted=post.deleted,
        metrics=dict(post.metrics),
        raw=dict(post.raw),
    )


class Outbox:
    """Delivers due outbox items through connectors (replies) and the alert sink (staff)."""

    def __init__(
        self,
        connectors: Mapping[str, Connector],
        sink: AlertSink,
        settings: OutboxSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.connectors = connectors  # by source name
        self.sink = sink
        self.settings = settings
        self.backoff = Backoff(settings.backoff_base, settings.backoff_cap)
        self.clock = clock

    def claim(self, session: Session, item: OutboxItem) -> bool:
        """Move ``item`` from queued to sending, committed; False if someone else has it (on
        PostgreSQL, an item another worker is claiming is skipped: ``FOR UPDATE SKIP LOCKED``)."""
        now = self.clock()
        queued = OutboxState.QUEUED.value
        candidate = OutboxItem.__table__.alias("candidate")  # type: ignore[attr-defined]
        free = (
            select(candidate.c.id)
            .where(candidate.c.id == item.id, candidate.c.state == queued)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        result = session.execute(
            update(OutboxItem)
            .where(col(OutboxItem.id) == free, col(OutboxItem.state) == queued)
            .values(
                state=OutboxState.SENDING.value,
                claimed_at=now,
                attempts=col(OutboxItem.attempts) + 1,
            )
            # the caller refreshes what it claimed; evaluating the WHERE against every object
            # in the session would make a drain quadratic in its size
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0) == 1)

    def _take_over(self, session: Session, item: OutboxItem, cutoff: datetime) -> bool:
        """Claim a stale ``sending`` item for reconciliation, committed; False if another
        worker took it first (so that two workers never both resolve, then send, it)."""
        result = session.execute(
            update(OutboxItem)
            .where(
                col(OutboxItem.id) == item.id,
                col(OutboxItem.state) == OutboxState.SENDING.value,
                col(OutboxItem.claimed_at) <= cutoff,
            )
            .values(claimed_at=self.clock())
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0) == 1)

    def due(self, session: Session, limit: int = 100) -> list[OutboxItem]:
        """Queued items whose time has come, most urgent first."""
        items = list(
            session.scalars(
                select(OutboxItem)
                .where(
                    col(OutboxItem.state) == OutboxState.QUEUED.value,
                    col(OutboxItem.next_attempt_at) <= self.clock(),
                )
                .order_by(col(OutboxItem.created_at), col(OutboxItem.id))
                .limit(limit)
            )
        )
        if self.settings.dry_run or sending_paused(session):
            items = [i for i in items if i.kind != OutboxKind.REPLY.value]
        return sorted(items, key=lambda i: PRIORITY_ORDER.get(i.priority, 2))

    async def drain(self, session: Session, *, limit: int = 100) -> DrainStats:
        """Reconcile stale claims, then deliver every due item (up to ``limit``)."""
        stats = DrainStats()
        await self.reconcile(session, stats)
        due = self.due(session, limit)
        group_after = self.sink.group_after if isinstance(self.sink, GroupingSink) else 0
        for batch in group_alerts(due, group_after):
            claimed = [item for item in batch if self.claim(session, item)]
            if not claimed:
                continue
            for item in claimed:
                session.refresh(item)
            await self._deliver(session, claimed, stats)
        return stats

    async def _deliver(self, session: Session, items: list[OutboxItem], stats: DrainStats) -> None:
        """Send one item, or a group of alerts as one message; record the outcome for each."""
        try:
            if len(items) == 1:
                external_id = await self._send(session, items[0])
            else:
                assert isinstance(self.sink, GroupingSink)
                payloads = [dict(item.payload) for item in items]
                external_id = await self.sink.send_alert_group(payloads, [i.key for i in items])
        except TransientError as exc:
            for item in items:
                self._retry_or_fail(item, exc, stats)
        except ConnectorError as exc:
            for item in items:
                item.state, item.last_error = OutboxState.FAILED.value, str(exc)
                stats.count("failed", item.kind)
        except Exception as exc:  # a bug in a sink must not wedge the item in "sending"
            log.exception("delivery of %s failed", items[0].key)
            for item in items:
                self._retry_or_fail(item, exc, stats)
        else:
            for item in items:
                self._mark_sent(session, item, external_id)
                stats.count("sent", item.kind)
        session.add_all(items)
        session.commit()

    def _retry_or_fail(self, item: OutboxItem, exc: Exception, stats: DrainStats) -> None:
        item.last_error = f"{type(exc).__name__}: {exc}"
        if item.attempts >= self.settings.max_attempts:
            item.state = OutboxState.FAILED.value
            stats.count("failed", item.kind)
            return
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        delay = self.backoff.delay(item.attempts, retry_after=retry_after)
        item.state = OutboxState.QUEUED.value
        item.next_attempt_at = self.clock() + timedelta(seconds=delay)
        stats.count("retried", item.kind)

    async def _send(self, session: Session, item: OutboxItem) -> str:
        if item.kind == OutboxKind.ALERT.value:
            return await self.sink.send_alert(dict(item.payload), item.key)
        if item.kind == OutboxKind.DIGEST.value:
            return await self.sink.send_digest(dict(item.payload), item.key)
        connector, target = self._reply_target(session, item)
        sent: Sent = await connector.reply(target, str(item.payload["text"]), item.key)
        return sent.platform_id

    def _reply_target(self, session: Session, item: OutboxItem) -> tuple[Connector, IncomingPost]:
        connector = self.connectors.get(item.channel)
        if connector is None:
            raise Unsupported(f"no connector for source {item.channel!r}", source=item.channel)
        post = session.get(Post, item.post_id)
        if post is None:
            raise NotFound(f"post {item.post_id} is gone from the store", source=item.channel)
        author = session.get(Author, post.author_id)
        assert author is not None
        return connector, incoming_post(post, author)

    def _mark_sent(self, session: Session, item: OutboxItem, external_id: str | None) -> None:
        now = self.clock()
        item.state, item.external_id, item.sent_at, item.last_error = (
            OutboxState.SENT.value,
            external_id,
            now,
            None,
        )
        if item.kind == OutboxKind.REPLY.value and item.post_id is not None:
            post = session.get(Post, item.post_id)
            conv = session.get(Conversation, post.conversation_id) if post else None
            if conv is not None:
                note_own_post(conv, now)
                session.add(conv)

    async def reconcile(self, session: Session, stats: DrainStats) -> None:
        """Resolve items left in ``sending`` past their lease (the process died mid-send)."""
        cutoff = self.clock() - timedelta(seconds=self.settings.sending_lease)
        stale = list(
            session.scalars(
                select(OutboxItem).where(
                    col(OutboxItem.state) == OutboxState.SENDING.value,
                    col(OutboxItem.claimed_at) <= cutoff,
                )
            )
        )
        for item in stale:
            if not self._take_over(session, item, cutoff):
                continue
            if item.kind != OutboxKind.REPLY.value:
                item.state = OutboxState.QUEUED.value  # staff messages: at-least-once is fine
            else:
                await self._reconcile_reply(session, item, stats)
            session.add(item)
            session.commit()

    async def _reconcile_reply(self, session: Session, item: OutboxItem, stats: DrainStats) -> None:
        try:
            connector, target = self._reply_target(session, item)
        except ConnectorError as exc:
            item.state, item.last_error = OutboxState.HELD.value, f"cannot reconcile: {exc}"
            stats.count("held", item.kind)
            return
        if Capability.RECONCILE not in connector.capabilities:
            item.state = OutboxState.HELD.value
            item.last_error = "interrupted while sending; the platform cannot tell if it went out"
            stats.count("held", item.kind)
            return
        try:
            found = await connector.find_reply(target, str(item.payload["text"]), item.key)
        except ConnectorError as exc:
            item.last_error = f"reconcile failed, will retry: {exc}"
            return  # stays in "sending"; the next drain tries again
        if found is not None:
            self._mark_sent(session, item, found.platform_id)
            stats.count("reconciled", item.kind)
        else:
            item.state = OutboxState.QUEUED.value
            item.next_attempt_at = self.clock()
