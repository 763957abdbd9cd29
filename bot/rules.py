"""Triage rules: parsed once from config into composable predicates, evaluated in groups.

Like python-telegram-bot's filters, predicates combine with ``&``, ``|`` and ``~``; like its
handler groups, rules are evaluated group by group (in the order groups first appear), the
first matching rule of each group wins, and a rule with ``stop`` ends the evaluation. Every
predicate can say what it tests (:meth:`Predicate.describe`) and, for one post, what it saw
(:meth:`Predicate.explain`): that is the "why" of an alert and of ``salon rules test``.

The language itself is documented in ``docs/rules.md``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from bot.models import ConversationState
from bot.rows import AnalysisLike, AuthorLike, PostLike
from config.rule_values import (
    OPERATORS,
    WEEKDAYS,
    Comparison,
    TimeRange,
    needed_text,
    parse_comparison,
    parse_opening_day,
    parse_time_range,
)
from config.settings import Condition, NlpSettings, RuleSettings, Settings, as_list

OpeningHours = tuple[tuple[TimeRange, ...], ...]  # one tuple of ranges per weekday, mon..sun


def handle_key(handle: str) -> str:
    """A handle as rules compare it: lower case, without a leading ``@``."""
    return handle.strip().lower().lstrip("@")


@dataclass(frozen=True, slots=True)
class RuleEnvironment:
    """What rules read besides the post: thresholds, local time, lists from the config."""

    min_topic_score: float = 0.3
    min_intent_score: float = 0.5
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    opening_hours: OpeningHours | None = None
    vip_authors: frozenset[str] = frozenset()  # handle keys, or platform:handle keys
    known_bots: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, settings: Settings) -> RuleEnvironment:
        """The environment a configuration defines."""
        hours = settings.institution.opening_hours
        return cls(
            min_topic_score=settings.nlp.min_topic_score,
            min_intent_score=settings.nlp.min_intent_score,
            timezone=ZoneInfo(settings.institution.timezone),
            opening_hours=(
                tuple(parse_opening_day(hours[day]) for day in WEEKDAYS) if hours else None
            ),
            vip_authors=frozenset(handle_key(h) for h in settings.triage.vip_authors),
            known_bots=frozenset(handle_key(h) for h in settings.policy.known_bots),
        )


@dataclass(frozen=True, slots=True)
class LocalClock:
    """The triage clock in the institution's time zone (the same for a whole batch)."""

    local: datetime
    minute: int  # since local midnight
    weekday: int  # 0 for Monday
    open: bool  # inside the opening hours (False without opening hours)

    @classmethod
    def at(cls, now: datetime, env: RuleEnvironment) -> LocalClock:
        """The clock at ``now`` under ``env``'s time zone and opening hours."""
        local = now.astimezone(env.timezone)
        minute, weekday = local.hour * 60 + local.minute, local.weekday()
        hours = env.opening_hours
        is_open = hours is not None and any(r.contains(minute) for r in hours[weekday])
        return cls(local, minute, weekday, is_open)


def author_in(people: frozenset[str], ctx: TriageContext) -> bool:
    """Whether the author is listed in ``people`` (as ``handle`` or ``platform:handle``)."""
    handle, qualified = ctx.author_keys()
    return handle in people or qualified in people


