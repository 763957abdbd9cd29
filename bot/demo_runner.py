"""`salon demo`: the whole loop on the bundled data, with a printed summary."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlmodel import col

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.models import Classification, OutboxItem, OutboxKind, Post
from config.loader import demo_settings

#: the demo's "now": Monday 16 November 2026, 09:00 in Port Avel, the morning after its three
#: weeks of data end (digest time); every step runs at this time, so every run is the same
DEMO_CLOCK = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
DEMO_WEEKS = 3


@dataclass(slots=True)
class DemoSummary:
    """Figures the demo prints (and tests check)."""

    new_posts: int = 0
    total_posts: int = 0
    classified: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    alerts_delivered: int = 0
    replies_sent: int = 0
    unanswered: int = 0
    connectors: list[str] = field(default_factory=list)  # the digest's key connectors
    reminders: int = 0  # reminders and escalations raised this run
    spikes: list[str] = field(default_factory=list)  # spike alerts raised this run
    warnings: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


async def run_demo(out_dir: Path, console: Console, *, panels: int = 4) -> DemoSummary:
    """Poll, store, classify, triage, deliver and write the digest into ``out_dir``."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    sink = ConsoleSink(console, panels=panels)
    salon = Salon(demo_settings(out_dir), sink=sink, clock=lambda: DEMO_CLOCK)
    try:
        result = await salon.cycle(spikes_since=DEMO_CLOCK - timedelta(weeks=DEMO_WEEKS))
        summary = DemoSummary(
            new_posts=sum(p.stats.new for p in result["polls"]),
            classified=result["classified"],
            alerts_delivered=len(sink.delivered),
            replies_sent=result["delivery"].sent - len(sink.delivered),
            warnings=[w for p in result["polls"] for w in p.warnings],
            reminders=result["reminders"].reminders + result["reminders"].escalations,
            spikes=[
                f"{s.label} {s.window_start:%a %d %b %H:%M} UTC: {s.count}"
                f" (usually {s.baseline:.1f})"
                for s in result["spikes"]
            ],
        )
        with salon.session() as session:
            summary.total_posts = session.scalar(select(func.count()).select_from(Post)) or 0
            summary.topics = _counts(session, col(Classification.top_topic))
            summary.sentiment = _counts(session, col(Classification.sentiment))
            states = session.execute(
                select(col(OutboxItem.kind), col(OutboxItem.state), func.count()).group_by(
                    col(OutboxItem.kind), col(OutboxItem.state)
                )
            ).all()
            summary.outbox = {f"{kind} {state}": n for kind, state, n in states}
        report = salon.digest(DEMO_CLOCK, out_dir)
        summary.files = report.files
        summary.unanswered = len(report.digest.unanswered)
        summary.connectors = [c.name for c in report.digest.community.connectors]
    finally:
        await salon.aclose()
    summary.seconds = time.perf_counter() - started
    return summary


def _counts(session: Any, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return dict(Counter({str(k or "(none)"): n for k, n in rows}).most_common())


def print_summary(summary: DemoSummary, console: Console) -> None:
    """The demo's closing summary."""
    table = Table(title="Salon demo", show_header=False, title_justify="left")
    table.add_row("Posts ingested", f"{summary.new_posts} new ({summary.total_posts} in the store)")
    table.add_row("Posts classified", str(summary.classified))
    table.add_row("Topics", ", ".join(f"{k} {v}" for k, v in summary.topics.items()))
    table.add_row("Sentiment", ", ".join(f"{k} {v}" for k, v in summary.sentiment.items()))
    alerts = sum(v for k, v in summary.outbox.items() if k.startswith(OutboxKind.ALERT.value))
    drafts = summary.outbox.get("reply draft", 0)
    sent = summary.outbox.get("reply sent", 0)
    table.add_row("Staff alerts", f"{alerts} ({summary.alerts_delivered} delivered this run)")
    table.add_row("Replies", f"{drafts} drafted for approval, {sent} sent automatically")
    table.add_row("Unanswered questions", f"{summary.unanswered} in the digest week")
    table.add_row("Key connectors", ", ".join(summary.connectors) or "none found")
    table.add_row("Reminders", f"{summary.reminders} raised this run (unanswered past the limit)")
    table.add_row("Spike alerts", "\n".join(summary.spikes) or "none raised this run")
    for name, path in summary.files.items():
        table.add_row(f"Digest ({name})", str(path))
    if summary.warnings:
        table.add_row("Input problems", "\n".join(summary.warnings))
    table.add_row("Time", f"{summary.seconds:.1f} s")
    console.print(table)
