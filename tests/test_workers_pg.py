"""Scale-out on PostgreSQL: row locks that workers skip, and three worker processes, one
killed mid-run. Collected only when SALON_TEST_DATABASE_URL is set (see conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel import col

from bot import leases
from bot.classify import classify_pending
from bot.db import open_engine
from bot.models import Classification, Decision, OutboxItem, OutboxState, Post
from bot.outbox import Outbox
from bot.store import store_posts
from config.settings import OutboxSettings
from connectors.serialize import post_to_dict
from tests.conftest import PgSchemas
from tests.helpers import T0, KeywordAnalyser, make_post

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg(pg_schemas: PgSchemas) -> Iterator[Engine]:
    url = pg_schemas.new()
    engine = open_engine(url)
    yield engine
    engine.dispose()
    pg_schemas.drop(url)


def count(engine: Engine, model: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_claiming_sources_at_once_gives_each_to_one_worker(pg: Engine) -> None:
    jobs = [f"source:s{i}" for i in range(20)]
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def claim(holder: str) -> None:
        with Session(pg) as session:
            start.wait()
            claimed[holder] = leases.claim_due(session, jobs, holder, 60, T0)
            session.commit()

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [job for got in claimed.values() for job in got]
    assert sorted(everything) == sorted(jobs)  # each job exactly once


def test_a_worker_classifies_posts_the_other_has_not_locked(pg: Engine) -> None:
    with Session(pg) as session:
        store_posts(session, [make_post(str(i), f"post {i}") for i in range(6)])
        session.commit()
    busy = Session(pg)  # another worker, in the middle of classifying the first three
    locked = busy.execute(
        select(col(Post.id)).order_by(col(Post.id)).limit(3).with_for_update()
    ).scalars()
    mine = set(locked)
    with Session(pg) as session:
        assert classify_pending(session, KeywordAnalyser(), batch_size=10) == 3
        done = set(session.scalars(select(col(Classification.post_id))))
    assert done.isdisjoint(mine) and len(done) == 3
    busy.rollback()
    busy.close()


async def test_items_being_claimed_elsewhere_are_skipped_not_waited_for(pg: Engine) -> None:
    now = T0
    with Session(pg) as session:
        session.add_all(
            OutboxItem(
                key=f"alert:{i}", kind="alert", channel="staff", next_attempt_at=now, created_at=now
            )
            for i in range(4)
        )
        session.commit()
        ids = list(session.scalars(select(col(OutboxItem.id)).order_by(col(OutboxItem.id))))
    busy = Session(pg)  # holds the locks of the first two rows
    busy.execute(update(OutboxItem).where(col(OutboxItem.id).in_(ids[:2])).values(priority="high"))
    outbox = Outbox({}, sink=None, settings=OutboxSettings(), clock=lambda: now)  # type: ignore[arg-type]
    with Session(pg) as session:
        claimed = outbox.claim(session, ids)  # returns at once: SKIP LOCKED
        assert sorted(i.id for i in claimed) == ids[2:]
        assert {(i.state, i.attempts) for i in claimed} == {("sending", 1)}
    busy.rollback()
    busy.close()
    with Session(pg) as session:
        assert sorted(i.id for i in outbox.claim(session, ids)) == ids[:2]
        assert outbox.claim(session, ids) == []  # all sending


# --- three worker processes, one killed -------------------------------------------------

SOURCES, PER_SOURCE = 3, 24


def write_config(
    folder: Path,
    url: str,
    *,
    sources: int = SOURCES,
    per_source: int = PER_SOURCE,
    page_size: int = 8,
    batch_size: int = 8,
) -> Path:
    """Replay feeds of questions about opening hours, and a config that answers each one
    automatically (also used by bench/bench_workers.py)."""
    specs = []
    for s in range(sources):
        feed = folder / f"s{s}.jsonl"
        posts = [
            make_post(f"{s}-{i}", f"is it open today? ({s}-{i})", minutes=i, source=f"s{s}")
            for i in range(per_source)
        ]
        feed.write_text("".join(json.dumps(post_to_dict(p)) + "\n" for p in posts))
        specs.append(
            {
                "name": f"s{s}",
                "platform": "replay",
                "feed": "file",
                "max_pages": 1,
                "options": {"path": str(feed), "page_size": page_size},
            }
        )
    config = {
        "institution": {"name": "Test Museum"},
        "database": {"url": url},
        "accounts": {"replay": {"replies_path": str(folder / "replies.jsonl")}},
        "sources": specs,
        "nlp": {"batch_size": batch_size},
        "policy": {"per_channel_daily": per_source},
        "outbox": {"drain_interval": 1, "sending_lease": 10},
        "spikes": {"enabled": False},
        "templates": {"hours": {"text": "We are open from 10 to 6."}},
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
    path = folder / "salon.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_worker(
    config: Path, record: Path, log: Path, *, worker: bool = True, delay: float = 0.2
) -> subprocess.Popen[bytes]:
    """``salon run --worker`` (``worker`` False: plain ``salon run``) through the harness."""
    env = {
        **os.environ,
        "SALON_TEST_RECORD": str(record),
        "SALON_TEST_DELAY": str(delay),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SALON_DATABASE_URL", None)
    mode = ["--worker", "--lease-seconds", "5"] if worker else []
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.workers_harness",
            "run",
            *mode,
            "-c",
            str(config),
            "--log-format",
            "human",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_three_workers_one_killed_every_post_once_every_reply_once(
    pg: Engine, tmp_path: Path
) -> None:
    url = pg.url.render_as_string(hide_password=False)
    config = write_config(tmp_path, url)
    record = tmp_path / "record"
    record.mkdir()
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    workers = [start_worker(config, record, log) for log in logs]
    total = SOURCES * PER_SOURCE
    victim: subprocess.Popen[bytes] | None = None
    try:
        # kill the first worker caught classifying: it has written down the texts of its
        # batch and not committed it (the harness's analyser takes its time)
        def busy() -> subprocess.Popen[bytes] | None:
            return next((w for w in workers if (record / f"analysed-{w.pid}.txt").exists()), None)

        wait_for(lambda: busy() is not None, 60, "a worker to classify")
        victim = busy()
        assert victim is not None
        victim.send_signal(signal.SIGKILL)
        victim.wait()

        def done() -> bool:
            with Session(pg) as session:
                open_items = session.scalar(
                    select(func.count())
                    .select_from(OutboxItem)
                    .where(
                        col(OutboxItem.state).in_(
                            [OutboxState.QUEUED.value, OutboxState.SENDING.value]
                        )
                    )
                )
                triaged = session.scalar(
                    select(func.count()).select_from(Post).where(col(Post.triaged))
                )
            return triaged == total and open_items == 0

        wait_for(done, 60, "every post triaged and every reply delivered")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    output = "\n".join(log.read_text(errors="replace") for log in logs)
    survivors = [w for w in workers if w is not victim]
    assert [w.returncode for w in survivors] == [0, 0], output[-3000:]

    # every post ingested once (and the store never saw a duplicate key)
    with Session(pg) as session:
        keys = list(session.scalars(select(col(Post.key))))
        decisions = session.execute(select(col(Decision.post_id), col(Decision.rule))).all()
        states = Counter(session.scalars(select(col(OutboxItem.state))))
    assert len(keys) == total == len(set(keys))
    # every post classified once: a text analysed twice was in the killed worker's batch,
    # which it never committed
    assert count(pg, Classification) == total
    analysed: dict[int, Counter[str]] = {}
    for path in record.glob("analysed-*.txt"):
        analysed[int(path.stem.split("-")[1])] = Counter(path.read_text().splitlines())
    everyone = sum(analysed.values(), Counter())
    assert len(everyone) == total
    assert victim.pid in analysed  # it was caught with a batch ...
    redone = sum((c for pid, c in analysed.items() if pid != victim.pid), Counter())
    assert max(redone.values()) == 1, "a live worker classified a post twice"
    caught = set(analysed[victim.pid]) & set(redone)
    assert caught, "the killed worker's last batch was not taken over"  # ... the others did
    # one decision per post, and every reply sent exactly once
    assert len(decisions) == total == len(set(decisions))
    replies = [json.loads(line) for line in (tmp_path / "replies.jsonl").read_text().splitlines()]
    sent = Counter(reply["key"] for reply in replies)
    assert len(sent) == total and set(sent.values()) == {1}
    assert states == Counter({OutboxState.SENT.value: total})
