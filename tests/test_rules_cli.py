"""`salon rules test`: classification, every rule's verdict and why, the resulting action."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import SalonError

CONFIG = {
    "institution": {
        "name": "Test Museum",
        "timezone": "Europe/Amsterdam",
        "opening_hours": {
            "mon": "closed",
            **dict.fromkeys(("tue", "wed", "thu", "fri", "sat", "sun"), "10:00-18:00"),
        },
    },
    "nlp": {"trained_models": False},  # the rules-only pipeline: quicker to load
    "triage": {
        "rules": [
            {"name": "abuse", "group": "safety", "when": {"abusive": True}, "action": "alert"},
            {
                "name": "hours",
                "group": "answers",
                "when": {"intent": "question", "topic": "visiting.hours", "open_now": True},
                "action": "auto_reply",
                "template": "hours",
            },
            {
                "name": "closed-now",
                "group": "answers",
                "when": {"intent": "question", "open_now": False},
                "action": "alert",
                "to": "urgent",
                "tag": ["after-hours"],
            },
            {
                "name": "question",
                "group": "answers",
                "when": {"intent": "question"},
                "action": "alert",
            },
            {"name": "log", "group": "audit", "when": {}, "action": "digest_only", "tag": "seen"},
        ]
    },
    "templates": {"hours": {"text": "Hi {{ author }}! We're open {{ facts.hours }}."}},
    "facts": {"hours": {"value": "Tuesday to Sunday, 10:00-18:00"}},
}
QUESTION = "What are your opening hours?"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "salon.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["rules", "test", *args, "-c", str(config)])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_shows_verdicts_why_and_the_reply(config: Path) -> None:
    out = run(
        config, QUESTION, "--platform", "mastodon", "--author", "ann", "--at", "2026-11-03T11:00"
    )
    lines = [line.strip() for line in out.splitlines()]
    assert "Clock Tue 2026-11-03 11:00 CET (open)" in out
    assert "✗ abuse (alert)" in lines
    assert "✗ abusive is true  (seen: False)" in lines
    assert "✓ hours (auto_reply)  → fires" in lines
    assert "✓ open now is true (institution.opening_hours)  (seen: Tue 11:00 CET)" in lines
    assert any(
        line.startswith("✓ intent any of ['question']  (seen: question 0.") for line in lines
    )
    assert "✗ closed-now (alert)" in lines
    assert (
        "✓ question (alert)  → matches, but rule 'hours' matched first in group 'answers'" in lines
    )
    assert "✓ log (digest_only)  → fires" in lines
    assert "hours → auto_reply (priority normal)" in lines
    assert "reply (sent automatically): Hi ann! We're open Tuesday to Sunday, 10:00-18:00." in lines
    assert "log → digest_only (priority normal; tags seen)" in lines


def test_the_clock_option_changes_the_outcome(config: Path) -> None:
    out = run(config, QUESTION, "--at", "2026-11-02T11:00")  # a Monday: closed
    lines = [line.strip() for line in out.splitlines()]
    assert "✗ hours (auto_reply)" in lines
    assert "✓ closed-now (alert)  → fires" in lines
    assert "closed-now → alert (priority normal; to urgent; tags after-hours)" in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "closed"], "--state: unknown state 'closed'; allowed: open, awaiting_us"),
        (["--at", "tomorrow"], "--at: cannot read 'tomorrow'; give an ISO time"),
        (["--thread-age", "3"], "--thread-age: '3' needs a unit"),
    ],
)
def test_bad_options_are_explained(config: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["rules", "test", QUESTION, *args, "-c", str(config)])
    assert isinstance(result.exception, SalonError)
    assert str(result.exception).startswith(message)
