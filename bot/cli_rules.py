"""``salon rules test``: which triage rules a text matches, why, and what Salon would do.

The text goes through the shipped classifier; every rule is evaluated with each part's verdict
and what it saw; then the post is decided exactly as triage decides it (policy guard, templates,
facts) — nothing is stored and nothing is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from bot.errors import SalonError
from bot.models import Conversation, ConversationState
from bot.rows import AnalysisRow, AuthorRow, PostRow
from bot.rules import RuleSet, RuleTrace, TriageContext
from config.loader import load_settings, packaged_text, parse_settings
from config.rule_values import parse_comparison
from config.settings import Settings

rules_app = typer.Typer(
    name="rules",
    help="Try the triage rules on a text: what matches, why, and the resulting action.",
    no_args_is_help=True,
)
console = Console(highlight=False)


def _settings(config: Path, example: bool) -> Settings:
    if example:
        return parse_settings(yaml.safe_load(packaged_text("example.yaml")), file="example.yaml")
    return load_settings(config)


def _when(text: str | None, tz: str) -> datetime:
    """``--at``: an ISO time, local to the institution unless it names its offset."""
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SalonError(
            f"--at: cannot read {text!r}; give an ISO time such as 2026-11-03T19:30"
        ) from None
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo(tz))
    return when.astimezone(UTC)


def _age(text: str) -> timedelta:
    try:
        return timedelta(seconds=parse_comparison(text, "duration").threshold)
    except ValueError as exc:
        raise SalonError(f"--thread-age: {exc}") from None


@rules_app.callback()
def rules() -> None:
    """Try the triage rules on a text."""


@rules_app.command("test")
def test(
    text: Annotated[str, typer.Argument(help="The post's text.")],
    platform: Annotated[str, typer.Option(help="The platform it was posted on.")] = "x",
    author: Annotated[str, typer.Option(help="The author's handle.")] = "someone",
    source: Annotated[
        str | None, typer.Option(help="The source name (default: the first on the platform).")
    ] = None,
    kind: Annotated[
        str, typer.Option(help="post, comment, reply, mention or message.")
    ] = "mention",
    language: Annotated[
        str | None, typer.Option(help="The platform's language tag (default: detected).")
    ] = None,
    mentions_us: Annotated[bool, typer.Option(help="Whether the post mentions us.")] = True,
    followers: Annotated[int | None, typer.Option(help="The author's followers.")] = None,
    bot: Annotated[bool, typer.Option("--bot", help="The platform flags the author.")] = False,
    returning: Annotated[
        bool, typer.Option("--returning", help="The author has posted before.")
    ] = False,
    state: Annotated[str, typer.Option(help="The conversation's state.")] = "open",
    exchanges: Annotated[int, typer.Option(help="Our replies in the thread so far.")] = 0,
    thread_age: Annotated[
        str, typer.Option(help="How old the thread is at this post, e.g. 3h or 8d.")
    ] = "0m",
    answered: Annotated[
        bool, typer.Option("--answered", help="We have already posted after it.")
    ] = False,
    at: Annotated[
        str | None, typer.Option(help="The clock, e.g. 2026-11-03T19:30 (local time).")
    ] = None,
    config: Annotated[
        Path,
        typer.Option("--config", "-c", envvar="SALON_CONFIG", help="The YAML configuration."),
    ] = Path("salon.yaml"),
    example: Annotated[
        bool, typer.Option("--example", help="Use the packaged example configuration.")
    ] = False,
) -> None:
    """Classify TEXT, show every rule's verdict and why, and the resulting action."""
    from bot.app import build_analyser
    from bot.policy import PolicyGuard
    from bot.replies import ReplyBook
    from bot.triage import Triage, TriageStats

    settings = _settings(config, example)
    if state not in {s.value for s in ConversationState}:
        allowed = ", ".join(s.value for s in ConversationState)
        raise SalonError(f"--state: unknown state {state!r}; allowed: {allowed}")
    now = _when(at, settings.institution.timezone)
    opened = now - _age(thread_age)
    analyser = build_analyser(settings)
    (analysis,) = analyser.analyse([text], [language])
    spec = next((s.name for s in settings.sources if s.platform == platform), None)
    post = PostRow(
        id=1,
        key=f"{platform}:rules-test",
        platform=platform,
        source=source or spec or f"{platform}-test",
        kind=kind,
        author_id=1,
        conversation_id=1,
        in_reply_to_key=None,
        text=text,
        url=None,
        is_own=False,
        mentions_self=mentions_us,
        deleted=False,
        created_at=now,
    )
    person = AuthorRow(1, platform, author, False, bot, followers, False)
    row = AnalysisRow(
        analysis.language,
        analysis.topics,
        analysis.top_topic(settings.nlp.min_topic_score),
        analysis.sentiment,
        analysis.sentiment_score,
        analysis.intents,
        analysis.abuse,
        analysis.abuse >= settings.nlp.abuse_threshold,
    )
    conv = Conversation(
        id=1,
        key=post.key,
        platform=platform,
        state=state,
        opened_at=opened,
        last_public_at=now,
        last_own_at=now if answered else None,
        public_posts=1,
        own_posts=exchanges,
    )
    rule_set = RuleSet.from_config(settings)
    ctx = rule_set.context(
        post, person, row, conv, now=now, first_time=not returning, exchanges=exchanges
    )
    triage = Triage(rule_set, ReplyBook(settings.templates, settings.facts), settings.policy)
    decisions = triage.decide(ctx, PolicyGuard(settings.policy), TriageStats())
    _print_context(ctx, f"{analyser.name} {analyser.version}")
    _print_traces(rule_set.trace(ctx))
    _print_decisions(decisions)


