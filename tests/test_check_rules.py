"""Invalid rules are rejected with the rule's index and name, the field, and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.check import check_settings
from config.errors import ConfigError
from config.loader import packaged_text, parse_settings
from config.rule_values import parse_comparison, parse_opening_day, parse_time_range

EXAMPLE = yaml.safe_load(packaged_text("example.yaml"))
WHERE = "triage.rules[1] (name 'vip-praise')"


def with_rule(rule: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """The example configuration with ``rule`` as its second rule."""
    first = {"name": "first", "when": {"abusive": True}, "action": "alert"}
    triage = {**EXAMPLE["triage"], "rules": [first, {"name": "vip-praise", **rule}]}
    return {**EXAMPLE, "triage": triage, **sections}


def load_problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_settings(data, environ={})
    return info.value.problems


def check_problems(data: dict[str, Any]) -> list[str]:
    return check_settings(parse_settings(data, environ={}))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"when": {"intent": "thanks"}, "action": "alert"},
            f"{WHERE}.when.intent: unknown intent 'thanks'; allowed: complaint, praise,"
            " question, request, suggestion",
        ),
        (
            {"when": {"any": [{"sentiment": ["positive", "happy"]}]}, "action": "alert"},
            f"{WHERE}.when.any[0].sentiment: unknown sentiment 'happy'; allowed: negative,"
            " neutral, positive",
        ),
        (
            {"when": {"regex": "(unclosed"}, "action": "alert"},
            f"{WHERE}.when.regex: invalid regular expression: missing ), unterminated subpattern"
            " at position 0",
        ),
        (
            {"when": {"time_of_day": "18:00-25:00"}, "action": "alert"},
            f"{WHERE}.when.time_of_day: '25:00' in '18:00-25:00' is not a time of day"
            " (00:00 to 24:00)",
        ),
        (
            {"when": {"time_of_day": "evenings"}, "action": "alert"},
            f"{WHERE}.when.time_of_day: 'evenings' is not a time range (use 'HH:MM-HH:MM',"
            " e.g. '10:00-18:00')",
        ),
        (
            {"when": {"weekday": "someday"}, "action": "alert"},
            f"{WHERE}.when.weekday: unknown weekday 'someday'; allowed: mon, tue, wed, thu,"
            " fri, sat, sun",
        ),
        (
            {"when": {"state": "closed"}, "action": "alert"},
            f"{WHERE}.when.state: unknown conversation state 'closed'; allowed: awaiting_them,"
            " awaiting_us, handled, muted, open",
        ),
        (
            {"when": {"sentiment_score": ">= 1.5"}, "action": "alert"},
            f"{WHERE}.when.sentiment_score: '>= 1.5' is out of range; expected a comparison"
            " such as '<= -0.5' or '>= 0.5' (from -1, very negative, to 1, very positive)",
        ),
        (
            {"when": {"topic_score": {"visiting.hours": "high"}}, "action": "alert"},
            f"{WHERE}.when.topic_score.visiting.hours: cannot read 'high': expected a"
            " comparison such as '>= 0.7' or '< 0.3' (scores run from 0 to 1)",
        ),
        (
            {"when": {"intent_score": {"thanks": 0.5}}, "action": "alert"},
            f"{WHERE}.when.intent_score: unknown intent 'thanks'; allowed: complaint, praise,"
            " question, request, suggestion",
        ),
        (
            {"when": {"conversation_age": "2"}, "action": "alert"},
            f"{WHERE}.when.conversation_age: '2' needs a unit: expected a comparison such as"
            " '>= 2h' or '< 30m' (units: s, m, h, d, w)",
        ),
        (
            {"when": {"exchanges": "< 2.5"}, "action": "alert"},
            f"{WHERE}.when.exchanges: '< 2.5': expected a comparison such as '>= 3' or '< 2'"
            " (a whole number)",
        ),
        (
            {"when": {"not": {"colour": "red"}}, "action": "alert"},
            f"{WHERE}.when.not.colour: unknown setting (check the spelling; see `salon init`"
            " for all settings)",
        ),
        (
            {"action": "auto_reply"},
            f"{WHERE}.template: required for action auto_reply",
        ),
        (
            {"action": "draft_reply", "template": "hours"},
            f"{WHERE}.template: unknown template 'hours'; allowed: accessibility, facilities,"
            " opening-hours, thanks, tickets",
        ),
        (
            {"action": "ignore", "to": "urgent"},
            f"{WHERE}.to: action ignore never alerts staff; use alert or draft_reply",
        ),
        (
            {"action": "ignore", "remind_after_hours": 2},
            f"{WHERE}.remind_after_hours: an ignored post is never reminded",
        ),
        (
            {"action": "alert", "to": "director"},
            f"{WHERE}.to: unknown staff target 'director'; allowed: access-team, community,"
            " press-office, staff, urgent",
        ),
        (
            {"action": "alert", "to": 12345},
            f"{WHERE}.to: 12345 is not a Telegram id in staff.telegram.users/chats or"
            " staff.members",
        ),
        (
            {"action": "alert", "assign": "director"},
            f"{WHERE}.assign: unknown staff member 'director'; allowed: access-team, community,"
            " press-office",
        ),
        (
            {"action": "alert", "tag": ["Not A Tag"]},
            f"{WHERE}.tag: tag 'Not A Tag': use lower-case letters, digits, '-', '_' or '.'",
        ),
    ],
)
def test_invalid_rule_is_named_with_field_and_allowed_values(rule: dict, expected: str) -> None:
    assert expected in load_problems(with_rule(rule))


def test_every_problem_of_a_file_is_listed_not_just_the_first() -> None:
    data = with_rule({"action": "alert", "to": "director", "assign": "nobody"})
    problems = load_problems(data)
    assert any(p.startswith(f"{WHERE}.to:") for p in problems)
    assert any(p.startswith(f"{WHERE}.assign:") for p in problems)


def test_open_now_needs_opening_hours_and_vip_needs_a_list() -> None:
    institution = {k: v for k, v in EXAMPLE["institution"].items() if k != "opening_hours"}
    data = with_rule({"when": {"any": [{"open_now": False}]}, "action": "alert"})
    data["institution"] = institution
    (problem,) = load_problems(data)
    assert problem.startswith(f"{WHERE}.when.any[0].open_now: set institution.opening_hours")
    data = with_rule({"when": {"vip": True}, "action": "alert"})
    data["triage"]["vip_authors"] = []
    assert load_problems(data) == [f"{WHERE}.when.vip: triage.vip_authors is empty"]


def test_opening_hours_must_name_every_weekday_with_valid_ranges() -> None:
    hours = {**EXAMPLE["institution"]["opening_hours"], "thu": "21:00-10:00"}
    data = {**EXAMPLE, "institution": {**EXAMPLE["institution"], "opening_hours": hours}}
    (problem,) = load_problems(data)
    assert problem == (
        "institution.opening_hours: '21:00-10:00' ends before it starts"
        " (opening hours cannot pass midnight)"
    )
    del hours["thu"], hours["sun"]
    (problem,) = load_problems(data)
    assert problem.startswith("institution.opening_hours: missing thu, sun:")


def test_check_names_unknown_topics_sources_and_platforms() -> None:
    rule = {
        "when": {
            "topic": "visting.hours",
            "any": [{"topic_score": {"exhibition": 0.5}}, {"source": "nope"}],
            "platform": "twitter",
        },
        "action": "alert",
    }
    problems = check_problems(with_rule(rule))
    assert problems[0].startswith(
        f"{WHERE}.when.platform: unknown platform 'twitter'; allowed: bluesky, mastodon, reddit,"
    )
    assert problems[1].startswith(
        f"{WHERE}.when.topic: unknown topic 'visting.hours'; did you mean 'visiting.hours'"
    )
    assert "or a group: community, complaints, digital" in problems[1]
    assert problems[2].startswith(
        f"{WHERE}.when.any[0].topic_score: unknown topic 'exhibition'; did you mean 'exhibitions'?"
    )
    assert problems[3] == (
        f"{WHERE}.when.any[1].source: unknown source 'nope'; allowed: demo-x, demo-reddit,"
        " demo-mastodon, demo-bluesky, demo-telegram"
    )
    assert len(problems) == 4


def test_topic_groups_are_accepted() -> None:
    rule = {"when": {"topic": ["visiting", "press"]}, "action": "alert"}
    assert check_problems(with_rule(rule)) == []


@pytest.mark.parametrize(
    ("raw", "kind", "holds", "fails"),
    [
        (">= 0.7", "score", 0.7, 0.69),
        (0.7, "score", 0.71, 0.5),
        ("< 0.3", "score", 0.29, 0.3),
        ("<= -0.5", "signed score", -0.6, -0.4),
        ("!= 0", "count", 1, 0),
        ("== 2", "count", 2, 3),
        (">= 2h", "duration", 7200, 7199),
        ("< 30m", "duration", 1799, 1800),
        (">1d", "duration", 86401, 86400),
    ],
)
def test_comparisons(raw: object, kind: Any, holds: float, fails: float) -> None:
    test = parse_comparison(raw, kind)
    assert test.holds(holds) and not test.holds(fails)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(True, "score"), ("> 1.2", "score"), ("=> 3", "count"), ("-1", "count"), ("5x", "duration")],
)
def test_bad_comparisons_are_refused(raw: object, kind: Any) -> None:
    with pytest.raises(ValueError, match="expected a comparison such as"):
        parse_comparison(raw, kind)


def test_time_ranges_and_opening_days() -> None:
    night = parse_time_range("22:00-06:00")
    assert night.contains(23 * 60) and night.contains(5 * 60) and not night.contains(12 * 60)
    assert str(night) == "22:00-06:00"
    late = parse_opening_day("10:00-13:00, 14:00-24:00")
    assert [str(r) for r in late] == ["10:00-13:00", "14:00-24:00"]
    assert late[1].contains(23 * 60 + 59) and not late[0].contains(13 * 60)
    assert parse_opening_day("Closed") == ()
    with pytest.raises(ValueError, match="is empty"):
        parse_time_range("10:00-10:00")
