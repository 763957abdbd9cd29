"""Opening the database: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel, create_engine

from bot import models  # noqa: F401 - registers the tables on SQLModel.metadata
from bot.errors import StoreError


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for memory or other backends)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:"):
        return None
    return Path(url[len(prefix) :])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    """Connect to ``url`` and create missing tables; :class:`StoreError` says what is wrong."""
    path = sqlite_path(url)
    if path is not None:
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.exists():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create database folder {folder}: {exc.strerror}"
                ) from None
        if path.exists() and not _writable(path):
            raise StoreError(f"database file {path} is not writable (check its permissions)")
        if not path.exists() and not _writable(folder):
            raise StoreError(f"cannot create database {path}: folder {folder} is not writable")
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # bad URL, missing driver
        raise StoreError(f"cannot use database URL ({type(exc).__name__}: {exc})") from None
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        try:
            SQLModel.metadata.create_all(engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open database: {exc.orig}") from None
    return engine


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK)