def _say(text: str = "") -> None:
    console.print(text, markup=False, soft_wrap=True)


def _print_context(ctx: TriageContext, model: str) -> None:
    post, author, a = ctx.post, ctx.author, ctx.analysis
    topics = ", ".join(f"{k} {float(v):.2f}" for k, v in sorted(a.topics.items())) or "none"
    intents = ", ".join(f"{k} {float(v):.2f}" for k, v in sorted(a.intents.items())) or "none"
    _say(f"Post on {post.platform} ({post.source}, {post.kind}) by @{author.handle}: {post.text}")
    _say(
        f"Classified by {model}: language {a.language} · topics {topics} · intents {intents}"
        f" · sentiment {a.sentiment} ({a.sentiment_score:+.2f}) · abuse {a.abuse:.2f}"
    )
    opening = "open" if ctx.open_now() else "closed"
    _say(
        f"Clock {ctx.local_now():%a %Y-%m-%d %H:%M %Z} ({opening}) · thread {ctx.state()},"
        f" {ctx.exchanges} exchange(s) · author {'first post' if ctx.first_time else 'returning'},"
        f" followers {author.followers if author.followers is not None else 'unknown'}"
        f"{', known bot' if ctx.known_bot() else ''}"
    )


def _print_traces(traces: list[RuleTrace]) -> None:
    group = None
    for trace in traces:
        if trace.group != group:
            group = trace.group
            _say(f"\ngroup {group}")
        mark = "✓" if trace.explanation.passed else "✗"
        note = f"  → {trace.note}" if trace.note else ""
        _say(f"  {mark} {trace.rule.name} ({trace.rule.settings.action}){note}")
        root = trace.explanation
        parts = root.parts if root.text == "all of" else [root]
        for part in parts:
            for line in part.lines(3):
                _say(line)


def _print_decisions(decisions: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    _say("\nResult:")
    for decision, items in decisions:
        extras = [f"priority {decision['priority']}"]
        if decision.get("alert_to"):
            extras.append(f"to {decision['alert_to']}")
        if decision.get("assigned_to"):
            extras.append(f"assign {decision['assigned_to']}")
        if decision.get("tags"):
            extras.append(f"tags {', '.join(decision['tags'])}")
        if decision.get("remind_after_hours"):
            extras.append(f"remind after {decision['remind_after_hours']:g} h")
        _say(f"  {decision['rule']} → {decision['action']} ({'; '.join(extras)})")
        if decision.get("note"):
            _say(f"    note: {decision['note']}")
        for item in items:
            if item["kind"] == "reply":
                how = "sent automatically" if item["state"] == "queued" else "drafted for staff"
                _say(f"    reply ({how}): {item['payload']['text']}")
            else:
                _say(f"    staff alert ({item['priority']})")
