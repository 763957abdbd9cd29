"""Opening the database: SQLite (WAL) by default, PostgreSQL by URL; the schema by migrations."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import create_engine

from bot import models  # noqa: F401 - registers the tables on SQLModel.metadata
from bot.errors import StoreError


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for memory or other backends)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return None
    return Path(url[len(prefix) :])


def is_postgresql(url: str) -> bool:
    """True for a PostgreSQL URL (any driver)."""
    return url.startswith(("postgresql", "postgres"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    # Switching a new file to WAL needs an exclusive lock and SQLite may answer "database is
    # locked" at once, without waiting, when several processes open it at the same moment.
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.05 * (1 + attempt % 5))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _check_sqlite_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create database folder {folder}: {exc.strerror}") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"database file {path} is not writable (check its permissions)")
    if not path.exists() and not os.access(folder, os.W_OK):
        raise StoreError(f"cannot create database {path}: folder {folder} is not writable")


def _postgresql_args(url: str) -> dict[str, Any]:
    """Sessions in UTC whatever the server's time zone (the store keeps naive UTC), keeping
    any ``options`` the URL carries (``?options=-csearch_path%3Dtenant``)."""
    options = make_url(url).query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    return {"options": f"{options} -c timezone=UTC".strip()}


def create(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` without touching the schema; :class:`StoreError` if unusable."""
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_folder(path)
    kwargs: dict[str, Any] = {"echo": echo}
    try:
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            if is_postgresql(url):
                kwargs["connect_args"] = _postgresql_args(url)
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:  # bad URL, missing driver
        raise StoreError(f"cannot use database URL ({type(exc).__name__}: {exc})") from None
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def store_errors() -> Iterator[None]:
    """The driver's errors (server down, wrong password, ...) as :class:`StoreError`."""
    try:
        yield
    except DBAPIError as exc:
        raise StoreError(f"cannot use the database: {exc.orig}") from None


def ensure_schema(engine: Engine, *, migrate: bool = True) -> None:
    """Bring the schema to this version's head (``migrate``), or check that it is there."""
    from bot import migrations

    with store_errors():
        with engine.connect() as connection:
            at = migrations.current(connection)
        if at == migrations.head():
            return
        if not migrate:
            raise StoreError(
                f"the database schema is at {at or 'nothing (empty database)'}, this version of "
                f"Salon needs {migrations.head()}: run `salon db upgrade -c CONFIG` "
                f"(or set database.auto_migrate: true)"
            )
        migrations.upgrade(engine)


def open_engine(url: str, *, echo: bool = False, migrate: bool = True) -> Engine:
    """Connect to ``url`` and migrate its schema to the head (``migrate``) or check that it is
    at the head; :class:`StoreError` says what is wrong."""
    engine = create(url, echo=echo)
    try:
        ensure_schema(engine, migrate=migrate)
    except BaseException:
        engine.dispose()
        raise
    return engine