@dataclass(slots=True)
class TriageContext:
    """Everything a rule may look at for one post, with the clock and the batch's history.

    ``post``, ``author`` and ``analysis`` are stored rows or their views (:mod:`bot.rows`);
    ``conversation`` is a stored :class:`~bot.models.Conversation` or a view of one.
    """

    post: PostLike
    author: AuthorLike
    analysis: AnalysisLike
    conversation: Any = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    env: RuleEnvironment = field(default_factory=RuleEnvironment)
    first_time: bool = True  # no earlier post by this author in the store
    exchanges: int = 0  # our replies to the public in this thread, up to this post
    clock: LocalClock | None = None  # worked out from ``now`` when first needed
    _topics: tuple[dict[str, float], set[str]] | None = None  # see topic_view
    _intents: frozenset[str] | None = None
    _who: tuple[str, str] | None = None
    _lower: str | None = None

    def author_keys(self) -> tuple[str, str]:
        """The author as lists name them: ``handle`` and ``platform:handle``."""
        if self._who is None:
            handle = handle_key(self.author.handle)
            self._who = (handle, f"{self.post.platform}:{handle}")
        return self._who

    def lower_text(self) -> str:
        """The post's text in lower case."""
        if self._lower is None:
            self._lower = self.post.text.lower()
        return self._lower

    def topic_view(self) -> tuple[dict[str, float], set[str]]:
        """The best score of each scored topic key and of each key above one (``visiting``
        for ``visiting.hours``), and the keys scored at or above the threshold."""
        if self._topics is None:
            low = self.env.min_topic_score
            best: dict[str, float] = {}
            above: set[str] = set()
            for topic, value in self.analysis.topics.items():
                score = float(value)
                if score >= low:
                    above.add(topic)
                keys = [topic]
                end = topic.find(".")
                while end != -1:  # and each parent: ``a`` and ``a.b`` for ``a.b.c``
                    keys.append(topic[:end])
                    end = topic.find(".", end + 1)
                for key in keys:
                    known = best.get(key)
                    if known is None or score > known:  # as max(): the first of equals
                        best[key] = score
            self._topics = (best, above)
        return self._topics

    def topics(self) -> set[str]:
        """Topic keys scored at or above the threshold."""
        return self.topic_view()[1]

    def topic_score(self, key: str) -> float:
        """The best score of topic ``key`` or of any topic under it; 0 if none is scored."""
        return self.topic_view()[0].get(key, 0.0)

    def topic_hit(self, key: str) -> bool:
        """Whether topic ``key`` or a topic under it is scored at or above the threshold."""
        score = self.topic_view()[0].get(key)
        return score is not None and score >= self.env.min_topic_score

    def intents(self) -> frozenset[str]:
        """Intent labels scored at or above the threshold."""
        if self._intents is None:
            low = self.env.min_intent_score
            self._intents = frozenset(
                [k for k, v in self.analysis.intents.items() if float(v) >= low]
            )
        return self._intents

    def local_clock(self) -> LocalClock:
        """The clock in the institution's time zone."""
        if self.clock is None:
            self.clock = LocalClock.at(self.now, self.env)
        return self.clock

    def local_now(self) -> datetime:
        """The local time."""
        return self.local_clock().local

    def minute_of_day(self) -> int:
        """Minutes since local midnight."""
        return self.local_clock().minute

    def state(self) -> str:
        """The conversation's state (``open`` without one)."""
        return self.conversation.state if self.conversation else ConversationState.OPEN.value

    def unanswered(self) -> bool:
        """No post of ours in the thread at or after this post."""
        conv = self.conversation
        return not (conv and conv.last_own_at and conv.last_own_at >= self.post.created_at)

    def conversation_age(self) -> float:
        """How old the thread was when this post arrived, in seconds (0 for a new thread).

        Measured at the post rather than by the clock, so a backlog triaged late (or a replay)
        decides as it would have live."""
        conv = self.conversation
        opened = (conv.opened_at if conv else None) or self.post.created_at
        return max(0.0, (self.post.created_at - opened).total_seconds())

    def open_now(self) -> bool:
        """Whether the clock is inside the opening hours (False without opening hours)."""
        return self.local_clock().open

    def known_bot(self) -> bool:
        """The platform flags the author as a bot, or ``policy.known_bots`` lists them."""
        return self.author.is_bot or author_in(self.env.known_bots, self)


