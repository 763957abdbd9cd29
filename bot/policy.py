"""The platform policy guard: may we publicly answer this post? Every refusal has a reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.rows import AuthorLike, PostLike
from config.settings import PolicySettings

OPT_OUT_WORDS = frozenset({"stop", "unsubscribe", "opt out", "optout", "leave me alone"})


def is_opt_out(text: str) -> bool:
    """A reply that only says "stop" / "unsubscribe" (a mention of us may precede it)."""
    words = [w for w in text.lower().replace("!", " ").replace(".", " ").split() if w[:1] != "@"]
    return " ".join(words) in OPT_OUT_WORDS


@dataclass(slots=True)
class PolicyGuard:
    """Checks one reply at a time; counts replies already decided today (per author, channel)
    and automatic replies ever decided per conversation."""

    settings: PolicySettings
    replied_posts: set[int] = field(default_factory=set)
    per_author: Counter[int] = field(default_factory=Counter)
    per_channel: Counter[str] = field(default_factory=Counter)
    per_conversation: Counter[int] = field(default_factory=Counter)  # automatic replies

    def refusal(
        self, post: PostLike, author: AuthorLike, *, abusive: bool, automatic: bool = True
    ) -> str | None:
        """Why we must not reply to ``post`` (``automatic``: without staff approving it), or
        None if we may."""
        bots = {handle.lower().lstrip("@") for handle in self.settings.known_bots}
        if post.is_own or author.is_self:
            return "our own post"
        if post.id in self.replied_posts:
            return "already replied to this post"
        if author.is_bot or author.handle.lower().lstrip("@") in bots:
            return "author is an automated account"
        if author.opted_out:
            return "author opted out of replies"
        if abusive:
            return "abusive post"
        if post.deleted:
            return "post was deleted"
        if post.platform == "x" and not post.mentions_self:
            return "X allows automated replies only to posts that mention us"
        if self.per_author[author.id or 0] >= self.settings.per_author_daily:
            return f"author reached {self.settings.per_author_daily} replies today"
        if self.per_channel[post.source] >= self.settings.per_channel_daily:
            return f"channel reached {self.settings.per_channel_daily} replies today"
        cap = self.settings.per_conversation_auto_replies
        thread = post.conversation_id
        if automatic and cap is not None and thread and self.per_conversation[thread] >= cap:
            return f"conversation reached {cap} automatic replies (a reply loop?)"
        return None

    def record(self, post: PostLike, author: AuthorLike, *, automatic: bool = True) -> None:
        """Count a reply decided for ``post`` (``automatic``: sent without staff approving)."""
        if post.id is not None:
            self.replied_posts.add(post.id)
        self.per_author[author.id or 0] += 1
        self.per_channel[post.source] += 1
        if automatic and post.conversation_id:
            self.per_conversation[post.conversation_id] += 1

    def with_disclosure(self, platform: str, text: str) -> str:
        """Append the platform's disclosure line, if configured."""
        line = self.settings.disclosure.get(platform)
        return f"{text}\n{line}" if line else text
