"""Shared fixtures: stores on SQLite always, and on PostgreSQL too when it is configured.

``SALON_TEST_DATABASE_URL`` (a PostgreSQL URL; ``.ci/run`` sets it when a server answers on
loopback) makes every test that asks for ``database_url``, ``new_database``, ``engine`` or
``session`` run twice: ``[sqlite]`` and ``[postgresql]``. Every store starts empty and migrated
(``alembic upgrade`` ran on it): SQLite tests get a copy of a store migrated once per run;
PostgreSQL tests get a schema of their own, migrated once per run and emptied before each test
(dropping and re-creating a schema costs half a second; emptying it a few milliseconds), and
extra stores (``new_database`` called again) in fresh schemas dropped after the test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from bot.db import create, open_engine

PG_URL = os.environ.get("SALON_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

NewDatabase = Callable[[], str]
# PostgreSQL-only tests (row locks, worker processes) exist only when it is configured
collect_ignore = [] if PG_URL else ["test_workers_pg.py"]


def schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search path (and application name) set to ``schema``;
    commits do not wait for the disk (a test store needs no durability)."""
    options = quote(f"-csearch_path={schema} -csynchronous_commit=off")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={options}&application_name={schema}"


@dataclass
class PgSchemas:
    """PostgreSQL schemas made for this test run (names unique to the run), dropped at its end."""

    base: str
    admin: Engine = field(init=False)
    made: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.admin = create(self.base)

    def new_empty(self) -> str:
        """A fresh, empty schema; its URL."""
        name = f"salon_test_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        self.made.append(name)
        return schema_url(self.base, name)

    def new(self) -> str:
        """A fresh, migrated schema; its URL."""
        url = self.new_empty()
        open_engine(url).dispose()
        return url

    def _disconnect(self, name: str) -> None:
        """End connections a test left open on ``name`` (they could hold locks)."""
        with self.admin.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def empty(self, url: str) -> None:
        """Delete every row of the schema behind ``url`` and restart its id sequences."""
        name = url.rsplit("application_name=", 1)[1]
        self._disconnect(name)
        tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
        with self.admin.begin() as conn:
            conn.execute(text(f'SET LOCAL search_path TO "{name}"'))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            sequences = conn.execute(
                text(
                    "SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = :name"
                ),
                {"name": name},
            ).scalars()
            for sequence in list(sequences):
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))

    def drop(self, url: str) -> None:
        """Drop the schema behind ``url``."""
        name = url.rsplit("application_name=", 1)[1]
        self._disconnect(name)
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        self.made.remove(name)

    def close(self) -> None:
        """Drop what is left and disconnect."""
        for name in list(self.made):
            self.drop(schema_url(self.base, name))
        self.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store migrated to the head, once per run."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    open_engine(f"sqlite:///{path}").dispose()  # the last connection checkpoints the WAL
    return path


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas]:
    """The run's PostgreSQL schemas (only when ``SALON_TEST_DATABASE_URL`` is set)."""
    schemas = PgSchemas(PG_URL)
    yield schemas
    schemas.close()


@pytest.fixture(scope="session")
def pg_main(pg_schemas: PgSchemas) -> str:
    """The schema most PostgreSQL tests share, one test at a time (emptied before each)."""
    return pg_schemas.new()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, and ``postgresql`` when ``SALON_TEST_DATABASE_URL`` is set."""
    return str(request.param)


@pytest.fixture
def new_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[NewDatabase]:
    """Makes empty, migrated stores on the test's backend; returns each one's URL."""
    extra: list[tuple[PgSchemas, str]] = []
    count = 0

    def make() -> str:
        nonlocal count
        count += 1
        if backend == "sqlite":
            path = tmp_path / ("db.sqlite" if count == 1 else f"db{count}.sqlite")
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        schemas: PgSchemas = request.getfixturevalue("pg_schemas")
        if count == 1:
            url: str = request.getfixturevalue("pg_main")
            schemas.empty(url)
            return url
        url = schemas.new()
        extra.append((schemas, url))
        return url

    yield make
    for schemas, url in extra:
        schemas.drop(url)


@pytest.fixture
def database_url(new_database: NewDatabase) -> str:
    """The URL of an empty, migrated store (SQLite, or PostgreSQL too: see the module)."""
    return new_database()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty, migrated store."""
    eng = open_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh store."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