@dataclass(slots=True)
class Explanation:
    """One predicate's verdict on one post: what it tests, the outcome, what it saw."""

    text: str
    passed: bool
    seen: str | None = None
    parts: list[Explanation] = field(default_factory=list)

    def lines(self, indent: int = 0) -> list[str]:
        """Readable lines, one per predicate, ``✓``/``✗`` for true/false."""
        seen = f"  (seen: {self.seen})" if self.seen is not None else ""
        mark = "✓" if self.passed else "✗"
        out = [f"{'  ' * indent}{mark} {self.text}{seen}"]
        for part in self.parts:
            out += part.lines(indent + 1)
        return out


Check = Callable[["TriageContext"], bool]


class Predicate(ABC):
    """A yes/no test on a :class:`TriageContext` that can explain itself."""

    @abstractmethod
    def __call__(self, ctx: TriageContext) -> bool: ...

    @abstractmethod
    def describe(self) -> str:
        """What the predicate tests, in words."""

    def explain(self, ctx: TriageContext) -> Explanation:
        """The verdict on ``ctx`` with what was seen."""
        return Explanation(self.describe(), self(ctx))

    def compiled(self) -> Check:
        """The fastest plain function with the same verdict (used by :meth:`RuleSet.evaluate`)."""
        return self.__call__

    def cost(self) -> int:
        """How expensive the test is, roughly: parts of ``all``/``any`` run cheapest first."""
        return 1

    def needed_intents(self) -> frozenset[str] | None:
        """Intents a post must have one of for the predicate to hold (None: no such need);
        :meth:`RuleSet.evaluate` skips rules a post cannot match."""
        return None

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

    def compiled(self) -> Check:
        return _always


@dataclass(frozen=True, slots=True)
class AllOf(Predicate):
    """Every part holds."""

    parts: list[Predicate]

    def __call__(self, ctx: TriageContext) -> bool:
        for part in self.parts:  # noqa: SIM110 - a plain loop: this is the hot path
            if not part(ctx):
                return False
        return True

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)

    def explain(self, ctx: TriageContext) -> Explanation:
        parts = [part.explain(ctx) for part in self.parts]
        return Explanation("all of", all(p.passed for p in parts), parts=parts)

    def cost(self) -> int:
        return sum(part.cost() for part in self.parts)

    def needed_intents(self) -> frozenset[str] | None:
        needs = [n for n in (part.needed_intents() for part in self.parts) if n is not None]
        return min(needs, key=len) if needs else None  # each is needed: the narrowest

    def compiled(self) -> Check:
        checks = _cheapest_first(self.parts)
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda ctx: first(ctx) and second(ctx)

        def all_of(ctx: TriageContext) -> bool:
            for check in checks:  # noqa: SIM110 - a plain loop: this is the hot path
                if not check(ctx):
                    return False
            return True

        return all_of


@dataclass(frozen=True, slots=True)
class AnyOf(Predicate):
    """Some part holds."""

    parts: list[Predicate]

    def __call__(self, ctx: TriageContext) -> bool:
        for part in self.parts:  # noqa: SIM110 - a plain loop: this is the hot path
            if part(ctx):
                return True
        return False

    def describe(self) -> str:
        return "(" + " or ".join(part.describe() for part in self.parts) + ")"

    def explain(self, ctx: TriageContext) -> Explanation:
        parts = [part.explain(ctx) for part in self.parts]
        return Explanation("any of", any(p.passed for p in parts), parts=parts)

    def cost(self) -> int:
        return sum(part.cost() for part in self.parts)

    def needed_intents(self) -> frozenset[str] | None:
        found: set[str] = set()
        for part in self.parts:  # one of the parts holds: one of all their needs
            need = part.needed_intents()
            if need is None:
                return None
            found |= need
        return frozenset(found) if self.parts else None

    def compiled(self) -> Check:
        checks = _cheapest_first(self.parts)

        def any_of(ctx: TriageContext) -> bool:
            for check in checks:  # noqa: SIM110 - a plain loop: this is the hot path
                if check(ctx):
                    return True
            return False

        return any_of


