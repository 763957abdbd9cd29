"""Reply templates: outside text is data, and a broken template never stops triage.

- a handle (or a post's text) written as template syntax is inserted verbatim, never run;
- any template text in the configuration either compiles and fills, or fails with a
  ``RuleError`` naming the template (never ZeroDivisionError, OverflowError, RecursionError
  from a template's own code), and ``salon check`` reports what fails for every post;
- a template that fails for one post turns that post's reply into a staff alert with the
  reason; the rest of the batch is decided as usual.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import col

from bot.check import check_settings
from bot.errors import RuleError
from bot.models import Decision, OutboxItem, OutboxKind, Post
from bot.replies import ReplyBook
from config.settings import Fact, TemplateSettings
from connectors.base import Author
from tests.helpers import KeywordAnalyser, settings_from
from tests.hostile.strategies import HOSTILE, TEMPLATE_SYNTAX, valid_text
from tests.hostile.world import build, world_settings

TODAY = date(2026, 11, 2)
FACTS = {"hours": Fact(value="10:00-18:00"), "url": Fact(value="https://museum.example")}
JINJA = (
    *TEMPLATE_SYNTAX,
    "{{ author }}",
    "{{ author|upper }}",
    "{{ author[3] }}",
    "{{ author|int }}",
    "{{ facts.hours }}",
    "{{ facts.nothing }}",
    "{{ 1/0 }}",
    "{{ 10**10**10 }}",
    "{% for i in range(100001) %}{% endfor %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% set x = author.__class__ %}",
    "{{ facts.url|replace('https', 'javascript') }}",
    "{{ lipsum() }}",
    "{% include 'other' %}",
    "{% extends 'base' %}",
)
template_text = st.lists(st.one_of(st.sampled_from(JINJA), valid_text), min_size=1, max_size=4)


@HOSTILE
@given(handle=valid_text)
def test_a_handle_is_inserted_verbatim(handle: str) -> None:
    book = ReplyBook({"t": TemplateSettings(text="Hello {{ author }}! {{ facts.hours }}")}, FACTS)
    reply = book.render("t", "en", author=handle, today=TODAY)
    assert reply.text == f"Hello {handle}! 10:00-18:00".strip()


@HOSTILE
@given(parts=template_text, handle=valid_text)
def test_any_template_text_fills_or_fails_with_a_rule_error(parts: list[str], handle: str) -> None:
    text = "".join(parts)
    if not text:
        return
    try:
        book = ReplyBook({"t": TemplateSettings(text=text)}, FACTS)
        book.render("t", "en", author=handle, today=TODAY)
    except RuleError as exc:
        assert str(exc).startswith("templates.t (en): ")


def test_salon_check_names_a_template_that_fails_for_every_post() -> None:
    settings = settings_from(
        {
            "templates": {
                "zero": {"text": "{{ 1/0 }}"},
                "loop": {
                    "text": "ok",
                    "languages": {"fr": "{% for i in range(10**9) %}{% endfor %}"},
                },
                "fine": {"text": "Open {{ facts.hours }}"},
            },
            "facts": {"hours": {"value": "10-18"}},
        }
    )
    problems = check_settings(settings)
    assert [p.split(":")[0] for p in problems] == ["templates.zero (en)", "templates.loop (fr)"]


async def test_a_template_failing_for_one_post_alerts_staff_and_the_batch_goes_on(
    tmp_path: Path,
) -> None:
    """``{{ author[5] }}`` fails for a handle shorter than six characters only."""
    settings = world_settings(
        tmp_path,
        templates={"answer": {"text": "Hi {{ author[5] }}, we open at {{ facts.hours }}."}},
    )
    world = build(tmp_path, KeywordAnalyser(), settings=settings)
    short = world.platform.post("Are you open today?", Author(id="s", handle="bo"))
    long = world.platform.post("Are you open today?", Author(id="l", handle="barnabas"))
    await world.cycle()
    with world.salon.session() as session:
        notes = {
            key: (action, note)
            for key, action, note in session.execute(
                select(col(Post.key), col(Decision.action), col(Decision.note)).join(
                    Decision, col(Decision.post_id) == col(Post.id)
                )
            )
        }
        alerts = session.scalars(
            select(col(OutboxItem.key)).where(col(OutboxItem.kind) == OutboxKind.ALERT.value)
        ).all()
    action, note = notes[short.key]
    assert action == "alert" and "the template failed (templates.answer (en):" in str(note)
    assert notes[long.key] == ("auto_reply", None)
    assert [r.text for r in world.platform.replies] == ["Hi b, we open at 10:00."]
    assert alerts == [f"alert:{short.key}:answer"]
    await world.salon.aclose()
