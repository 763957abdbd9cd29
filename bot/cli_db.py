"""``salon db``: the store's schema (migrations) from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bot.cli_options import DEFAULT_CONFIG, ConfigOption
from config.loader import load_settings

db_app = typer.Typer(name="db", help="The database schema: migrations.", no_args_is_help=True)
console = Console(highlight=False)


@db_app.command()
def upgrade(
    config: ConfigOption = DEFAULT_CONFIG,
    revision: Annotated[str, typer.Argument(help="The revision to reach.")] = "head",
) -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from bot import migrations
    from bot.db import create, store_errors

    engine = create(load_settings(config).database.url)
    try:
        with store_errors():
            before, after = migrations.upgrade(engine, revision)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"database already at {after}")
    else:
        console.print(f"database migrated from {before or 'empty'} to {after}")


@db_app.command()
def current(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """The database's schema revision, and the newest this version of Salon knows."""
    from bot import migrations
    from bot.db import create, store_errors

    engine = create(load_settings(config).database.url)
    try:
        with store_errors(), engine.connect() as connection:
            at = migrations.current(connection)
    finally:
        engine.dispose()
    head = migrations.head()
    state = "up to date" if at == head else "run `salon db upgrade`"
    console.print(f"database at {at or 'nothing (empty)'}; newest {head} ({state})")


@db_app.command()
def revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change is.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """For developers: write a new migration from the models' difference with the database
    (which must be at the newest revision; an empty SQLite file upgraded first will do)."""
    from bot import migrations
    from bot.db import create, store_errors

    engine = create(load_settings(config).database.url)
    try:
        with store_errors():
            path = migrations.revision(engine, message)
    finally:
        engine.dispose()
    console.print(f"wrote {path}: read it, then run the suite (tests/test_migrations.py)")