@dataclass(frozen=True, slots=True)
class Not(Predicate):
    """The part does not hold."""

    part: Predicate

    def __call__(self, ctx: TriageContext) -> bool:
        return not self.part(ctx)

    def describe(self) -> str:
        return f"not ({self.part.describe()})"

    def explain(self, ctx: TriageContext) -> Explanation:
        inner = self.part.explain(ctx)
        return Explanation("not", not inner.passed, parts=[inner])

    def cost(self) -> int:
        return self.part.cost()

    def compiled(self) -> Check:
        check = self.part.compiled()
        return lambda ctx: not check(ctx)


def _cheapest_first(parts: list[Predicate]) -> tuple[Check, ...]:
    """The compiled parts, cheapest first (tests have no side effects: the verdict of ``all``
    and ``any`` does not depend on the order)."""
    return tuple(part.compiled() for part in sorted(parts, key=lambda part: part.cost()))


@dataclass(frozen=True, slots=True)
class Test(Predicate):
    """A leaf: ``check`` decides, ``seen`` shows what it looked at (for explanations)."""

    text: str
    check: Callable[[TriageContext], bool] = field(compare=False)
    seen: Callable[[TriageContext], object] = field(compare=False)
    weight: int = field(default=1, compare=False)  # see Predicate.cost
    intents: frozenset[str] | None = field(default=None, compare=False)  # see needed_intents

    def __call__(self, ctx: TriageContext) -> bool:
        return self.check(ctx)

    def describe(self) -> str:
        return self.text

    def explain(self, ctx: TriageContext) -> Explanation:
        return Explanation(self.text, self.check(ctx), str(self.seen(ctx)))

    def compiled(self) -> Check:
        return self.check

    def cost(self) -> int:
        return self.weight

    def needed_intents(self) -> frozenset[str] | None:
        return self.intents


def one_of(label: str, allowed: Iterable[str], get: Callable[[TriageContext], object]) -> Test:
    """The value ``get`` reads is one of ``allowed``."""
    names = frozenset(allowed)
    return Test(f"{label} in {sorted(names)}", lambda c: get(c) in names, get)


def flag(label: str, expected: bool, get: Callable[[TriageContext], bool]) -> Test:
    """The flag ``get`` reads is ``expected``."""
    return Test(f"{label} is {str(expected).lower()}", lambda c: bool(get(c)) is expected, get)


def compare(label: str, test: Comparison, get: Callable[[TriageContext], float]) -> Test:
    """The number ``get`` reads passes ``test``."""
    op, threshold = OPERATORS[test.op], test.threshold
    return Test(f"{label} {test.text}", lambda c: op(get(c), threshold), lambda c: _num(get(c)))


def _always(ctx: TriageContext) -> bool:
    return True


def _num(value: float) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _scores(scores: dict[str, Any], keys: AbstractSet[str]) -> str:
    shown = [f"{k} {float(v):.3f}" for k, v in sorted(scores.items()) if k in keys]
    return ", ".join(shown) or "none"


def _best_topic_score(key: str) -> Callable[[TriageContext], float]:
    return lambda ctx: ctx.topic_score(key)


def _intent_score(key: str) -> Callable[[TriageContext], float]:
    def get(ctx: TriageContext) -> float:
        return float(ctx.analysis.intents.get(key, 0.0))

    return get


def _topics_match(wanted: frozenset[str]) -> Callable[[TriageContext], bool]:
    if len(wanted) == 1:
        (key,) = wanted
        return lambda ctx: ctx.topic_hit(key)

    def check(ctx: TriageContext) -> bool:
        for key in wanted:  # noqa: SIM110 - a plain loop: this is the hot path
            if ctx.topic_hit(key):
                return True
        return False

    return check


_REGEX_COST = 20  # a regular expression search, against 1 for a comparison


def _searches(label: str, pattern: re.Pattern[str]) -> Test:
    """``pattern`` matches the text; searched only if the text can match (:func:`needed_text`:
    an ASCII text without any of the strings every match contains cannot)."""
    search, needed = pattern.search, needed_text(pattern)

    def seen(ctx: TriageContext) -> str:
        found = search(ctx.post.text)
        return f"found {found.group(0)!r}" if found else "no match"

    def check(ctx: TriageContext) -> bool:
        text = ctx.post.text
        if needed and text.isascii():
            lowered = ctx.lower_text()
            for part in needed:
                if part in lowered:
                    break
            else:
                return False
        return search(text) is not None

    return Test(f"{label} /{pattern.pattern}/", check, seen, _REGEX_COST)


