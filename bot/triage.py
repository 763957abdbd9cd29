"""Triage: classified posts plus their conversation become decisions and outbox items.

A batch of posts is decided in one transaction: its decisions, the replies and alerts they
enqueue (each under a unique idempotency key) and the posts' ``triaged`` flags commit together,
so a crash re-decides rather than loses, and nothing is enqueued twice.
"""

from __future__ import annotations

import gc
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import false, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from bot.conversations import note_ask, note_public_post
from bot.errors import RuleError
from bot.models import (
    Decision,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Post,
    utcnow,
)
from bot.policy import PolicyGuard, is_opt_out
from bot.replies import ReplyBook
from bot.rows import (
    AnalysisLike,
    AuthorLike,
    PostLike,
    PostRow,
    driver_value,
    load_pending,
    raw,
    raw_param,
    stored_time,
    write_back,
)
from bot.rules import LocalClock, Rule, RuleSet, TriageContext
from bot.store import insert_ignoring_conflicts
from config.settings import PolicySettings

DEFAULT_RULE = "(no rule matched)"
OPT_OUT_RULE = "(opt-out)"
ALERTING = frozenset({"alert", "draft_reply"})  # final actions that put an alert before staff


class _CollectorPause:
    """Pauses of Python's cyclic garbage collector, counted across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


#: No cyclic garbage collection inside the block; collection resumes (if it was on) when the
#: last concurrent block ends. A batch keeps tens of thousands of small objects alive until it
#: commits, and the collector's full passes over them and the rest of the heap cost a tenth of
#: triage's CPU time; reference counting still frees them all (as Mercurial's ``util.nogc``).
paused_gc = _CollectorPause()


@dataclass(slots=True)
class TriageStats:
    """Counts of what one triage pass decided."""

    posts: int = 0
    alerts: int = 0
    drafts: int = 0
    auto_replies: int = 0
    refused: int = 0
    digest_only: int = 0
    ignored: int = 0


def reply_key(post: PostLike) -> str:
    """The idempotency key of the one public reply a post may get."""
    return f"reply:{post.key}"


def _guard_for(
    session: Session, policy: PolicySettings, post_ids: list[int], now: datetime
) -> PolicyGuard:
    guard = PolicyGuard(policy)
    live = [
        s.value
        for s in (
            OutboxState.DRAFT,
            OutboxState.QUEUED,
            OutboxState.SENDING,
            OutboxState.SENT,
            OutboxState.HELD,
        )
    ]
    guard.replied_posts.update(
        pid
        for pid in session.connection().scalars(
            select(col(OutboxItem.post_id)).where(
                col(OutboxItem.kind) == OutboxKind.REPLY.value,
                col(OutboxItem.post_id).in_(post_ids),
                col(OutboxItem.state).in_(live),
            )
        )
        if pid is not None
    )
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = session.connection().execute(
        select(col(Post.author_id), col(Post.source), func.count())
        .join(OutboxItem, col(OutboxItem.post_id) == col(Post.id))
        .where(
            col(OutboxItem.kind) == OutboxKind.REPLY.value,
            col(OutboxItem.state).in_(
                [OutboxState.QUEUED.value, OutboxState.SENDING.value, OutboxState.SENT.value]
            ),
            col(OutboxItem.created_at) >= day_start,
        )
        .group_by(col(Post.author_id), col(Post.source))
    )
    per_author: Counter[int] = Counter()
    per_channel: Counter[str] = Counter()
    for author_id, source, count in counts:
        per_author[author_id] += count
        per_channel[source] += count
    guard.per_author, guard.per_channel = per_author, per_channel
    return guard


def auto_replies_per_conversation(session: Session, conversations: list[int]) -> Counter[int]:
    """Automatic replies (not drafts staff approved) queued or sent so far in each of
    ``conversations``: what ``policy.per_conversation_auto_replies`` caps."""
    rows = session.connection().execute(
        select(col(Post.conversation_id), func.count())
        .select_from(OutboxItem)
        .join(Post, col(Post.id) == col(OutboxItem.post_id))
        .join(Decision, col(Decision.id) == col(OutboxItem.decision_id))
        .where(
            col(OutboxItem.kind) == OutboxKind.REPLY.value,
            col(Decision.action) == "auto_reply",
            col(OutboxItem.state).in_(
                [
                    OutboxState.QUEUED.value,
                    OutboxState.SENDING.value,
                    OutboxState.SENT.value,
                    OutboxState.HELD.value,
                ]
            ),
            col(Post.conversation_id).in_(conversations),
        )
        .group_by(col(Post.conversation_id))
    )
    return Counter({conv: count for conv, count in rows if conv is not None})


def post_fields(
    post: PostLike,
    author: AuthorLike,
    analysis: AnalysisLike | None,
    intents: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The part of a staff alert that shows the post (also used by reminders); ``intents``
    as the rules saw them, or those the analysis scores at 0.5 or more."""
    if intents is None:
        intents = [k for k, v in analysis.intents.items() if float(v) >= 0.5] if analysis else []
    return {
        "post_key": post.key,
        "platform": post.platform,
        "source": post.source,
        "author": author.handle,
        "text": post.text,
        "url": post.url,
        "created_at": post.created_at.isoformat(),
        "topic": analysis.top_topic if analysis else None,
        "sentiment": analysis.sentiment if analysis else None,
        "intents": sorted(intents),
        "abusive": analysis.is_abusive if analysis else False,
    }


