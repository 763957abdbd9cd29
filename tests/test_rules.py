"""Rules: predicates, groups (first match per group), stop, negation, topic hierarchy."""

from __future__ import annotations

from bot.models import Author, Classification, Post
from bot.rules import RuleSet, compile_condition
from config.settings import Condition, NlpSettings, RuleSettings
from tests.helpers import T0


def context(text: str = "hi", **analysis: object):
    post = Post(
        id=1,
        key="x:1",
        platform="x",
        platform_id="1",
        source="s",
        kind="mention",
        author_id=1,
        text=text,
        created_at=T0,
        ingested_at=T0,
        content_hash="h",
        mentions_self=True,
    )
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
    }
    fields.update(analysis)
    rules = RuleSet.from_settings([], NlpSettings())
    return rules.context(
        post,
        Author(id=1, platform="x", platform_id="9", handle="ann"),
        Classification(**fields),
        None,
    )


def rule(name: str, when: dict, action: str = "alert", **extra: object) -> RuleSettings:
    return RuleSettings.model_validate({"name": name, "when": when, "action": action, **extra})


def test_topic_matches_by_parent_and_threshold() -> None:
    pred = compile_condition(Condition.model_validate({"topic": "visiting"}))
    assert pred(context(topics={"visiting.hours": 0.8}))
    assert not pred(context(topics={"visiting.hours": 0.1}))  # below min_topic_score
    assert not pred(context(topics={"visitingx": 0.9}))


def test_negation_any_all_keywords_regex() -> None:
    cond = Condition.model_validate(
        {
            "any": [{"keywords": ["refund"]}, {"regex": r"\bmoney back\b"}],
            "not": {"sentiment": "positive"},
        }
    )
    pred = compile_condition(cond)
    assert pred(context("I want a REFUND now"))
    assert pred(context("give me my money back"))
    assert not pred(context("refunds are great", sentiment="positive"))
    assert not pred(context("refundable?"))  # whole words only


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


def test_predicates_compose_and_explain() -> None:
    a = compile_condition(Condition.model_validate({"platform": "x"}))
    b = compile_condition(Condition.model_validate({"sentiment": "negative"}))
    ctx = context(sentiment="negative")
    assert (a & b)(ctx) and (a | ~b)(ctx) and not (~a)(ctx)
    assert "platform in ['x']" in (a & b).describe()


def test_disabled_rules_are_skipped() -> None:
    rules = RuleSet.from_settings([rule("off", {}, enabled=False)], NlpSettings())
    assert rules.evaluate(context()) == []