def _time_of_day(ranges: list[TimeRange]) -> Test:
    minutes = frozenset(m for m in range(24 * 60) if any(r.contains(m) for r in ranges))
    return Test(
        f"local time in {', '.join(map(str, ranges))}",
        lambda c: c.minute_of_day() in minutes,
        lambda c: f"{c.local_now():%a %H:%M %Z}",
    )


def compile_condition(cond: Condition) -> Predicate:
    """Turn a config :class:`Condition` into a predicate (all given fields must hold)."""
    parts: list[Predicate] = []
    if cond.platform is not None:
        parts.append(one_of("platform", as_list(cond.platform), attrgetter("post.platform")))
    if cond.source is not None:
        parts.append(one_of("source", as_list(cond.source), attrgetter("post.source")))
    if cond.kind is not None:
        parts.append(one_of("kind", as_list(cond.kind), attrgetter("post.kind")))
    if cond.language is not None:
        parts.append(one_of("language", as_list(cond.language), attrgetter("analysis.language")))
    if cond.mentions_us is not None:
        parts.append(flag("mentions_us", cond.mentions_us, attrgetter("post.mentions_self")))
    if cond.abusive is not None:
        parts.append(flag("abusive", cond.abusive, attrgetter("analysis.is_abusive")))
    if cond.sentiment is not None:
        parts.append(one_of("sentiment", as_list(cond.sentiment), attrgetter("analysis.sentiment")))
    if cond.topic is not None:
        wanted = frozenset(as_list(cond.topic))
        parts.append(
            Test(
                f"topic any of {sorted(wanted)}",
                _topics_match(wanted),
                lambda c: _scores(c.analysis.topics, c.topics()),
            )
        )
    if cond.intent is not None:
        intents = frozenset(as_list(cond.intent))
        parts.append(
            Test(
                f"intent any of {sorted(intents)}",
                lambda c: not intents.isdisjoint(c.intents()),
                lambda c: _scores(c.analysis.intents, c.intents()),
                intents=intents,
            )
        )
    for key, raw in (cond.topic_score or {}).items():
        parts.append(
            compare(f"topic_score {key}", parse_comparison(raw, "score"), _best_topic_score(key))
        )
    for key, raw in (cond.intent_score or {}).items():
        parts.append(
            compare(
                f"intent_score {key}",
                parse_comparison(raw, "score"),
                _intent_score(key),
            )
        )
    if cond.sentiment_score is not None:
        test = parse_comparison(cond.sentiment_score, "signed score")
        parts.append(compare("sentiment_score", test, lambda c: float(c.analysis.sentiment_score)))
    if cond.abuse_score is not None:
        test = parse_comparison(cond.abuse_score, "score")
        parts.append(compare("abuse_score", test, lambda c: float(c.analysis.abuse)))
    parts += _author_tests(cond)
    parts += _conversation_tests(cond)
    parts += _clock_tests(cond)
    if cond.keywords:
        words = "|".join(re.escape(word.strip()) for word in cond.keywords if word.strip())
        pattern = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
        parts.append(_searches("keywords", pattern))
    if cond.regex is not None:
        parts.append(_searches("regex", re.compile(cond.regex, re.IGNORECASE)))
    if cond.not_ is not None:
        parts.append(Not(compile_condition(cond.not_)))
    if cond.any_:
        parts.append(AnyOf([compile_condition(c) for c in cond.any_]))
    if cond.all_:
        parts.append(AllOf([compile_condition(c) for c in cond.all_]))
    if not parts:
        return Always()
    return parts[0] if len(parts) == 1 else AllOf(parts)


