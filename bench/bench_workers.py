"""Scale-out benchmark: ingest-to-outbox throughput with 1, 2 and 4 workers, and the cost of
leases when idle.

    .venv/bin/python bench/bench_workers.py [--posts 1200] [--pg URL] [--out FILE]

Throughput: worker processes (``salon run --worker``; on SQLite, the one ``salon run`` process)
start on an empty store with replay feeds of questions that each get an automatic reply; the
figure is posts / (last reply sent - first post stored), so process start-up is left out. The
classifier is the tests' keyword analyser (tests/workers_harness.py): this measures the store,
the leases and the locks, not spaCy (bench_classifiers.py does).

Idle cost: on a store with nothing to do, each job of one worker runs once, counting the SQL
statements it sends, times the number of runs a minute (default intervals: a claim every 5 s,
processing every 15 s, reminders every 5 min; without --worker, a poll per source per 5 min).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlmodel import col  # noqa: E402

from bot.alerts import ConsoleSink  # noqa: E402
from bot.app import Salon, effective_interval  # noqa: E402
from bot.db import create, open_engine  # noqa: E402
from bot.models import OutboxItem, OutboxState, Post  # noqa: E402
from bot.service import REMIND_INTERVAL, Service  # noqa: E402
from bot.workers import TICK, WorkerService  # noqa: E402
from config.loader import load_settings  # noqa: E402
from config.settings import OutboxSettings  # noqa: E402
from tests.conftest import PgSchemas  # noqa: E402
from tests.helpers import KeywordAnalyser  # noqa: E402
from tests.test_workers_pg import start_worker, write_config  # noqa: E402

SOURCES = 4
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Run:
    """One throughput measurement."""

    backend: str
    mode: str
    workers: int
    posts: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0


def _done(url: str, total: int) -> tuple[bool, float]:
    engine = create(url)
    try:
        with Session(engine) as session:
            sent, first, last = session.execute(
                select(
                    func.count(),
                    select(func.min(col(Post.ingested_at))).scalar_subquery(),
                    func.max(col(OutboxItem.sent_at)),
                ).where(col(OutboxItem.state) == OutboxState.SENT.value)
            ).one()
    finally:
        engine.dispose()
    if sent < total or first is None or last is None:
        return False, 0.0
    return True, (last - first).total_seconds()


def throughput(backend: str, url: str, workers: int, posts: int, folder: Path) -> Run:
    """Start ``workers`` processes on the store at ``url`` and time the whole flow."""
    per_source = posts // SOURCES
    config = write_config(
        folder, url, sources=SOURCES, per_source=per_source, page_size=per_source, batch_size=256
    )
    record = folder / "record"
    record.mkdir()
    open_engine(url).dispose()  # migrate before the workers race to
    worker_mode = backend == "postgresql" and workers > 0
    count = max(workers, 1)
    procs = [
        start_worker(config, record, folder / f"w{i}.log", worker=worker_mode, delay=0.0)
        for i in range(count)
    ]
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            finished, seconds = _done(url, per_source * SOURCES)
            if finished:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"{backend} x{count}: not done in 10 minutes (see {folder})")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    mode = "salon run --worker" if worker_mode else "salon run"
    return Run(backend, mode, count, per_source * SOURCES, seconds)


def split(url: str, posts: int, folder: Path) -> dict[str, float]:
    """Seconds each step takes for ``posts`` posts in one process (poll, classify, triage,
    deliver): where the time of the throughput runs goes."""
    settings = load_settings(
        write_config(folder, url, sources=1, per_source=posts, page_size=posts, batch_size=256)
    )
    salon = Salon(settings, analyser=KeywordAnalyser(), sink=ConsoleSink(quiet=True))
    steps: dict[str, float] = {}

    async def go() -> None:
        start = time.perf_counter()
        await salon.poll("s0")
        steps["poll and store"] = time.perf_counter() - start
        for name, step in (("classify", salon.classify), ("triage", salon.triage)):
            start = time.perf_counter()
            step()
            steps[name] = time.perf_counter() - start
        start = time.perf_counter()
        await salon.deliver()
        steps["deliver (a reply each)"] = time.perf_counter() - start
        await salon.aclose()

    asyncio.run(go())
    return steps


def idle_statements(url: str, folder: Path, *, worker: bool) -> dict[str, float]:
    """SQL statements per minute of one idle worker (or single process), by job."""
    settings = load_settings(write_config(folder, url, sources=SOURCES, per_source=1))
    salon = Salon(settings, analyser=KeywordAnalyser(), sink=ConsoleSink(quiet=True))
    service: Service = WorkerService(salon) if worker else Service(salon)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    async def measure(job: object, per_minute: float) -> float:
        nonlocal statements
        await job()  # type: ignore[operator]  # the first run does the work
        statements = 0
        await job()  # type: ignore[operator]
        return statements * per_minute

    async def go() -> dict[str, float]:
        event.listen(salon.engine, "before_cursor_execute", count)
        costs: dict[str, float] = {}
        if isinstance(service, WorkerService):
            costs["claim due sources"] = await measure(service.poll_due, 60 / TICK)
        else:
            for name, spec in salon.sources.items():
                poll = lambda name=name: service.poll_and_process(name)  # noqa: E731
                costs[f"poll {name}"] = await measure(poll, 60 / effective_interval(spec))
        drain = OutboxSettings().drain_interval  # the default, not the feeds' 1 s
        costs["process (classify, triage, deliver)"] = await measure(service.process, 60 / drain)
        costs["remind"] = await measure(service.remind, 60 / REMIND_INTERVAL)
        await salon.aclose()
        return costs

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1200)
    parser.add_argument("--pg", default=os.environ.get("SALON_TEST_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "workers.md")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    schemas = PgSchemas(args.pg)
    runs: list[Run] = []
    idle: dict[str, dict[str, float]] = {}
    steps: dict[str, dict[str, float]] = {}
    try:
        folder = base / "sqlite-1"
        folder.mkdir()
        runs.append(
            throughput("sqlite", f"sqlite:///{folder / 'db.sqlite'}", 0, args.posts, folder)
        )
        print(runs[-1], flush=True)
        for workers in (1, 2, 4):
            folder = base / f"pg-{workers}"
            folder.mkdir()
            runs.append(throughput("postgresql", schemas.new_empty(), workers, args.posts, folder))
            print(runs[-1], flush=True)
        for label, url in (
            ("SQLite", f"sqlite:///{base / 'split.sqlite'}"),
            ("PostgreSQL", schemas.new()),
        ):
            folder = base / f"split-{label}"
            folder.mkdir()
            steps[label] = split(url, args.posts, folder)
            print(label, steps[label], flush=True)
        for label, worker, url in (
            ("SQLite, salon run", False, f"sqlite:///{base / 'idle.sqlite'}"),
            ("PostgreSQL, salon run --worker", True, schemas.new()),
        ):
            folder = base / f"idle-{worker}"
            folder.mkdir()
            idle[label] = idle_statements(url, folder, worker=worker)
            print(label, idle[label], flush=True)
    finally:
        schemas.close()
    write_report(args.out, runs, steps, idle, args.posts)
    shutil.rmtree(base, ignore_errors=True)
    print(f"wrote {args.out}")


def write_report(
    out: Path,
    runs: list[Run],
    steps: dict[str, dict[str, float]],
    idle: dict[str, dict[str, float]],
    posts: int,
) -> None:
    lines = [
        "# Scale-out: throughput and idle cost of workers",
        "",
        f"`.venv/bin/python bench/bench_workers.py --posts {posts}` on this machine "
        f"({os.cpu_count()} cores, shared; PostgreSQL 15 on loopback). Keyword analyser, "
        "replay connector: the figures are the store's, the leases' and the locks' cost, "
        "not spaCy's.",
        "",
        "## Ingest to outbox",
        "",
        "| store | command | processes | posts | first stored → last reply sent | posts/s |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.backend} | `{run.mode}` | {run.workers} | {run.posts} "
            f"| {run.seconds:.1f} s | {run.rate:.0f} |"
        )
    lines += [
        "",
        "SQLite runs one process by design (`salon run --worker` refuses it): 2 and 4 workers "
        "are PostgreSQL only. Workers add capacity where there are cores or machines for them; "
        "on a 2-core machine shared with the database server, a second worker adds little and "
        "four compete for the CPU.",
        "",
        f"## Where the time goes (one process, {posts} posts, seconds)",
        "",
        "| store | " + " | ".join(next(iter(steps.values()), {})) + " |",
        "|---|" + "---|" * len(next(iter(steps.values()), {})),
    ]
    for label, times in steps.items():
        lines.append(f"| {label} | " + " | ".join(f"{t:.2f}" for t in times.values()) + " |")
    lines += [
        "",
        "Delivery dominates: one platform call per reply (items are claimed 50 per statement "
        "and recorded in one commit; the exactly-once design, bot/outbox.py). Leases cost "
        "nothing measurable here: one claim statement per tick.",
        "",
        "## Idle cost per worker (SQL statements per minute)",
        "",
        "| deployment | job | statements/min |",
        "|---|---|---|",
    ]
    for label, costs in idle.items():
        for job, per_minute in costs.items():
            lines.append(f"| {label} | {job} | {per_minute:.1f} |")
        lines.append(f"| {label} | **total** | **{sum(costs.values()):.1f}** |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
