"""Triage: classified posts plus their conversation become decisions and outbox items.

A batch of posts is decided in one transaction: its decisions, the replies and alerts they
enqueue (each under a unique idempotency key) and the posts' ``triaged`` flags commit together,
so a crash re-decides rather than loses, and nothing is enqueued twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
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
from bot.policy import PolicyGuard, is_opt_out
from bot.replies import ReplyBook
from bot.rules import Rule, RuleSet
from bot.store import insert_ignoring_conflicts
from config.settings import PolicySettings

DEFAULT_RULE = "(no rule matched)"
OPT_OUT_RULE = "(opt-out)"
ANSWERABLE = frozenset({"question", "complaint", "request"})


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


def reply_key(post: Post) -> str:
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
        for pid in session.scalars(
            select(col(OutboxItem.post_id)).where(
                col(OutboxItem.kind) == OutboxKind.REPLY.value,
                col(OutboxItem.post_id).in_(post_ids),
                col(OutboxItem.state).in_(live),
            )
        )
        if pid is not None
    )
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = session.execute(
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


def alert_payload(
    post: Post,
    author: Author,
    analysis: Classification,
    rule: Rule,
    *,
    draft: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """What a staff alert shows (rendered by the console or the Telegram staff bot)."""
    return {
        "post_key": post.key,
        "platform": post.platform,
        "source": post.source,
        "author": author.handle,
        "text": post.text,
        "url": post.url,
        "created_at": post.created_at.isoformat(),
        "topic": analysis.top_topic,
        "sentiment": analysis.sentiment,
        "intents": sorted(k for k, v in analysis.intents.items() if float(v) >= 0.5),
        "abusive": analysis.is_abusive,
        "rule": rule.name,
        "why": rule.predicate.describe(),
        "action": rule.settings.action,
        "priority": rule.settings.priority,
        "draft": draft,
        "note": note,
    }


class Triage:
    """Applies a rule set to pending posts."""

    def __init__(
        self,
        rules: RuleSet,
        replies: ReplyBook,
        policy: PolicySettings,
        *,
        batch_size: int = 500,
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
        rows = session.execute(
            select(Post, Author, Classification, Conversation)
            .join(Author, col(Author.id) == col(Post.author_id))
            .join(Classification, col(Classification.post_id) == col(Post.id))
            .outerjoin(Conversation, col(Conversation.id) == col(Post.conversation_id))
            .where(col(Post.classified), ~col(Post.triaged), ~col(Post.is_own))
            .order_by(col(Post.created_at))
            .limit(self.batch_size)
        ).all()
        stats = TriageStats(posts=len(rows))
        if not rows:
            return stats
        post_ids = [post.id for post, *_ in rows if post.id is not None]
        done = {
            (d.post_id, d.rule)
            for d in session.execute(
                select(col(Decision.post_id), col(Decision.rule)).where(
                    col(Decision.post_id).in_(post_ids)
                )
            )
        }
        guard = _guard_for(session, self.policy, post_ids, now)
        pending: list[tuple[Decision, list[dict[str, Any]]]] = []
        for post, author, analysis, conv in rows:
            for decision, items in self._decide(post, author, analysis, conv, guard, now, stats):
                if (decision.post_id, decision.rule) not in done:
                    pending.append((decision, items))
        session.add_all([decision for decision, _ in pending])
        session.flush()
        outbox = []
        for decision, items in pending:
            for item in items:
                item["decision_id"] = decision.id
                outbox.append(item)
        insert_ignoring_conflicts(session, OutboxItem, outbox)
        session.execute(update(Post).where(col(Post.id).in_(post_ids)).values(triaged=True))
        session.commit()
        return stats

    def _decide(
        self,
        post: Post,
        author: Author,
        analysis: Classification,
        conv: Conversation | None,
        guard: PolicyGuard,
        now: datetime,
        stats: TriageStats,
    ) -> list[tuple[Decision, list[dict[str, Any]]]]:
        assert post.id is not None
        if is_opt_out(post.text) and post.in_reply_to_key:
            author.opted_out = True
            stats.ignored += 1
            return [(self._decision(post, OPT_OUT_RULE, "-", "ignore", "normal", now, None), [])]
        ctx = self.rules.context(post, author, analysis, conv)
        if (
            conv is not None
            and ctx.intents() & ANSWERABLE
            and conv.state == ConversationState.OPEN.value
        ):
            conv.state = ConversationState.AWAITING_US.value
        fired = self.rules.evaluate(ctx)
        if not fired:
            stats.digest_only += 1
            return [(self._decision(post, DEFAULT_RULE, "-", "digest_only", "low", now, None), [])]
        return [self._apply(rule, post, author, analysis, guard, now, stats) for rule in fired]

    def _apply(
        self,
        rule: Rule,
        post: Post,
        author: Author,
        analysis: Classification,
        guard: PolicyGuard,
        now: datetime,
        stats: TriageStats,
    ) -> tuple[Decision, list[dict[str, Any]]]:
        s = rule.settings
        action, note, draft = s.action, None, None
        if action in ("auto_reply", "draft_reply"):
            refusal = guard.refusal(post, author, abusive=analysis.is_abusive)
            rendered = None
            if refusal is None and s.template:
                rendered = self.replies.render(
                    s.template, analysis.language, author=author.handle, today=now.date()
                )
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
                guard.record(post, author)
        decision = self._decision(post, s.name, s.group, action, s.priority, now, note)
        items: list[dict[str, Any]] = []
        if action in ("auto_reply", "draft_reply") and draft is not None:
            items.append(self._reply_item(post, rule, draft, now, draft=action == "draft_reply"))
        if action == "auto_reply":
            stats.auto_replies += 1
        elif action in ("draft_reply", "alert"):
            stats.drafts += action == "draft_reply"
            stats.alerts += 1
            payload = alert_payload(post, author, analysis, rule, draft=draft, note=note)
            payload["action"] = action
            items.append(
                {
                    "key": f"alert:{post.key}:{rule.name}",
                    "kind": OutboxKind.ALERT.value,
                    "channel": "staff",
                    "state": OutboxState.QUEUED.value,
                    "post_id": post.id,
                    "priority": s.priority,
                    "payload": payload,
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
        post: Post, rule: Rule, text: str, now: datetime, *, draft: bool
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
        post: Post,
        rule: str,
        group: str,
        action: str,
        priority: str,
        now: datetime,
        note: str | None,
    ) -> Decision:
        assert post.id is not None
        return Decision(
            post_id=post.id,
            rule=rule,
            group=group,
            action=action,
            priority=priority,
            note=note,
            created_at=now,
        )
