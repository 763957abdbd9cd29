"""Rules: every condition, groups (first match per group), stop, negation, explanations.

Contexts are built in memory (no store); the clock is always given, never read.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Author, Classification, Conversation, Post
from bot.rules import Rule, RuleEnvironment, RuleSet, TriageContext, compile_condition
from config.rule_values import needed_text
from config.settings import Condition, NlpSettings, RuleSettings
from tests.helpers import T0, settings_from

# T0 is Monday 2 November 2026, 09:00 UTC: 10:00 in Amsterdam
HOURS = {
    "mon": "closed",
    **{day: "10:00-18:00" for day in ("tue", "wed", "fri", "sat", "sun")},
    "thu": "10:00-13:00, 14:00-21:00",
}
ENV = RuleEnvironment.from_config(
    settings_from(
        {
            "institution": {
                "name": "Test Museum",
                "timezone": "Europe/Amsterdam",
                "opening_hours": HOURS,
            },
            "triage": {"vip_authors": ["x:journo", "patron"]},
            "policy": {"known_bots": ["@newsbot"]},
        }
    )
)


def context(
    text: str = "hi",
    *,
    now: Any = T0,
    post: dict[str, Any] | None = None,
    author: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
    first_time: bool = True,
    exchanges: int = 0,
    **analysis: object,
) -> TriageContext:
    """A context with the test environment; keyword arguments override the analysis."""
    post_fields = {
        "id": 1,
        "key": "x:1",
        "platform": "x",
        "platform_id": "1",
        "source": "s",
        "kind": "mention",
        "author_id": 1,
        "text": text,
        "created_at": T0,
        "ingested_at": T0,
        "content_hash": "h",
        "mentions_self": True,
        **(post or {}),
    }
    fields = {
        "post_id": 1,
        "model": "m",
        "version": "1",
        "language": "en",
        "topics": {},
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "intents": {},
        "abuse": 0.0,
        "is_abusive": False,
        "created_at": T0,
        **analysis,
    }
    conv = None
    if conversation is not None:
        conv = Conversation(**{"key": "x:1", "platform": "x", "opened_at": T0, **conversation})
    rules = RuleSet([], ENV)
    return rules.context(
        Post(**post_fields),
        Author(**{"id": 1, "platform": "x", "platform_id": "9", "handle": "ann", **(author or {})}),
        Classification(**fields),
        conv,
        now=now,
        first_time=first_time,
        exchanges=exchanges,
    )


def when(data: dict[str, Any]) -> Any:
    return compile_condition(Condition.model_validate(data))


def rule(name: str, when: dict, action: str = "alert", **extra: object) -> RuleSettings:
    return RuleSettings.model_validate({"name": name, "when": when, "action": action, **extra})


def test_topic_matches_by_parent_and_threshold() -> None:
    pred = when({"topic": "visiting"})
    assert pred(context(topics={"visiting.hours": 0.8}))
    assert not pred(context(topics={"visiting.hours": 0.1}))  # below min_topic_score
    assert not pred(context(topics={"visitingx": 0.9}))


def test_negation_any_all_keywords_regex() -> None:
    pred = when(
        {
            "any": [{"keywords": ["refund"]}, {"regex": r"\bmoney back\b"}],
            "not": {"sentiment": "positive"},
        }
    )
    assert pred(context("I want a REFUND now"))
    assert pred(context("give me my money back"))
    assert not pred(context("refunds are great", sentiment="positive"))
    assert not pred(context("refundable?"))  # whole words only


@pytest.mark.parametrize(
    ("condition", "yes", "no"),
    [
        (
            {"topic_score": {"visiting": ">= 0.8"}},  # a parent takes its best child's score
            {"topics": {"visiting.hours": 0.85, "events": 0.1}},
            {"topics": {"visiting.hours": 0.75}},
        ),
        ({"intent_score": {"question": "> 0.9"}}, {"intents": {"question": 0.95}}, {}),
        ({"sentiment_score": "<= -0.6"}, {"sentiment_score": -0.7}, {"sentiment_score": -0.5}),
        ({"abuse_score": 0.3}, {"abuse": 0.3}, {"abuse": 0.29}),  # a bare number is ">="
        ({"intent": "question"}, {"intents": {"question": 0.5}}, {"intents": {"question": 0.49}}),
        ({"language": ["fr", "de"]}, {"language": "de"}, {"language": "en"}),
        ({"abusive": True}, {"is_abusive": True}, {}),
    ],
)
def test_classifier_conditions(condition: dict, yes: dict, no: dict) -> None:
    pred = when(condition)
    assert pred(context(**yes))
    assert not pred(context(**no))


@pytest.mark.parametrize(
    ("condition", "yes", "no"),
    [
        ({"author": "@ANN"}, {}, {"author": {"handle": "bob"}}),
        ({"author": "x:ann"}, {}, {"post": {"platform": "reddit"}}),
        ({"vip": True}, {"author": {"handle": "patron"}}, {}),
        ({"vip": True}, {"author": {"handle": "journo"}}, {"post": {"platform": "reddit"}}),
        ({"min_followers": 1000}, {"author": {"followers": 1000}}, {"author": {"followers": 999}}),
        ({"min_followers": 0}, {"author": {"followers": 0}}, {}),  # unknown count: no
        ({"first_time_author": True}, {}, {"first_time": False}),
        ({"known_bot": True}, {"author": {"is_bot": True}}, {}),
        ({"known_bot": True}, {"author": {"handle": "NewsBot"}}, {}),  # policy.known_bots
        ({"platform": "x", "kind": ["mention", "reply"]}, {}, {"post": {"kind": "post"}}),
        ({"source": "s", "mentions_us": True}, {}, {"post": {"mentions_self": False}}),
    ],
)
def test_post_and_author_conditions(condition: dict, yes: dict, no: dict) -> None:
    pred = when(condition)
    assert pred(context(**yes))
    assert not pred(context(**no))


def test_conversation_conditions() -> None:
    answered = {"last_own_at": T0 + timedelta(minutes=5)}
    assert when({"unanswered": True})(context(conversation={}))
    assert when({"unanswered": True})(context())  # no thread yet: nobody answered
    assert not when({"unanswered": True})(context(conversation=answered))
    old_thread = {"opened_at": T0 - timedelta(hours=3)}
    assert when({"conversation_age": ">= 2h"})(context(conversation=old_thread))
    assert not when({"conversation_age": ">= 4h"})(context(conversation=old_thread))
    assert not when({"conversation_age": ">= 1m"})(context())  # a new thread
    assert when({"exchanges": "< 3"})(context(exchanges=2))
    assert not when({"exchanges": "< 3"})(context(exchanges=3))
    assert when({"state": ["awaiting_us", "open"]})(context(conversation={"state": "open"}))
    assert not when({"state": "handled"})(context(conversation={"state": "muted"}))


def test_conversation_age_is_measured_at_the_post_not_by_the_clock() -> None:
    conv = {"opened_at": T0 - timedelta(hours=1)}
    late = context(conversation=conv, now=T0 + timedelta(days=30))
    assert not when({"conversation_age": ">= 2h"})(late)


@pytest.mark.parametrize(
    ("condition", "hours_after_t0", "expected"),
    [
        ({"open_now": False}, 0, True),  # Monday: closed all day
        ({"open_now": True}, 24, True),  # Tuesday 10:00 local: open
        ({"open_now": True}, 24 - 1 / 60, False),  # Tuesday 09:59
        ({"open_now": True}, 24 + 8, False),  # Tuesday 18:00: the range ends
        ({"open_now": True}, 72 + 3.5, False),  # Thursday 13:30: lunch break
        ({"open_now": True}, 72 + 10, True),  # Thursday 20:00: late opening
        ({"time_of_day": "22:00-06:00"}, 13, True),  # 23:00 local: the range passes midnight
        ({"time_of_day": "22:00-06:00"}, 11, False),  # 21:00 local
        ({"weekday": ["sat", "sunday"]}, 24 * 5, True),  # Saturday
        ({"weekday": "sat"}, 24 * 5 + 14.5, False),  # Saturday 23:30 UTC is Sunday locally
    ],
)
def test_clock_conditions_use_the_given_clock_in_local_time(
    condition: dict, hours_after_t0: float, expected: bool
) -> None:
    now = T0 + timedelta(hours=hours_after_t0)
    assert when(condition)(context(now=now)) is expected


def test_first_match_per_group_and_stop() -> None:
    rules = RuleSet.from_settings(
        [
            rule("abuse", {"abusive": True}, group="safety", stop=True),
            rule("question", {"intent": "question"}, group="answers"),
            rule("anything", {}, group="answers"),
            rule("log", {}, group="audit", action="digest_only"),
        ],
        NlpSettings(),
    )
    names = [r.name for r in rules.evaluate(context(intents={"question": 0.9}))]
    assert names == ["question", "log"]
    names = [r.name for r in rules.evaluate(context(is_abusive=True, intents={"question": 0.9}))]
    assert names == ["abuse"]


def test_trace_explains_every_rule_and_why_it_does_not_fire() -> None:
    rules = RuleSet.from_settings(
        [
            rule("abuse", {"abusive": True}, group="safety", stop=True),
            rule("question", {"intent": "question", "sentiment": "neutral"}, group="answers"),
            rule("anything", {}, group="answers"),
            rule("log", {}, group="audit", action="digest_only"),
        ]
    )
    traces = {t.rule.name: t for t in rules.trace(context(intents={"question": 0.9}))}
    assert [n for n, t in traces.items() if t.fires] == ["question", "log"]
    assert (
        traces["anything"].note == "matches, but rule 'question' matched first in group 'answers'"
    )
    assert traces["log"].note == "fires"
    lines = traces["question"].explanation.lines()
    assert "✓ intent any of ['question']  (seen: question 0.900)" in [x.strip() for x in lines]
    assert not traces["abuse"].explanation.passed
    stopped = {t.rule.name: t for t in rules.trace(context(is_abusive=True))}
    assert stopped["abuse"].note == "fires and stops evaluation"
    assert stopped["log"].note == "matches, but rule 'abuse' stopped evaluation earlier"


def test_predicates_compose_and_explain() -> None:
    a = when({"platform": "x"})
    b = when({"sentiment": "negative"})
    ctx = context(sentiment="negative")
    assert (a & b)(ctx) and (a | ~b)(ctx) and not (~a)(ctx)
    assert "platform in ['x']" in (a & b).describe()
    explanation = (~b).explain(ctx)
    assert (explanation.text, explanation.passed) == ("not", False)
    assert explanation.parts[0].seen == "negative"


def test_compiled_fast_path_agrees_with_the_predicates() -> None:
    pred = when(
        {
            "platform": "x",
            "any": [{"intent": "question"}, {"keywords": ["hours"]}],
            "not": {"all": [{"sentiment": "negative"}, {"abuse_score": ">= 0.5"}]},
        }
    )
    cases = [
        context("opening hours"),
        context(intents={"question": 0.9}, sentiment="negative", abuse=0.6),
        context(intents={"question": 0.9}, sentiment="negative", abuse=0.1),
        context("nothing", post={"platform": "reddit"}, intents={"question": 0.9}),
    ]
    assert [pred(c) for c in cases] == [pred.compiled()(c) for c in cases]
    assert [pred(c) for c in cases] == [True, False, True, False]


def test_rule_set_knows_what_to_load_from_the_store() -> None:
    plain = RuleSet.from_settings([rule("a", {"intent": "question"})])
    assert not plain.needs_history and not plain.needs_exchanges
    nested = RuleSet.from_settings(
        [rule("a", {"any": [{"first_time_author": True}, {"not": {"exchanges": "> 2"}}]})]
    )
    assert nested.needs_history and nested.needs_exchanges


def test_disabled_rules_are_skipped() -> None:
    rules = RuleSet.from_settings([rule("off", {}, enabled=False)], NlpSettings())
    assert rules.evaluate(context()) == []


def test_a_parent_topic_takes_its_best_descendant() -> None:
    ctx = context(topics={"a.b.c": 0.7, "a.x": 0.2, "ab": 0.9, "a.b": 0.1})
    scores = {key: ctx.topic_score(key) for key in ("a", "a.b", "a.b.c", "a.x", "ab", "b")}
    assert scores == {"a": 0.7, "a.b": 0.7, "a.b.c": 0.7, "a.x": 0.2, "ab": 0.9, "b": 0.0}
    assert [ctx.topic_hit(key) for key in ("a", "a.x", "b")] == [True, False, False]
    assert ctx.topics() == {"a.b.c", "ab"}  # only the scored keys, at the threshold or above


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        (r"\bmosaic\w*\s+price", ("mosaic",)),  # the longest run of literal text
        (r"(?<!\w)(?:crypto|dm\ me)(?!\w)", ("crypto", "dm me")),  # one of the alternatives
        (r"\b(ambulance|police)s?\b", ("ambulance", "police")),
        (r"(?-i:Fire)\s", ("fire",)),  # lower case, whatever the pattern's case
        (r"colou?r", ("colo",)),  # an optional part breaks the run
        (r"x(?:mosaic)?y", ("x",)),  # and is not needed
        (r"(?:ab){2}c", ("ab",)),  # a part repeated at least once is needed
        (r"\d+|x", ()),  # an alternative without literal text: nothing is needed
        (r"café", ()),  # not ASCII: case-insensitive matching is subtler
    ],
)
def test_needed_text_is_what_every_match_contains(pattern: str, needed: tuple[str, ...]) -> None:
    assert needed_text(re.compile(pattern, re.IGNORECASE)) == needed


PATTERNS = [
    r"\bfire\b",
    r"(?<!\w)(?:dm me|nft)(?!\w)",
    r"\bmosaic\w*\s+price",
    r"kelvin|strasse",
    r"(?-i:Fire)\s",
    r"colou?r",
    r"dm(?:mosaic)?\s",
]
PIECES = ["fire", "FIRE", "Fire ", "dm me", "nft", "mosaics price", "color", "colour", "kelvin"]
PIECES += ["\u212aelvin", "\u017ftrasse", "STRASSE", "straße", " ", ".", "x"]  # K and long s


@given(
    pattern=st.sampled_from(PATTERNS),
    word=st.sampled_from(["fire", "dm me", "kelvin", "strasse", "colour"]),
    pieces=st.lists(st.sampled_from(PIECES), max_size=6),
)
def test_a_search_is_skipped_only_where_it_cannot_match(
    pattern: str, word: str, pieces: list[str]
) -> None:
    text = "".join(pieces)
    found = re.search(pattern, text, re.IGNORECASE) is not None
    assert when({"regex": pattern})(context(text)) is found
    whole_word = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None
    assert when({"keywords": [word]})(context(text)) is whole_word


def naive_evaluation(rules: RuleSet, ctx: TriageContext) -> list[str]:
    """First match per group, every rule tried in order, until a stop rule."""
    fired: list[Rule] = []
    for _group, group in rules.groups:
        for candidate in group:
            if candidate.predicate(ctx):
                fired.append(candidate)
                if candidate.settings.stop:
                    return [r.name for r in fired]
                break
    return [r.name for r in fired]


def test_rules_needing_another_intent_are_skipped_with_the_same_verdicts() -> None:
    rules = RuleSet.from_settings(
        [
            rule("question", {"intent": "question", "sentiment": "neutral"}, group="a"),
            rule("ask", {"all": [{"intent": ["complaint", "request"]}]}, group="a"),
            rule("a-rest", {"not": {"intent": "praise"}}, group="a"),
            rule("thanks", {"any": [{"intent": "praise"}, {"keywords": ["thanks"]}]}, group="b"),
            rule("either", {"any": [{"intent": "praise"}, {"intent": "request"}]}, group="b"),
            rule("request", {"intent": "request"}, group="c", stop=True),
            rule("after", {}, group="d"),
        ],
        NlpSettings(),
    )
    assert [r.needs for _, group in rules.groups for r in group] == [
        {"question"},
        {"complaint", "request"},
        None,
        None,
        {"praise", "request"},
        {"request"},
        None,
    ]
    labels = ["question", "complaint", "request", "praise"]
    for scores in itertools.product([0.0, 0.9], repeat=len(labels)):
        for text in ("thanks", "hello"):
            ctx = context(text, intents=dict(zip(labels, scores, strict=True)))
            assert [r.name for r in rules.evaluate(ctx)] == naive_evaluation(rules, ctx)