def _author_tests(cond: Condition) -> list[Predicate]:
    parts: list[Predicate] = []
    if cond.author is not None:
        people = frozenset(handle_key(h) for h in as_list(cond.author))
        parts.append(
            Test(
                f"author in {sorted(people)}",
                lambda c: author_in(people, c),
                lambda c: c.author_keys()[1],
            )
        )
    if cond.vip is not None:
        parts.append(
            flag(
                "vip (triage.vip_authors)",
                cond.vip,
                lambda c: author_in(c.env.vip_authors, c),
            )
        )
    if cond.min_followers is not None:
        least = cond.min_followers
        parts.append(
            Test(
                f"followers >= {least}",
                lambda c: c.author.followers is not None and c.author.followers >= least,
                lambda c: "unknown" if c.author.followers is None else c.author.followers,
            )
        )
    if cond.first_time_author is not None:
        parts.append(flag("first_time_author", cond.first_time_author, attrgetter("first_time")))
    if cond.known_bot is not None:
        parts.append(flag("known_bot", cond.known_bot, TriageContext.known_bot))
    return parts


def _conversation_tests(cond: Condition) -> list[Predicate]:
    parts: list[Predicate] = []
    if cond.state is not None:
        parts.append(one_of("conversation state", as_list(cond.state), TriageContext.state))
    if cond.unanswered is not None:
        parts.append(flag("unanswered", cond.unanswered, TriageContext.unanswered))
    if cond.conversation_age is not None:
        test = parse_comparison(cond.conversation_age, "duration")
        parts.append(
            Test(
                f"conversation_age {test.text}",
                lambda c: test.holds(c.conversation_age()),
                lambda c: _duration(c.conversation_age()),
            )
        )
    if cond.exchanges is not None:
        parts.append(
            compare("exchanges", parse_comparison(cond.exchanges, "count"), lambda c: c.exchanges)
        )
    return parts


def _duration(seconds: float) -> str:
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f}m"
    if abs(seconds) < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _clock_tests(cond: Condition) -> list[Predicate]:
    parts: list[Predicate] = []
    if cond.time_of_day is not None:
        parts.append(_time_of_day([parse_time_range(t) for t in as_list(cond.time_of_day)]))
    if cond.weekday is not None:
        days = frozenset(WEEKDAYS.index(d) for d in as_list(cond.weekday))
        parts.append(
            Test(
                f"weekday in {[WEEKDAYS[d] for d in sorted(days)]}",
                lambda c: c.local_clock().weekday in days,
                lambda c: WEEKDAYS[c.local_clock().weekday],
            )
        )
    if cond.open_now is not None:
        want = cond.open_now
        parts.append(
            Test(
                f"open now is {str(want).lower()} (institution.opening_hours)",
                lambda c: c.open_now() is want,
                lambda c: f"{c.local_now():%a %H:%M %Z}",
            )
        )
    return parts


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule."""

    settings: RuleSettings
    predicate: Predicate
    check: Check = field(init=False, compare=False)
    why: str = field(init=False, compare=False)  # what the rule tests, in words
    needs: frozenset[str] | None = field(init=False, compare=False)  # intents, one of them

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", self.predicate.compiled())
        object.__setattr__(self, "why", self.predicate.describe())
        object.__setattr__(self, "needs", self.predicate.needed_intents())

    @property
    def name(self) -> str:
        """The rule's name (what decisions record)."""
        return self.settings.name


