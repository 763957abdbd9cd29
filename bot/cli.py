"""The `salon` command line."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select
from sqlmodel import col

from bot.cli_nlp import nlp_app
from bot.cli_rules import rules_app
from bot.errors import SalonError
from config.errors import ConfigError
from config.loader import load_settings, packaged_text
from config.settings import Settings
from connectors.errors import ConnectorError
from nlp.errors import NlpError

app = typer.Typer(
    name="salon",
    help="Keep a cultural institution in conversation with its public on social media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(nlp_app)
app.add_typer(rules_app)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="SALON_CONFIG", help="The YAML configuration file."),
]
DEFAULT_CONFIG = Path("salon.yaml")


def _load(path: Path) -> Settings:
    return load_settings(path)


@app.command()
def init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the configuration.")
    ] = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Write a commented example configuration and an editable copy of the topic taxonomy."""
    taxonomy = path.parent / "taxonomy.yaml"
    for target in (path, taxonomy):
        if target.exists() and not force:
            raise SalonError(f"{target} already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = packaged_text("example.yaml").replace(
        "  # taxonomy_file: taxonomy.yaml", "  taxonomy_file: taxonomy.yaml"
    )
    path.write_text(text, encoding="utf-8")
    taxonomy.write_text(
        resources.files("config").joinpath("default_taxonomy.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    console.print(f"Wrote {path} and {taxonomy}. Next: `salon check -c {path}`.")


@app.command()
def check(
    config: ConfigOption = DEFAULT_CONFIG,
    online: Annotated[bool, typer.Option(help="Also ask each platform who we are.")] = False,
) -> None:
    """Validate the configuration and list every problem with its path."""
    from bot.check import check_settings

    try:
        settings = _load(config)
        problems = check_settings(settings)
    except ConfigError as exc:
        problems = exc.problems
    if not problems and online:
        problems = asyncio.run(_check_online(settings))
    if problems:
        err.print(f"{config}: {len(problems)} problem(s)")
        for problem in problems:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(1)
    console.print(
        f"{config}: OK ({len(settings.sources)} sources, "
        f"{len(settings.triage.rules)} rules, {len(settings.templates)} templates)"
    )


async def _check_online(settings: Settings) -> list[str]:
    from bot.app import build_connectors

    problems = []
    for name, connector in build_connectors(settings).items():
        try:
            me = await connector.whoami()
            console.print(f"{name}: signed in as {me.handle}")
        except ConnectorError as exc:
            problems.append(f"{name}: {exc}")
    return problems


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo store and digest.")] = Path(
        "salon-demo"
    ),
) -> None:
    """Run the whole loop on the bundled demo data (no credentials, SQLite)."""
    from bot.demo_runner import print_summary, run_demo

    summary = asyncio.run(run_demo(out, console))
    print_summary(summary, console)


@app.command()
def poll(
    config: ConfigOption = DEFAULT_CONFIG,
    once: Annotated[
        bool, typer.Option("--once", help="Poll every source once, then exit.")
    ] = False,
) -> None:
    """Poll every source once, then classify, triage and deliver."""
    from bot.app import Salon

    if not once:
        raise SalonError("`salon poll` needs --once (use `salon run` to keep polling)")
    salon = Salon(_load(config))

    async def go() -> None:
        try:
            for name in salon.sources:
                result = await salon.poll(name)
                status = (
                    result.error
                    or result.skipped
                    or (
                        f"{result.fetched} fetched, {result.stats.new} new, "
                        f"{result.stats.updated} updated"
                        + (", more waiting" if result.has_more else "")
                    )
                )
                console.print(f"{name}: {status}", markup=False)
            classified = salon.classify()
            triaged = salon.triage()
            delivered = await salon.deliver()
            console.print(
                f"classified {classified}; alerts {triaged.alerts}, drafts {triaged.drafts}, "
                f"auto-replies {triaged.auto_replies}; delivered {delivered.sent}"
            )
        finally:
            await salon.aclose()

    asyncio.run(go())


@app.command()
def run(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Run as a service: scheduled polls, processing, delivery and the weekly digest."""
    from bot.app import Salon
    from bot.service import Service

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    service = Service(Salon(_load(config)))
    asyncio.run(service.run())


@app.command()
def digest(
    config: ConfigOption = DEFAULT_CONFIG,
    preview: Annotated[bool, typer.Option(help="Write the digest files without sending.")] = False,
    out: Annotated[Path | None, typer.Option(help="Folder for the files.")] = None,
) -> None:
    """Write this week's digest (Markdown, HTML, PNG chart); without --preview, also send it."""
    from bot.app import Salon

    settings = _load(config)
    salon = Salon(settings)

    async def go() -> None:
        try:
            report = salon.digest(
                datetime.now(UTC), out or settings.digest.out_dir, enqueue=not preview
            )
            if not preview:
                await salon.deliver()
            for kind, path in report.files.items():
                console.print(f"{kind}: {path}")
        finally:
            await salon.aclose()

    asyncio.run(go())


@app.command()
def status(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Sources (last poll, failures, pause, requests this month), outbox counts, conversation
    states and last week's response figures per channel."""
    from rich.table import Table

    from bot.app import Salon
    from bot.conversations import state_counts
    from bot.models import OutboxItem, SourceState
    from bot.response_metrics import TABLE_HEADER, response_metrics, table_rows

    settings = _load(config)
    salon = Salon(settings, connectors={})
    table = Table("source", "last success", "failures", "paused until", "requests (month)", "error")
    with salon.session() as session:
        states = {s.name: s for s in session.scalars(select(SourceState))}
        for spec in settings.sources:
            s = states.get(spec.name)
            budget = f"/{spec.monthly_request_budget}" if spec.monthly_request_budget else ""
            table.add_row(
                spec.name,
                f"{s.last_success_at:%Y-%m-%d %H:%M}" if s and s.last_success_at else "never",
                str(s.consecutive_failures if s else 0),
                f"{s.paused_until:%Y-%m-%d %H:%M}" if s and s.paused_until else "",
                f"{s.requests_this_month if s else 0}{budget}",
                (s.last_error or "") if s else "",
            )
        counts = session.execute(
            select(col(OutboxItem.kind), col(OutboxItem.state), func.count()).group_by(
                col(OutboxItem.kind), col(OutboxItem.state)
            )
        ).all()
        conversations = state_counts(session)
        now = salon.clock()
        week = response_metrics(
            session, now - timedelta(days=7), now, min_intent_score=settings.nlp.min_intent_score
        )
    console.print(table)
    console.print("outbox: " + (", ".join(f"{k} {s}: {n}" for k, s, n in counts) or "empty"))
    console.print("conversations: " + ", ".join(f"{k} {n}" for k, n in conversations.items()))
    responses = Table(*TABLE_HEADER, title="Responses, last 7 days", title_justify="left")
    for row in table_rows({"all": week.overall, **week.by_platform}, limit=20):
        responses.add_row(*row)
    console.print(responses)
    salon.engine.dispose()


def main() -> None:
    """Entry point: one-line errors, non-zero exit codes, never a traceback for bad input."""
    if os.environ.get("SALON_DEBUG"):
        app()
        return
    try:
        app()
    except (ConfigError, SalonError, ConnectorError, NlpError) as exc:
        err.print(f"salon: error: {exc}", markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
