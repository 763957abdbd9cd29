"""The `salon` command line."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli_db import db_app
from bot.cli_nlp import nlp_app
from bot.cli_ops import ops_app
from bot.cli_options import DEFAULT_CONFIG, ConfigOption
from bot.cli_rules import rules_app
from bot.errors import SalonError
from config.errors import ConfigError
from config.loader import load_settings, packaged_text
from config.settings import LogFormat, Settings
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
app.add_typer(ops_app)  # status, export, erase
app.add_typer(db_app)  # upgrade, current, revision
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


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
    """Poll every source once, then classify, triage, remind, look for spikes and deliver."""
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
            reminded = salon.remind()
            reminders = reminded.reminders + reminded.escalations
            spikes = salon.spikes()
            delivered = await salon.deliver()
            console.print(
                f"classified {classified}; alerts {triaged.alerts}, drafts {triaged.drafts}, "
                f"auto-replies {triaged.auto_replies}; reminders {reminders}, "
                f"spikes {len(spikes)}; delivered {delivered.sent}"
            )
        finally:
            await salon.aclose()

    asyncio.run(go())


@app.command()
def run(
    config: ConfigOption = DEFAULT_CONFIG,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(help="json, human, or auto: JSON lines unless stderr is a terminal."),
    ] = None,
    worker: Annotated[
        bool,
        typer.Option("--worker", help="One of several processes sharing a PostgreSQL database."),
    ] = False,
    lease_seconds: Annotated[
        float,
        typer.Option(min=5.0, help="--worker: how long a dead worker keeps its sources."),
    ] = 60.0,
) -> None:
    """Run as a service: scheduled polls, processing, delivery and the weekly digest."""
    from bot.app import Salon
    from bot.logging_setup import configure_logging
    from bot.service import Service
    from bot.workers import WorkerService, require_postgresql

    settings = _load(config)
    if worker:
        require_postgresql(settings.database.url)
    configure_logging(settings, log_format=log_format)
    salon = Salon(settings)
    service = WorkerService(salon, lease_seconds=lease_seconds) if worker else Service(salon)
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
