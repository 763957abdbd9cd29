"""The outbox drain: replies, alerts and digests delivered exactly once toward the public.

Items are claimed in batches (``queued`` → ``sending``, one statement, committed) before the
platform is called, and their outcomes recorded (``sent``, …) in one commit after. If the process
dies in between, the batch stays in ``sending``; once its lease expires :meth:`Outbox.reconcile`
asks the platform whether our reply exists (``find_reply``) and marks it sent, or requeues it; a
platform that cannot tell puts the item on ``held`` for staff to decide. Replies are therefore
never sent twice. Items go ``CLAIM_BATCH`` at a time, except replies on platforms that cannot
look them up (Telegram): those are claimed on their own, so a killed worker leaves at most one
of them for staff; staff alerts left in ``sending`` are sent again (at least once). Items of a
batch not yet tried when the drain is interrupted (an exception,
cancellation) or when the claim is half its lease old (a slow platform) go back to the queue, so
a platform call must take less than half of ``outbox.sending_lease``.
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
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    TransientError,
    Unsupported,
)
from scheduler.backoff import Backoff

log = logging.getLogger(__name__)

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
SENDING_PAUSED = "sending_paused"  # the Flag staff set with /pause: no public replies go out
CLAIM_BATCH = 50  # items claimed in one statement, then delivered and recorded in one commit


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
    in_doubt: int = 0  # replies that may have gone out: reconciled before any retry
    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome)

    def count(self, outcome: str, kind: str) -> None:
        """One more item of ``kind`` with ``outcome`` (sent, retried, failed, reconciled, held,
        in_doubt)."""
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

    def claim(self, session: Session, ids: Sequence[int]) -> list[OutboxItem]:
        """Move the queued items among ``ids`` to sending in one statement, committed; the
        items claimed, refreshed. An item someone else has is left out (on PostgreSQL, one that
        another worker is claiming is skipped: ``FOR UPDATE SKIP LOCKED``)."""
        queued = OutboxState.QUEUED.value
        candidate = OutboxItem.__table__.alias("candidate")  # type: ignore[attr-defined]
        free = (
            select(candidate.c.id)
            .where(candidate.c.id.in_(ids), candidate.c.state == queued)
            .with_for_update(skip_locked=True)
        )
        claimed = self._update_returning(
            session,
            update(OutboxItem)
            .where(col(OutboxItem.id).in_(free), col(OutboxItem.state) == queued)
            .values(
                state=OutboxState.SENDING.value,
                claimed_at=self.clock(),
                attempts=col(OutboxItem.attempts) + 1,
            ),
        )
        session.commit()
        return claimed

    def _release(self, session: Session, items: Sequence[OutboxItem], since: datetime) -> None:
        """Put ``items``, claimed at ``since`` but not tried, back in the queue (their claim did
        not count as an attempt); in the caller's transaction."""
        if items:
            self._update_returning(
                session,
                update(OutboxItem)
                .where(
                    col(OutboxItem.id).in_([item.id for item in items]),
                    col(OutboxItem.state) == OutboxState.SENDING.value,
                    col(OutboxItem.claimed_at) == since,
                )
                .values(state=OutboxState.QUEUED.value, attempts=col(OutboxItem.attempts) - 1),
            )

    @staticmethod
    def _update_returning(session: Session, stmt: Any) -> list[OutboxItem]:
        """Run the UPDATE ``stmt`` and return the rows it changed as items (those already in the
        session refreshed); evaluating its WHERE against every object in the session instead
        would make a drain quadratic in its size."""
        return list(
            session.scalars(
                stmt.returning(OutboxItem),
                execution_options={"synchronize_session": False, "populate_existing": True},
            )
        )

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
        """Queued items whose time has come (no replies while sending is paused or in a dry
        run), most urgent first."""
        query = (
            select(OutboxItem)
            .where(
                col(OutboxItem.state) == OutboxState.QUEUED.value,
                col(OutboxItem.next_attempt_at) <= self.clock(),
            )
            .order_by(col(OutboxItem.created_at), col(OutboxItem.id))
            .limit(limit)
        )
        if self.settings.dry_run or sending_paused(session):
            query = query.where(col(OutboxItem.kind) != OutboxKind.REPLY.value)
        items = list(session.scalars(query))
        return sorted(items, key=lambda i: PRIORITY_ORDER.get(i.priority, 2))

    async def drain(self, session: Session, *, limit: int = 100) -> DrainStats:
        """Reconcile stale claims, then deliver every due item (up to ``limit``), claiming and
        recording them ``CLAIM_BATCH`` at a time.

        The session should not expire its objects on commit (as :meth:`Salon.session`), or
        each item is read again after each commit."""
        stats = DrainStats()
        await self.reconcile(session, stats)
        group_after = self.sink.group_after if isinstance(self.sink, GroupingSink) else 0
        chunk: list[list[OutboxItem]] = []
        size = 0
        for batch in group_alerts(self.due(session, limit), group_after):
            if not self._reconcilable(batch[0]):
                # A reply the platform cannot look up is claimed and recorded on its own: a
                # worker killed mid-chunk leaves at most one such reply held for staff.
                await self._deliver_chunk(session, [batch], stats)
                continue
            chunk.append(batch)
            size += len(batch)
            if size >= CLAIM_BATCH:
                await self._deliver_chunk(session, chunk, stats)
                chunk, size = [], 0
        if chunk:
            await self._deliver_chunk(session, chunk, stats)
        return stats

    def _reconcilable(self, item: OutboxItem) -> bool:
        """Whether ``item`` left in ``sending`` by a crash can be resolved without staff:
        staff messages (sent again) and replies on platforms that can find them."""
        if item.kind != OutboxKind.REPLY.value:
            return True
        connector = self.connectors.get(item.channel)
        return connector is not None and Capability.RECONCILE in connector.capabilities

    async def _deliver_chunk(
        self, session: Session, batches: list[list[OutboxItem]], stats: DrainStats
    ) -> None:
        """Claim the items of ``batches`` in one statement, deliver each batch (one item, or a
        group of alerts), then record every outcome in one commit."""
        claimed = self.claim(session, [item.id for batch in batches for item in batch if item.id])
        if not claimed:
            return
        since = claimed[0].claimed_at
        assert since is not None
        mine = {item.id for item in claimed}
        targets = self._reply_targets(session, claimed)
        tried: set[int | None] = set()
        try:
            for batch in batches:
                items = [item for item in batch if item.id in mine]
                if not items:
                    continue
                if self.clock() - since >= timedelta(seconds=self.settings.sending_lease / 2):
                    break  # a slow platform: the rest goes back before the claim grows stale
                tried.update(item.id for item in items)  # interrupted mid-send: stays sending
                await self._deliver(items, targets, stats)
        finally:
            self._note_replies(session, [item for item in claimed if item.id in tried])
            self._release(session, [item for item in claimed if item.id not in tried], since)
            session.commit()

    async def _deliver(
        self, items: list[OutboxItem], targets: Mapping[int, IncomingPost], stats: DrainStats
    ) -> None:
        """Send one item, or a group of alerts as one message; note the outcome on each."""
        try:
            if len(items) == 1:
                external_id = await self._send(items[0], targets)
            else:
                assert isinstance(self.sink, GroupingSink)
                payloads = [dict(item.payload) for item in items]
                external_id = await self.sink.send_alert_group(payloads, [i.key for i in items])
        except (NetworkError, MalformedResponse) as exc:
            # The request may have reached the platform (the answer was lost or unreadable).
            for item in items:
                if item.kind == OutboxKind.REPLY.value:
                    self._in_doubt(item, exc, stats)  # a public reply: check before any retry
                else:
                    self._retry_or_fail(item, exc, stats)  # staff messages: at least once
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
            now = self.clock()
            for item in items:
                self._set_sent(item, external_id, now)
                stats.count("sent", item.kind)

    def _in_doubt(self, item: OutboxItem, exc: Exception, stats: DrainStats) -> None:
        """Leave a reply that may have gone out in ``sending`` with a claim already stale:
        the next drain's :meth:`reconcile` asks the platform (or holds it for staff) before
        anything is sent again."""
        item.last_error = f"may have been sent ({type(exc).__name__}: {exc}); checking"
        item.claimed_at = self.clock() - timedelta(seconds=self.settings.sending_lease)
        stats.count("in_doubt", item.kind)

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

    async def _send(self, item: OutboxItem, targets: Mapping[int, IncomingPost]) -> str:
        if item.kind == OutboxKind.ALERT.value:
            return await self.sink.send_alert(dict(item.payload), item.key)
        if item.kind == OutboxKind.DIGEST.value:
            return await self.sink.send_digest(dict(item.payload), item.key)
        connector, target = self._reply_target(item, targets)
        sent: Sent = await connector.reply(target, str(item.payload["text"]), item.key)
        return sent.platform_id

    @staticmethod
    def _reply_targets(session: Session, items: Sequence[OutboxItem]) -> dict[int, IncomingPost]:
        """The posts the replies among ``items`` answer, rebuilt for connectors, by post id
        (one query)."""
        ids = {i.post_id for i in items if i.kind == OutboxKind.REPLY.value and i.post_id}
        if not ids:
            return {}
        rows = session.execute(
            select(Post, Author)
            .join(Author, col(Author.id) == col(Post.author_id))
            .where(col(Post.id).in_(ids))
        )
        return {post.id: incoming_post(post, author) for post, author in rows if post.id}

    def _reply_target(
        self, item: OutboxItem, targets: Mapping[int, IncomingPost]
    ) -> tuple[Connector, IncomingPost]:
        connector = self.connectors.get(item.channel)
        if connector is None:
            raise Unsupported(f"no connector for source {item.channel!r}", source=item.channel)
        target = targets.get(item.post_id) if item.post_id is not None else None
        if target is None:
            raise NotFound(f"post {item.post_id} is gone from the store", source=item.channel)
        return connector, target

    @staticmethod
    def _set_sent(item: OutboxItem, external_id: str | None, now: datetime) -> None:
        item.state, item.external_id, item.sent_at, item.last_error = (
            OutboxState.SENT.value,
            external_id,
            now,
            None,
        )

    def _mark_sent(
        self, session: Session, items: Sequence[OutboxItem], external_id: str | None
    ) -> None:
        """Record ``items`` as sent (one message: ``external_id``), and our replies in their
        conversations."""
        now = self.clock()
        for item in items:
            self._set_sent(item, external_id, now)
        self._note_replies(session, items)

    @staticmethod
    def _note_replies(session: Session, items: Sequence[OutboxItem]) -> None:
        """Note in their conversations the replies among ``items`` that were sent (one query)."""
        replies = [
            item
            for item in items
            if item.kind == OutboxKind.REPLY.value
            and item.state == OutboxState.SENT.value
            and item.post_id is not None
        ]
        if not replies:
            return
        rows = session.execute(
            select(col(Post.id), Conversation)
            .join(Conversation, col(Conversation.id) == col(Post.conversation_id))
            .where(col(Post.id).in_({item.post_id for item in replies}))
        )
        convs = {post_id: conv for post_id, conv in rows}
        for item in replies:
            conv = convs.get(item.post_id)
            if conv is not None and item.sent_at is not None:
                note_own_post(conv, item.sent_at)

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
            connector, target = self._reply_target(item, self._reply_targets(session, [item]))
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
            self._mark_sent(session, [item], found.platform_id)
            stats.count("reconciled", item.kind)
        else:
            item.state = OutboxState.QUEUED.value
            item.next_attempt_at = self.clock()
