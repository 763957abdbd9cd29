"""Triage rules: parsed once from config into composable predicates, evaluated in groups.

Like python-telegram-bot's filters, predicates combine with ``&``, ``|`` and ``~``; like its
handler groups, rules are evaluated group by group (in the order groups first appear), the
first matching rule of each group wins, and a rule with ``stop`` ends the evaluation.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.models import Author, Classification, Conversation, Post
from config.settings import Condition, NlpSettings, RuleSettings


@dataclass(slots=True)
class TriageContext:
    """Everything a rule may look at for one post."""

    post: Post
    author: Author
    analysis: Classification
    conversation: Conversation | None = None
    min_topic_score: float = 0.3
    min_intent_score: float = 0.5

    def topics(self) -> set[str]:
        """Topic keys scored at or above the threshold."""
        return {k for k, v in self.analysis.topics.items() if float(v) >= self.min_topic_score}

    def intents(self) -> set[str]:
        """Intent labels scored at or above the threshold."""
        return {k for k, v in self.analysis.intents.items() if float(v) >= self.min_intent_score}


class Predicate(ABC):
    """A yes/no test on a :class:`TriageContext` that can explain itself."""

    @abstractmethod
    def __call__(self, ctx: TriageContext) -> bool: ...

    @abstractmethod
    def describe(self) -> str: ...

    def __and__(self, other: Predicate) -> Predicate:
        return AllOf([self, other])

    def __or__(self, other: Predicate) -> Predicate:
        return AnyOf([self, other])

    def __invert__(self) -> Predicate:
        return Not(self)


@dataclass(frozen=True, slots=True)
class Always(Predicate):
    """Matches every post (a rule with an empty ``when``)."""

    def __call__(self, ctx: TriageContext) -> bool:
        return True

    def describe(self) -> str:
        return "always"


@dataclass(frozen=True, slots=True)
class AllOf(Predicate):
    parts: list[Predicate]

    def __call__(self, ctx: TriageContext) -> bool:
        return all(part(ctx) for part in self.parts)

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)


@dataclass(frozen=True, slots=True)
class AnyOf(Predicate):
    parts: list[Predicate]

    def __call__(self, ctx: TriageContext) -> bool:
        return any(part(ctx) for part in self.parts)

    def describe(self) -> str:
        return "(" + " or ".join(part.describe() for part in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class Not(Predicate):
    part: Predicate

    def __call__(self, ctx: TriageContext) -> bool:
        return not self.part(ctx)

    def describe(self) -> str:
        return f"not ({self.part.describe()})"


@dataclass(frozen=True, slots=True)
class OneOf(Predicate):
    """The value ``get`` reads from the context is one of ``allowed``."""

    label: str
    allowed: frozenset[str]
    get: Callable[[TriageContext], Any] = field(compare=False)

    def __call__(self, ctx: TriageContext) -> bool:
        return self.get(ctx) in self.allowed

    def describe(self) -> str:
        return f"{self.label} in {sorted(self.allowed)}"


@dataclass(frozen=True, slots=True)
class Overlaps(Predicate):
    """Some label the context has is wanted (topics also match by parent: ``visiting``)."""

    label: str
    wanted: frozenset[str]
    get: Callable[[TriageContext], set[str]] = field(compare=False)
    hierarchical: bool = False

    def __call__(self, ctx: TriageContext) -> bool:
        have = self.get(ctx)
        if not self.hierarchical:
            return bool(have & self.wanted)
        return any(h == w or h.startswith(w + ".") for h in have for w in self.wanted)

    def describe(self) -> str:
        return f"{self.label} any of {sorted(self.wanted)}"


@dataclass(frozen=True, slots=True)
class Flag(Predicate):
    label: str
    expected: bool
    get: Callable[[TriageContext], bool] = field(compare=False)

    def __call__(self, ctx: TriageContext) -> bool:
        return bool(self.get(ctx)) is self.expected

    def describe(self) -> str:
        return f"{self.label} is {str(self.expected).lower()}"


@dataclass(frozen=True, slots=True)
class Matches(Predicate):
    label: str
    pattern: re.Pattern[str]

    def __call__(self, ctx: TriageContext) -> bool:
        return self.pattern.search(ctx.post.text) is not None

    def describe(self) -> str:
        return f"{self.label} /{self.pattern.pattern}/"


def _names(value: str | list[str]) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


def compile_condition(cond: Condition) -> Predicate:
    """Turn a config :class:`Condition` into a predicate (all given fields must hold)."""
    parts: list[Predicate] = []
    if cond.platform is not None:
        parts.append(OneOf("platform", _names(cond.platform), lambda c: c.post.platform))
    if cond.source is not None:
        parts.append(OneOf("source", _names(cond.source), lambda c: c.post.source))
    if cond.kind is not None:
        parts.append(OneOf("kind", _names(cond.kind), lambda c: c.post.kind))
    if cond.language is not None:
        parts.append(OneOf("language", _names(cond.language), lambda c: c.analysis.language))
    if cond.sentiment is not None:
        parts.append(OneOf("sentiment", _names(cond.sentiment), lambda c: c.analysis.sentiment))
    if cond.topic is not None:
        parts.append(Overlaps("topic", _names(cond.topic), TriageContext.topics, True))
    if cond.intent is not None:
        parts.append(Overlaps("intent", _names(cond.intent), TriageContext.intents))
    if cond.abusive is not None:
        parts.append(Flag("abusive", cond.abusive, lambda c: c.analysis.is_abusive))
    if cond.mentions_us is not None:
        parts.append(Flag("mentions_us", cond.mentions_us, lambda c: c.post.mentions_self))
    if cond.keywords:
        words = "|".join(re.escape(word) for word in cond.keywords)
        parts.append(Matches("keywords", re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)))
    if cond.regex is not None:
        parts.append(Matches("regex", re.compile(cond.regex, re.IGNORECASE)))
    if cond.not_ is not None:
        parts.append(Not(compile_condition(cond.not_)))
    if cond.any_:
        parts.append(AnyOf([compile_condition(c) for c in cond.any_]))
    if cond.all_:
        parts.append(AllOf([compile_condition(c) for c in cond.all_]))
    if not parts:
        return Always()
    return parts[0] if len(parts) == 1 else AllOf(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule."""

    settings: RuleSettings
    predicate: Predicate

    @property
    def name(self) -> str:
        return self.settings.name


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules grouped in evaluation order."""

    groups: list[tuple[str, list[Rule]]]
    nlp: NlpSettings

    @classmethod
    def from_settings(cls, rules: Iterable[RuleSettings], nlp: NlpSettings) -> RuleSet:
        """Compile the enabled ``rules``, keeping the order in which groups first appear."""
        grouped: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.enabled:
                grouped.setdefault(rule.group, []).append(Rule(rule, compile_condition(rule.when)))
        return cls(list(grouped.items()), nlp)

    def context(
        self, post: Post, author: Author, analysis: Classification, conv: Conversation | None
    ) -> TriageContext:
        """A context with this rule set's thresholds."""
        return TriageContext(
            post, author, analysis, conv, self.nlp.min_topic_score, self.nlp.min_intent_score
        )

    def evaluate(self, ctx: TriageContext) -> list[Rule]:
        """The rules that fire for ``ctx``: first match per group, until a ``stop`` rule."""
        fired: list[Rule] = []
        for _group, rules in self.groups:
            match = next((rule for rule in rules if rule.predicate(ctx)), None)
            if match is not None:
                fired.append(match)
                if match.settings.stop:
                    break
        return fired
