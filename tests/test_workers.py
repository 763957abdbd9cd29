"""Leases and workers: each source polled by one worker at a time, taken over when one dies.

These run on SQLite and, when configured, PostgreSQL (the lease statements are the same);
tests that need PostgreSQL's row locking or several processes are in test_workers_pg.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col
from typer.testing import CliRunner

from bot import leases
from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.cli import app
from bot.errors import SalonError
from bot.models import Lease, Post
from bot.workers import WorkerService, require_postgresql
from connectors.base import Author
from connectors.serialize import post_to_dict
from tests.conftest import NewDatabase
from tests.helpers import T0, KeywordAnalyser, make_post, settings_from

JOBS = ["source:a", "source:b"]
MUSEUM_FAN = Author(id="42", handle="same_handle_everywhere")


def test_one_worker_claims_a_due_job_and_others_wait_for_it(session: Session) -> None:
    assert leases.claim_due(session, JOBS, "w1", 60, T0) == JOBS
    assert leases.claim_due(session, JOBS, "w2", 60, T0 + timedelta(seconds=1)) == []
    session.commit()
    assert leases.release(session, "source:a", "w1", due_at=T0 + timedelta(minutes=5))
    session.commit()
    later = T0 + timedelta(seconds=30)
    assert leases.claim_due(session, JOBS, "w2", 60, later) == []  # a: not due; b: w1's
    due = T0 + timedelta(minutes=5)
    assert leases.claim_due(session, JOBS, "w2", 60, due) == ["source:a", "source:b"]
    lease = session.get(Lease, "source:b")
    assert lease is not None and lease.holder == "w2" and lease.runs == 2


def test_a_dead_workers_lease_is_taken_over_when_it_expires(session: Session) -> None:
    assert leases.claim_due(session, ["source:a"], "dead", 60, T0) == ["source:a"]
    session.commit()
    assert leases.claim_due(session, ["source:a"], "w2", 60, T0 + timedelta(seconds=59)) == []
    assert leases.claim_due(session, ["source:a"], "w2", 60, T0 + timedelta(seconds=61)) == [
        "source:a"
    ]
    session.commit()
    # the dead worker, back from a long pause, finds it is no longer the holder
    assert not leases.hold(session, "source:a", "dead", 60, T0 + timedelta(seconds=62))
    assert not leases.release(session, "source:a", "dead", T0)
    assert leases.hold(session, "source:a", "w2", 60, T0 + timedelta(seconds=62))


def test_a_stopping_worker_frees_its_leases(session: Session) -> None:
    leases.claim_due(session, JOBS, "w1", 600, T0)
    assert leases.release_all(session, "w1") == 2
    session.commit()
    assert leases.claim_due(session, JOBS, "w2", 600, T0 + timedelta(seconds=1)) == JOBS


def feed(tmp_path: Path, name: str, count: int) -> Path:
    path = tmp_path / f"{name}.jsonl"
    posts = [make_post(f"{name}{i}", f"is it open today? ({i})", minutes=i) for i in range(count)]
    path.write_text("".join(json.dumps(post_to_dict(p)) + "\n" for p in posts))
    return path


def worker(tmp_path: Path, url: str, holder: str, engine: Engine | None = None) -> WorkerService:
    sources = [
        {
            "name": name,
            "platform": "replay",
            "feed": "file",
            "options": {"path": str(feed(tmp_path, name, 30)), "page_size": 10},
            "max_pages": 1,
        }
        for name in ("a", "b")
    ]
    settings = settings_from({"database": {"url": url}, "sources": sources})
    salon = Salon(settings, engine=engine, analyser=KeywordAnalyser(), sink=ConsoleSink(quiet=True))
    return WorkerService(salon, lease_seconds=60, holder=holder)


def posts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Post)) or 0)


async def test_workers_share_sources_and_poll_each_once_per_interval(
    tmp_path: Path, database_url: str
) -> None:
    one, two = worker(tmp_path, database_url, "w1"), worker(tmp_path, database_url, "w2")
    assert next(job.name for job in one.jobs()) == "poll-due"
    assert not any(job.name.startswith("poll:") for job in one.jobs())
    assert await one.poll_due() == 2  # a and b, 10 posts a poll, polled until caught up
    assert posts(one.salon.engine) == 60
    assert await two.poll_due() == 0  # nothing more waiting: the sources wait their interval
    assert await one.poll_due() == 0
    assert posts(one.salon.engine) == 60
    with one.salon.session() as session:
        assert {lease.holder for lease in leases.leases(session)} == {None}
    for service in (one, two):
        await service.salon.aclose()


async def test_a_poll_whose_lease_was_lost_stores_nothing(
    tmp_path: Path, database_url: str
) -> None:
    slow = worker(tmp_path, database_url, "slow")
    result = await slow.salon.poll("a", fence=lambda session: False)
    assert result.skipped is not None and "lease lost" in result.skipped
    assert result.stats.new == 0 and posts(slow.salon.engine) == 0
    with slow.salon.session() as session:
        assert session.scalar(select(func.count()).select_from(Lease)) == 0
    await slow.salon.aclose()


def test_scale_out_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(SalonError, match=r"--worker` needs PostgreSQL.*without --worker"):
        require_postgresql(f"sqlite:///{tmp_path / 'db.sqlite'}")
    require_postgresql("postgresql+psycopg://salon@db/salon")
    config = tmp_path / "salon.yaml"
    config.write_text("institution: {name: Test}\n")
    result = CliRunner().invoke(app, ["run", "--worker", "-c", str(config)])
    assert isinstance(result.exception, SalonError)
    assert not (tmp_path / "salon.db").exists()  # refused before opening anything


async def test_two_institutions_in_one_process_share_nothing(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    """Multi-tenancy is one configuration and one store per institution (docs/operations.md):
    two of them in one process, with the same handle on the same platform, stay apart."""
    salons = {}
    for name in ("lumen", "atlas"):
        folder = tmp_path / name
        folder.mkdir()
        data = folder / "in.jsonl"
        post = make_post(f"{name}-1", f"are you open today? ({name})", author=MUSEUM_FAN)
        data.write_text(json.dumps(post_to_dict(post)) + "\n")
        settings = settings_from(
            {
                "institution": {"name": name},
                "database": {"url": new_database()},
                "accounts": {"replay": {"replies_path": str(folder / "replies.jsonl")}},
                "sources": [
                    {
                        "name": "x",
                        "platform": "replay",
                        "feed": "file",
                        "options": {"path": str(data)},
                    }
                ],
                "templates": {"hours": {"text": f"{name} opens at 10."}},
                "triage": {
                    "rules": [
                        {
                            "name": "hours",
                            "when": {"topic": "visiting.hours"},
                            "action": "auto_reply",
                            "template": "hours",
                        }
                    ]
                },
            }
        )
        salons[name] = Salon(settings, analyser=KeywordAnalyser(), sink=ConsoleSink(quiet=True))
    for salon in salons.values():
        await salon.cycle()
    for name, salon in salons.items():
        with salon.session() as session:
            keys = list(session.scalars(select(col(Post.key))))
        assert keys == [f"x:{name}-1"]
        replies = (tmp_path / name / "replies.jsonl").read_text().splitlines()
        assert [json.loads(r)["text"] for r in replies] == [f"{name} opens at 10."]
        await salon.aclose()