Plan = tuple[tuple[tuple[Check, "Rule", bool], ...], ...]


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule's verdict on one post, for ``salon rules test``."""

    group: str
    rule: Rule
    explanation: Explanation
    fires: bool
    note: str  # why a matching rule does not fire, or why evaluation stopped


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules grouped in evaluation order, with what they need loaded for each batch."""

    groups: list[tuple[str, list[Rule]]]
    env: RuleEnvironment = field(default_factory=RuleEnvironment)
    needs_history: bool = False  # some rule asks first_time_author
    needs_exchanges: bool = False  # some rule counts exchanges
    _intents: frozenset[str] = field(init=False, repr=False, compare=False)  # some rule needs
    _plans: dict[frozenset[str], Plan] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needs = [rule.needs for _, rules in self.groups for rule in rules if rule.needs]
        object.__setattr__(self, "_intents", frozenset().union(*needs))
        object.__setattr__(self, "_plans", {})

    def _plan(self, intents: frozenset[str]) -> Plan:
        """Per group, the rules a post with ``intents`` may match (the others need another
        intent), with their checks and stops; worked out once per set of intents."""
        plan = self._plans.get(intents)
        if plan is None:
            plan = tuple(
                tuple(
                    (rule.check, rule, rule.settings.stop)
                    for rule in rules
                    if rule.needs is None or not rule.needs.isdisjoint(intents)
                )
                for _group, rules in self.groups
            )
            self._plans[intents] = plan
        return plan

    @classmethod
    def from_settings(
        cls,
        rules: Iterable[RuleSettings],
        nlp: NlpSettings | None = None,
        env: RuleEnvironment | None = None,
    ) -> RuleSet:
        """Compile the enabled ``rules``, keeping the order in which groups first appear."""
        if env is None:
            nlp = nlp or NlpSettings()
            env = RuleEnvironment(nlp.min_topic_score, nlp.min_intent_score)
        grouped: dict[str, list[Rule]] = {}
        history = exchanges = False
        for rule in rules:
            if not rule.enabled:
                continue
            grouped.setdefault(rule.group, []).append(Rule(rule, compile_condition(rule.when)))
            for _path, cond in rule.when.walk():
                history |= cond.first_time_author is not None
                exchanges |= cond.exchanges is not None
        return cls(list(grouped.items()), env, history, exchanges)

    @classmethod
    def from_config(cls, settings: Settings) -> RuleSet:
        """The rule set of a whole configuration (thresholds, time zone, lists included)."""
        return cls.from_settings(settings.triage.rules, env=RuleEnvironment.from_config(settings))

    def context(
        self,
        post: PostLike,
        author: AuthorLike,
        analysis: AnalysisLike,
        conv: Any,
        *,
        now: datetime | None = None,
        first_time: bool = True,
        exchanges: int = 0,
        clock: LocalClock | None = None,
    ) -> TriageContext:
        """A context for one post under this rule set's environment (``clock``: the local
        clock at ``now``, if already worked out)."""
        return TriageContext(
            post,
            author,
            analysis,
            conv,
            now or datetime.now(UTC),
            self.env,
            first_time,
            exchanges,
            clock,
        )

    def evaluate(self, ctx: TriageContext) -> list[Rule]:
        """The rules that fire for ``ctx``: first match per group, until a ``stop`` rule."""
        fired: list[Rule] = []
        for checks in self._plan(ctx.intents() & self._intents):
            for check, rule, stop in checks:
                if check(ctx):
                    fired.append(rule)
                    if stop:
                        return fired
                    break
        return fired

    def trace(self, ctx: TriageContext) -> list[RuleTrace]:
        """Every enabled rule's verdict on ``ctx``, marking those :meth:`evaluate` fires."""
        fired = {rule.name for rule in self.evaluate(ctx)}
        stopped_by: str | None = None
        traces = []
        for group, rules in self.groups:
            winner: Rule | None = None
            for rule in rules:
                explanation = rule.predicate.explain(ctx)
                fires = rule.name in fired
                if fires:
                    note = "fires" + (" and stops evaluation" if rule.settings.stop else "")
                    winner = rule
                elif not explanation.passed:
                    note = ""
                elif winner is not None:
                    note = f"matches, but rule {winner.name!r} matched first in group {group!r}"
                else:
                    note = f"matches, but rule {stopped_by!r} stopped evaluation earlier"
                traces.append(RuleTrace(group, rule, explanation, fires, note))
            if winner is not None and winner.settings.stop and stopped_by is None:
                stopped_by = winner.name
        return traces
