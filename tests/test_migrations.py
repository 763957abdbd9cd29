"""Migrations: the migrated schema is the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from bot import migrations
from bot.cli import app
from bot.db import create, open_engine
from bot.errors import StoreError
from tests.conftest import NewDatabase, PgSchemas


def test_the_migrated_schema_equals_the_models(database_url: str) -> None:
    engine = create(database_url)
    with engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        assert migrations.differences(connection) == []
        tables = set(inspect(connection).get_table_names())
    assert tables == {*SQLModel.metadata.tables, migrations.VERSION_TABLE}
    engine.dispose()


def test_downgrade_to_nothing_then_upgrade_again(new_database: NewDatabase) -> None:
    new_database()  # the first store of a PostgreSQL test is shared; use one of our own
    engine = create(new_database())
    with engine.begin() as connection:
        command.downgrade(migrations.alembic_config(connection), "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {migrations.VERSION_TABLE}
        assert migrations.current(connection) is None
    assert migrations.upgrade(engine) == (None, migrations.head())
    with engine.connect() as connection:
        assert migrations.differences(connection) == []
    engine.dispose()


def test_workers_starting_together_migrate_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    schemas: PgSchemas | None = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        schemas = request.getfixturevalue("pg_schemas")
        url = schemas.new_empty()
    engines = [create(url) for _ in range(3)]
    results: list[tuple[str | None, str | None]] = []
    errors: list[BaseException] = []

    def start(i: int) -> None:
        try:
            results.append(migrations.upgrade(engines[i]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results, key=str) == sorted(
        [(None, migrations.head())] + [(migrations.head(), migrations.head())] * 2, key=str
    )
    for engine in engines:
        engine.dispose()
    if schemas is not None:
        schemas.drop(url)


def test_a_store_made_before_migrations_is_adopted_if_it_matches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create(url)
    SQLModel.metadata.create_all(old)
    old.dispose()
    engine = open_engine(url)
    with engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
    engine.dispose()


def test_a_store_made_before_migrations_that_differs_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create(url)
    SQLModel.metadata.create_all(old)
    with old.begin() as connection:
        connection.execute(text("DROP TABLE flag"))
    old.dispose()
    with pytest.raises(StoreError, match=r"no migration history.*differ.*flag"):
        open_engine(url)


def test_without_auto_migrate_an_old_schema_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(StoreError, match=r"at nothing \(empty database\).*salon db upgrade"):
        open_engine(url, migrate=False)
    open_engine(url).dispose()
    open_engine(url, migrate=False).dispose()  # at the head: fine


def test_revisions_do_not_import_the_models() -> None:
    """A revision must keep working after the models change: plain SQLAlchemy types only."""
    files = sorted((migrations.FOLDER / "versions").glob("*.py"))
    assert [f for f in files if f.name != "__init__.py"]
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert "import bot" not in source and "from bot" not in source, path.name
        assert "sqlmodel" not in source, path.name


def test_salon_db_upgrade_and_current(tmp_path: Path) -> None:
    config = tmp_path / "salon.yaml"
    config.write_text(
        f"institution: {{name: Test}}\ndatabase: {{url: 'sqlite:///{tmp_path / 's.db'}'}}\n"
    )
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "-c", str(config)])
    assert before.exit_code == 0 and "nothing (empty)" in before.output
    assert "run `salon db upgrade`" in before.output
    done = runner.invoke(app, ["db", "upgrade", "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert f"from empty to {migrations.head()}" in done.output
    again = runner.invoke(app, ["db", "upgrade", "-c", str(config)])
    assert f"already at {migrations.head()}" in again.output
    after = runner.invoke(app, ["db", "current", "-c", str(config)])
    assert "(up to date)" in after.output
