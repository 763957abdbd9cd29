"""Operating Salon: ``salon status``, and the GDPR tools ``salon export`` and ``salon erase``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.cli_options import DEFAULT_CONFIG, ConfigOption
from bot.errors import SalonError
from config.loader import load_settings
from config.settings import Settings, SourceSettings

ops_app = typer.Typer()
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)
CURSOR_WIDTH = 24

AuthorOption = Annotated[
    str, typer.Option("--author", help="The author's handle (with or without @).")
]
PlatformOption = Annotated[
    str | None, typer.Option("--platform", help="Only the author's account on this platform.")
]


@ops_app.command()
def status(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Sources (last success, cursor, failures, pause, quota left), outbox counts, sending
    pause, model versions, conversation states and last week's response figures."""
    from bot.app import Salon
    from bot.conversations import state_counts
    from bot.leases import leases, source_job
    from bot.models import OutboxItem, SourceState
    from bot.outbox import SENDING_PAUSED, sending_paused
    from bot.response_metrics import TABLE_HEADER, response_metrics, table_rows

    settings = load_settings(config)
    salon = Salon(settings, connectors={})
    table = Table(
        "source",
        "last success",
        "cursor",
        "failures",
        "paused until",
        "quota left",
        "worker",
        "error",
    )
    try:
        with salon.session() as session:
            now = salon.clock()
            states = {s.name: s for s in session.scalars(select(SourceState))}
            held = {lease.name: lease for lease in leases(session)}
            for spec in settings.sources:
                cells = _source_row(spec, states.get(spec.name), now)
                cells.insert(-1, _lease_cell(held.get(source_job(spec.name)), now))
                table.add_row(*cells)
            counts = session.execute(
                select(col(OutboxItem.kind), col(OutboxItem.state), func.count()).group_by(
                    col(OutboxItem.kind), col(OutboxItem.state)
                )
            ).all()
            paused = sending_paused(session)
            paused_by = _flag_setter(session, SENDING_PAUSED) if paused else ""
            models = _model_lines(settings, session)
            conversations = state_counts(session)
            week = response_metrics(
                session,
                now - timedelta(days=7),
                now,
                min_intent_score=settings.nlp.min_intent_score,
            )
    finally:
        salon.engine.dispose()
    console.print(table)
    console.print("outbox: " + (", ".join(f"{k} {s}: {n}" for k, s, n in counts) or "empty"))
    sending = f"paused{paused_by} (/resume to restart)" if paused else "on"
    if settings.outbox.dry_run:
        sending += " (dry run: replies are recorded, never sent)"
    console.print(f"public replies: {sending}")
    for line in models:
        console.print(line, markup=False)
    console.print("conversations: " + ", ".join(f"{k} {n}" for k, n in conversations.items()))
    responses = Table(*TABLE_HEADER, title="Responses, last 7 days", title_justify="left")
    for row in table_rows({"all": week.overall, **week.by_platform}, limit=20):
        responses.add_row(*row)
    console.print(responses)


def _source_row(spec: SourceSettings, state: Any, now: datetime) -> list[str]:
    """One source's line: last success, cursor, failures, pause, quota left, last error."""
    if state is None:
        left = str(spec.monthly_request_budget) if spec.monthly_request_budget else "no budget"
        return [spec.name, "never", "", "0", "", left, ""]
    cursor = state.cursor or ""
    if len(cursor) > CURSOR_WIDTH:
        cursor = cursor[: CURSOR_WIDTH - 1] + "…"
    paused = state.paused_until if state.paused_until and state.paused_until > now else None
    if spec.monthly_request_budget:
        used = state.requests_this_month if state.budget_month == f"{now:%Y-%m}" else 0
        left = f"{max(0, spec.monthly_request_budget - used)}/{spec.monthly_request_budget}"
    else:
        left = "no budget"
    return [
        spec.name,
        f"{state.last_success_at:%Y-%m-%d %H:%M}" if state.last_success_at else "never",
        cursor,
        str(state.consecutive_failures),
        f"{paused:%Y-%m-%d %H:%M}" if paused else "",
        left,
        state.last_error or "",
    ]