def alert_payload(
    ctx: TriageContext,
    rule: Rule,
    *,
    action: str,
    draft: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """What a staff alert shows (rendered by the console or the Telegram staff bot)."""
    s = rule.settings
    return {
        **post_fields(ctx.post, ctx.author, ctx.analysis, ctx.intents()),
        "rule": rule.name,
        "why": rule.why,
        "action": action,
        "priority": s.priority,
        "to": str(s.to) if s.to is not None else "staff",
        "assign": s.assign,
        "tags": list(s.tag),
        "remind_after_hours": s.remind_after_hours,
        "draft": draft,
        "note": note,
    }


def batch_history(
    session: Session, posts: list[PostRow], rules: RuleSet
) -> tuple[dict[int, bool], dict[int, int]]:
    """Per post id: is it its author's first post, and how many exchanges its thread has had
    up to it — one query each, for the whole batch, and only when some rule asks."""
    first_time: dict[int, bool] = {}
    exchanges: dict[int, int] = {}
    if rules.needs_history:
        authors = list({post.author_id for post in posts})
        first = {
            author_id: stored_time(earliest)
            for author_id, earliest in session.connection().execute(
                select(col(Post.author_id), raw(func.min(col(Post.created_at))))
                .where(col(Post.author_id).in_(authors))
                .group_by(col(Post.author_id))
            )
        }
        for post in posts:
            earliest = first.get(post.author_id)
            first_time[post.id or 0] = earliest is None or post.created_at <= earliest
    if rules.needs_exchanges:
        convs = list({post.conversation_id for post in posts if post.conversation_id})
        answers = _answers(session, convs, max(post.created_at for post in posts))
        for post in posts:
            times = answers.get(post.conversation_id or 0)
            if times:
                exchanges[post.id] = bisect_right(times, (post.created_at, post.id))
    return first_time, exchanges


def _answers(
    session: Session, conversations: list[int], last: datetime
) -> dict[int, list[tuple[datetime, int]]]:
    """Per thread, ``(time, id)`` of each exchange up to ``last``, in order: each of our posts
    that follows one of theirs (our posts in a row count once). One query; each of our posts
    looks up the post before it in the thread's index."""
    before = aliased(Post)
    previous_is_own = (
        select(col(before.is_own))
        .where(
            col(before.conversation_id) == col(Post.conversation_id),
            tuple_(col(before.created_at), col(before.id))
            < tuple_(col(Post.created_at), col(Post.id)),
        )
        .order_by(col(before.created_at).desc(), col(before.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    answers: dict[int, list[tuple[datetime, int]]] = {}
    for thread, at, post_id in session.connection().execute(
        select(col(Post.conversation_id), raw(col(Post.created_at)), col(Post.id))
        .where(
            col(Post.conversation_id).in_(conversations),
            col(Post.is_own),
            col(Post.created_at) <= last,
            previous_is_own == false(),
        )
        .order_by(col(Post.conversation_id), col(Post.created_at), col(Post.id))
    ):
        assert thread is not None and post_id is not None
        answers.setdefault(thread, []).append((cast(datetime, stored_time(at)), post_id))
    return answers


class Triage:
    """Applies a rule set to pending posts."""

    def __init__(
        self,
        rules: RuleSet,
        replies: ReplyBook,
        policy: PolicySettings,
        *,
        batch_size: int = 2000,
    ) -> None:
        self.rules = rules
        self.replies = replies
        self.policy = policy
        self.batch_size = batch_size

    def run(self, session: Session, *, now: datetime | None = None) -> TriageStats:
        """Triage every classified, untriaged public post, batch by batch (each committed)."""
        total = TriageStats()
        while True:
            stats = self.run_batch(session, now=now or utcnow())
            if stats.posts == 0:
                return total
            for name in TriageStats.__slots__:
                setattr(total, name, getattr(total, name) + getattr(stats, name))

    def run_batch(self, session: Session, *, now: datetime) -> TriageStats:
        """Triage up to ``batch_size`` pending posts in one transaction."""
        with paused_gc():
            return self._run_batch(session, now)

    def _run_batch(self, session: Session, now: datetime) -> TriageStats:
        batch = load_pending(session, self.batch_size)
        stats = TriageStats(posts=len(batch.rows))
        if not batch.rows:
            return stats
        posts = [post for post, *_ in batch.rows]
        post_ids = [post.id for post in posts]
        done = {
            (post_id, rule)
            for post_id, rule in session.connection().execute(
                select(col(Decision.post_id), col(Decision.rule)).where(
                    col(Decision.post_id).in_(post_ids)
                )
            )
        }
        guard = _guard_for(session, self.policy, post_ids, now)
        if self.policy.per_conversation_auto_replies is not None:
            threads = list({p.conversation_id for p in posts if p.conversation_id is not None})
            guard.per_conversation = auto_replies_per_conversation(session, threads)
        first_time, exchanges = batch_history(session, posts, self.rules)
        pending: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        clock = LocalClock.at(now, self.rules.env)
        for post, author, analysis, conv in batch.rows:
            ctx = self.rules.context(
                post,
                author,
                analysis,
                conv,
                now=now,
                first_time=first_time.get(post.id, True),
                exchanges=exchanges.get(post.id, 0),
                clock=clock,
            )
            for decision, items in self.decide(ctx, guard, stats):
                if (decision["post_id"], decision["rule"]) not in done:
                    pending.append((decision, items))
        self._store(session, pending, now)
        write_back(session, batch)
        session.execute(update(Post).where(col(Post.id).in_(post_ids)).values(triaged=True))
        session.commit()
        return stats

    @staticmethod
    def _store(
        session: Session,
        pending: list[tuple[dict[str, Any], list[dict[str, Any]]]],
        now: datetime,
    ) -> None:
        """Insert the decisions made at ``now`` (one statement, ids returned) and their outbox
        items. The time, and each rule's tags, are processed for the driver once."""
        if not pending:
            return
        table = Decision.__table__  # type: ignore[attr-defined]
        made_at = driver_value(session, table.c.created_at, now)
        stored: dict[tuple[str, ...], Any] = {}
        rows = []
        for decision, _ in pending:
            tags = tuple(decision["tags"])
            if tags not in stored:
                stored[tags] = driver_value(session, table.c.tags, list(tags))
            row = {**decision, "made_at": made_at, "stored_tags": stored[tags]}
            del row["tags"]
            rows.append(row)
        statement = insert(table).values(
            created_at=raw_param("made_at"), tags=raw_param("stored_tags")
        )
        ids = {
            (post_id, rule): decision_id
            for decision_id, post_id, rule in session.connection()
            .execute(statement.returning(table.c.id, table.c.post_id, table.c.rule), rows)
            .all()
        }
        outbox = []
        for decision, items in pending:
            for item in items:
                item["decision_id"] = ids[(decision["post_id"], decision["rule"])]
                outbox.append(item)
        insert_ignoring_conflicts(session, OutboxItem, outbox)

    def decide(
        self, ctx: TriageContext, guard: PolicyGuard, stats: TriageStats
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The decisions for one post and the outbox items each enqueues (not yet stored)."""
        post, conv = ctx.post, ctx.conversation
        assert post.id is not None
        if post.in_reply_to_key and is_opt_out(post.text):
            ctx.author.opted_out = True
            stats.ignored += 1
            return [(self._decision(ctx, None, "ignore", None), [])]
        if conv is not None:
            note_public_post(conv, post, ctx.intents())
        fired = self.rules.evaluate(ctx)
        if conv is not None and any(r.settings.remind_after_hours for r in fired):
            note_ask(conv, post.id, post.created_at)  # the rule wants an answer: remind if none
        if not fired:
            stats.digest_only += 1
            return [(self._decision(ctx, None, "digest_only", None), [])]
        return [self._apply(rule, ctx, guard, stats) for rule in fired]

    def _apply(
        self, rule: Rule, ctx: TriageContext, guard: PolicyGuard, stats: TriageStats
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        s, post, author, analysis, now = rule.settings, ctx.post, ctx.author, ctx.analysis, ctx.now
        action, note, draft = s.action, None, None
        if action in ("auto_reply", "draft_reply"):
            automatic = action == "auto_reply"
            refusal = guard.refusal(post, author, abusive=analysis.is_abusive, automatic=automatic)
            rendered = None
            if refusal is None and s.template:
                try:
                    rendered = self.replies.render(
                        s.template, analysis.language, author=author.handle, today=now.date()
                    )
                except RuleError as exc:  # a template that fails for this post: staff decide
                    refusal = f"the template failed ({exc})"
            if rendered is not None:
                if action == "auto_reply" and rendered.language != analysis.language:
                    action, note = "draft_reply", f"no {analysis.language} template: drafted"
                elif action == "auto_reply" and rendered.expired_facts:
                    expired = ", ".join(rendered.expired_facts)
                    action, note = "draft_reply", f"expired facts ({expired}): drafted"
            if refusal is not None:
                action, note = "alert", f"reply refused: {refusal}"
                stats.refused += 1
            elif rendered is not None:
                draft = guard.with_disclosure(post.platform, rendered.text)
                guard.record(post, author, automatic=action == "auto_reply")
        if s.assign and ctx.conversation is not None and ctx.conversation.assigned_to is None:
            ctx.conversation.assigned_to = s.assign
        decision = self._decision(ctx, rule, action, note)
        items: list[dict[str, Any]] = []
        if action in ("auto_reply", "draft_reply") and draft is not None:
            items.append(self._reply_item(post, rule, draft, now, draft=action == "draft_reply"))
        if action == "auto_reply":
            stats.auto_replies += 1
        elif action in ALERTING:
            stats.drafts += action == "draft_reply"
            stats.alerts += 1
            items.append(
                {
                    "key": f"alert:{post.key}:{rule.name}",
                    "kind": OutboxKind.ALERT.value,
                    "channel": "staff",
                    "state": OutboxState.QUEUED.value,
                    "post_id": post.id,
                    "priority": s.priority,
                    "payload": alert_payload(ctx, rule, action=action, draft=draft, note=note),
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        elif action == "digest_only":
            stats.digest_only += 1
        elif action == "ignore":
            stats.ignored += 1
        return decision, items

    @staticmethod
    def _reply_item(
        post: PostLike, rule: Rule, text: str, now: datetime, *, draft: bool
    ) -> dict[str, Any]:
        return {
            "key": reply_key(post),
            "kind": OutboxKind.REPLY.value,
            "channel": post.source,
            "state": (OutboxState.DRAFT if draft else OutboxState.QUEUED).value,
            "post_id": post.id,
            "priority": rule.settings.priority,
            "payload": {"text": text, "rule": rule.name, "post_key": post.key},
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    @staticmethod
    def _decision(
        ctx: TriageContext, rule: Rule | None, action: str, note: str | None
    ) -> dict[str, Any]:
        """A decision row (made at the batch's time); without a rule, the opt-out (ignore) or
        the default (digest only)."""
        if rule is None:
            return {
                "post_id": ctx.post.id,
                "rule": OPT_OUT_RULE if action == "ignore" else DEFAULT_RULE,
                "group": "-",
                "action": action,
                "priority": "normal" if action == "ignore" else "low",
                "note": note,
                "alert_to": None,
                "assigned_to": None,
                "tags": [],
                "remind_after_hours": None,
            }
        s = rule.settings
        return {
            "post_id": ctx.post.id,
            "rule": s.name,
            "group": s.group,
            "action": action,
            "priority": s.priority,
            "note": note,
            "alert_to": str(s.to or "staff") if action in ALERTING else None,
            "assigned_to": s.assign,
            "tags": list(s.tag),
            "remind_after_hours": s.remind_after_hours,
        }
