"""The store's schema history (Alembic), applied by ``salon db upgrade`` or when Salon starts.

Every schema change is a revision in ``versions/`` (``salon db revision -m "what"`` writes one
from the difference between the models and a database at the current head). :func:`upgrade`
brings a database to the head in one transaction; on PostgreSQL it first takes an advisory
lock, so workers starting together migrate once. A database made before migrations existed
(tables, no history) is adopted when its tables match the models, and refused otherwise.
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from bot import models
from bot.errors import StoreError

FOLDER = Path(__file__).parent
VERSION_TABLE = "alembic_version"
LOCK_KEY = 0x5A10_0001  # pg_advisory_xact_lock key: one migration at a time per database


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for Salon's migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this version of Salon knows."""
    revision = _script().get_current_head()
    if revision is None:  # pragma: no cover - the package always ships its migrations
        raise StoreError(f"no migrations found in {FOLDER}")
    return revision


def _render_item(kind: str, obj: Any, autogen: Any) -> str | bool:
    """Write Salon's column types as plain SQLAlchemy ones, so that a revision never imports
    the models it migrates (which change after it)."""
    if kind == "type" and isinstance(obj, models.UTCDateTime):
        return "sa.DateTime()"
    if kind == "type" and isinstance(obj, AutoString):
        return "sa.String()"
    return False


def context_options(connection: Connection) -> dict[str, Any]:
    """The options every migration context gets (env.py, comparisons)."""
    return {
        "target_metadata": SQLModel.metadata,
        "version_table": VERSION_TABLE,
        "render_item": _render_item,
        "render_as_batch": connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        "compare_type": True,
    }


def configure_context(context: Any, connection: Connection) -> None:
    """Configure alembic's environment context on ``connection`` (called from env.py)."""
    context.configure(connection=connection, **context_options(connection))


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: no migration history)."""
    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


def differences(connection: Connection) -> list[Any]:
    """What differs between the database's schema and the models (empty: they match)."""
    context = MigrationContext.configure(connection, opts=context_options(connection))
    return [
        diff
        for diff in compare_metadata(context, SQLModel.metadata)
        if not (diff[0] == "remove_table" and diff[1].name == VERSION_TABLE)
    ]


def _lock(connection: Connection) -> None:
    """One migration at a time, all of it in one transaction (SQLite too: its driver would
    otherwise commit each DDL statement on its own)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database to ``revision`` in one transaction; returns (before, after)."""
    with engine.begin() as connection:
        _lock(connection)
        before = current(connection)
        if before is None and inspect(connection).has_table("post"):
            _adopt(connection)
            before = head()
        command.upgrade(alembic_config(connection), revision)
        return before, current(connection)


def _adopt(connection: Connection) -> None:
    """Stamp a database made before migrations at the head, if its tables match the models."""
    diffs = differences(connection)
    if diffs:
        raise StoreError(
            f"the database has Salon's tables but no migration history, and they differ from "
            f"this version's ({len(diffs)} difference(s), first: {diffs[0]}); "
            f"start a new database or migrate it by hand"
        )
    command.stamp(alembic_config(connection), "head")


def stamp(engine: Engine, revision: str = "head") -> None:
    """Record ``revision`` as the database's schema without running anything (repairs)."""
    with engine.begin() as connection:
        _lock(connection)
        command.stamp(alembic_config(connection), revision)


def revision(engine: Engine, message: str) -> Path:
    """Write a new revision from the difference between the models and the database (which
    must be at the head); returns its file."""
    with engine.begin() as connection:
        if current(connection) != _current_head_or_none():
            raise StoreError("the database must be at the current head (`salon db upgrade`)")
        script = command.revision(alembic_config(connection), message, autogenerate=True)
    _script.cache_clear()
    if script is None or isinstance(script, list):  # pragma: no cover - one head, one script
        raise StoreError("alembic wrote no single revision")
    path = Path(script.path)
    for args in (["format"], ["check", "--fix", "--quiet"]):  # the project's style, if ruff is here
        subprocess.run([sys.executable, "-m", "ruff", *args, str(path)], check=False)
    return path


def _current_head_or_none() -> str | None:
    return _script().get_current_head()
