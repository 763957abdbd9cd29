"""Hostile rules: random condition trees (every field, nested not/any/all, values of any type)
are either refused by the configuration with a clear, located problem, or compile into a rule
set that evaluates and explains any post (hostile text, odd authors) without an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.errors import RuleError
from bot.rows import AnalysisRow, AuthorRow, PostRow
from bot.rules import RuleSet, TriageContext
from config.errors import ConfigError
from config.loader import parse_settings
from config.settings import Condition, Settings
from tests.hostile.strategies import HOSTILE, hostile_text
from tests.hostile.test_config import assert_clear, yaml_scalar

FIELDS = sorted(
    info.alias or name for name, info in Condition.model_fields.items() if name[-1] != "_"
)
#: values each field accepts (or nearly: an unclosed regex), so many trees get through
PLAUSIBLE: dict[str, list[Any]] = {
    "platform": ["x", ["x", "reddit"]],
    "source": ["src", ["src", "other"]],
    "kind": ["mention", ["reply", "post"]],
    "language": ["en", ["fr", "ar"]],
    "keywords": [["stop", "help"], ["{{", "'; DROP TABLE post; --", "\u202e"]],
    "regex": ["(open|hours)", "\\d+", "^$", "(unclosed"],
    "topic": ["visiting", ["visiting.hours", "events"]],
    "intent": ["question", ["complaint", "praise"]],
    "sentiment": ["negative", ["neutral", "positive"]],
    "topic_score": [{"visiting.hours": ">= 0.5"}, {"visiting": 0.2}],
    "intent_score": [{"question": 0.7}, {"complaint": "< 0.2"}],
    "sentiment_score": ["<= -0.6", 0.2],
    "abuse_score": [">= 0.9", "< 0.1"],
    "author": ["@journo", ["x:journo", "someone"]],
    "min_followers": [0, 100],
    "state": ["awaiting_us", ["open", "handled"]],
    "conversation_age": [">= 2h", "< 30m"],
    "exchanges": ["< 3", 2],
    "time_of_day": ["10:00-18:00", ["22:00-06:00"]],
    "weekday": ["mon", ["sat", "sun"]],
}
FLAGS = ("mentions_us", "abusive", "vip", "first_time_author", "known_bot", "unanswered")
PLAUSIBLE.update({name: [True, False] for name in (*FLAGS, "open_now")})


def _value(field: str) -> st.SearchStrategy[Any]:
    good = st.sampled_from(PLAUSIBLE.get(field, [None]))
    return st.one_of(good, good, good, yaml_scalar, st.lists(yaml_scalar, max_size=3))


leaf = st.lists(st.sampled_from([*PLAUSIBLE, "bogus"]), max_size=3, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: _value(name) for name in names})
)


def _nest(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    base, nested = parts
    return {**base, **nested}


condition = st.recursive(
    leaf,
    lambda inner: st.tuples(
        leaf,
        st.dictionaries(
            st.sampled_from(["not", "any", "all"]),
            st.one_of(inner, st.lists(inner, max_size=2), yaml_scalar),
            max_size=2,
        ),
    ).map(_nest),
    max_leaves=5,
)

BASE: dict[str, Any] = {
    "institution": {
        "name": "Test Museum",
        "timezone": "Europe/Amsterdam",
        "opening_hours": {d: "10:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": "closed", "sun": "closed"},
    },
    "triage": {"vip_authors": ["journo"]},
    "policy": {"known_bots": ["newsbot"]},
}
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def settings_with(when: Any) -> Settings | ConfigError:
    rules = [{"name": "fuzzed", "when": when, "action": "alert"}]
    try:
        return parse_settings({**BASE, "triage": {**BASE["triage"], "rules": rules}}, environ={})
    except ConfigError as exc:
        return exc


def context(rules: RuleSet, text: str, handle: str, with_thread: bool) -> TriageContext:
    post = PostRow(1, "x:1", "x", "src", "mention", 1, 1, None, text, None, False, True, False, T0)
    author = AuthorRow(1, "x", handle, False, False, None, False)
    analysis = AnalysisRow(
        "en", {"visiting.hours": 0.9}, "visiting.hours", "negative", -0.7, {"question": 0.8}, 0.1,
        False,
    )  # fmt: skip
    conversation = (
        SimpleNamespace(
            state="awaiting_us",
            opened_at=T0 - timedelta(hours=3),
            last_own_at=None,
        )
        if with_thread
        else None
    )
    return rules.context(post, author, analysis, conversation, now=T0, exchanges=2)


@HOSTILE
@given(
    when=condition,
    text=hostile_text,
    handle=hostile_text,
    with_thread=st.booleans(),
)
def test_a_random_condition_is_refused_clearly_or_evaluates_any_post(
    when: Any, text: str, handle: str, with_thread: bool
) -> None:
    outcome = settings_with(when)
    if isinstance(outcome, ConfigError):
        assert_clear(outcome)
        assert all(p.startswith("triage.rules[0]") for p in outcome.problems), outcome.problems
        return
    try:
        rules = RuleSet.from_config(outcome)
    except RuleError as exc:
        assert str(exc)
        return
    ctx = context(rules, text, handle, with_thread)
    fired = rules.evaluate(ctx)
    assert [r.name for r in fired] in ([], ["fuzzed"])
    (trace,) = rules.trace(ctx)
    assert trace.fires == bool(fired)
    assert all(isinstance(line, str) for line in trace.explanation.lines())


def test_every_condition_field_is_fuzzed() -> None:
    """A field added to the rule language gets plausible values here too."""
    assert set(PLAUSIBLE) == set(FIELDS)


def test_a_condition_that_is_not_a_mapping_is_refused_with_its_path() -> None:
    outcome = settings_with(["platform", "x"])
    assert isinstance(outcome, ConfigError)
    assert_clear(outcome)
    assert outcome.problems[0].startswith("triage.rules[0] (name 'fuzzed').when:")