def _lease_cell(lease: Any, now: datetime) -> str:
    """Who polls the source now (``host:pid:… until HH:MM:SS``), or "" when nobody does."""
    if lease is None or not lease.holder or lease.until is None or lease.until <= now:
        return ""
    return f"{lease.holder} until {lease.until:%H:%M:%S}"


def _flag_setter(session: Session, name: str) -> str:
    from bot.models import Flag

    flag = session.get(Flag, name)
    if flag is None or not flag.set_by:
        return ""
    when = f" at {flag.set_at:%Y-%m-%d %H:%M} UTC" if flag.set_at else ""
    return f" by {flag.set_by}{when}"


def _model_lines(settings: Settings, session: Session) -> list[str]:
    """The configured classifier's version, the shipped models', and what the store holds."""
    from bot.app import configured_taxonomy
    from bot.models import Classification
    from nlp.pipeline import CLASSIFIER_NAME, classifier_version, model_versions

    nlp = settings.nlp
    version = classifier_version(configured_taxonomy(settings), nlp.trained_models, nlp.topic_model)
    lines = [f"classifier: {CLASSIFIER_NAME} {version}"]
    if nlp.trained_models:
        lines.append(
            "trained models: " + ", ".join(f"{t} {v}" for t, v in model_versions().items())
        )
    stored = session.execute(
        select(col(Classification.model), col(Classification.version), func.count())
        .group_by(col(Classification.model), col(Classification.version))
        .order_by(func.count().desc())
    ).all()
    held = ", ".join(f"{m} {v}: {n}" for m, v, n in stored) or "none yet"
    lines.append(f"classifications stored by version: {held}")
    return lines


@ops_app.command()
def export(
    author: AuthorOption,
    platform: PlatformOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default: standard output).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Everything stored about an author, as JSON (the right of access): their posts,
    classifications, decisions, our replies and alerts about them, staff actions, corrections."""
    from bot.privacy import export_author

    with _session(config) as session:
        data = export_author(session, author, platform)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    _write_private(out, text)
    posts = sum(len(a["posts"]) for a in data["authors"])
    err.print(f"wrote {posts} post(s) of {len(data['authors'])} account(s) to {out}", markup=False)


@ops_app.command()
def erase(
    author: AuthorOption,
    platform: PlatformOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Erase an author (the right to erasure): texts, raw payloads and URLs of their posts,
    their handle and name, quotes in alerts and digests; their future posts are stored without
    text. The classifications and counts stay; the erasure is recorded without personal data."""
    from bot.models import Post, utcnow
    from bot.privacy import erase_author, find_authors

    with _session(config) as session:
        found = find_authors(session, author, platform)
        ids = [a.id for a in found]
        posts = session.scalar(select(func.count()).where(col(Post.author_id).in_(ids))) or 0
        accounts = ", ".join(f"{a.platform}:{a.handle}" for a in found)
        if found and not yes:
            typer.confirm(f"Erase {accounts} ({posts} post(s))? This cannot be undone", abort=True)
        erasure = erase_author(session, author, platform, actor="cli", now=utcnow())
    console.print(
        f"erased {erasure.authors} account(s): {erasure.posts} post(s) cleared,"
        f" {erasure.outbox_items} alert(s)/repl(ies) scrubbed ({erasure.cancelled} cancelled),"
        f" {erasure.digests} digest(s) edited",
        markup=False,
    )


@contextmanager
def _session(config: Path) -> Iterator[Session]:
    """A session on the configured store; the engine is disposed on exit."""
    from bot.db import open_engine

    engine = open_engine(load_settings(config).database.url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: it is personal data."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise SalonError(f"--out: cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
