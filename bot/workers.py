"""``salon run --worker``: one of several processes sharing one PostgreSQL database.

What changes from ``salon run``:

- **Polls.** Instead of a job per source, a tick every few seconds claims the sources that are
  due and free (:mod:`bot.leases`), polls each under its lease (the batch is stored only if the
  lease is still this worker's) and releases it with the time it is next due (at once if the
  platform said more is waiting). Each source is polled by one worker at a time, at its interval
  whatever the number of workers; a dead worker's sources are taken over when its leases expire.
- **Processing.** Nothing changes: classification and triage batches are claimed with
  ``FOR UPDATE SKIP LOCKED`` (``bot/classify.py``, ``bot/rows.py``), outbox items too
  (``bot/outbox.py``), and a stale ``sending`` item is taken over by one worker only; reminders,
  spike alerts and digests are enqueued under unique keys, so workers doing them twice enqueue
  them once.
- **Staff bot.** Telegram lets one client fetch a bot's updates, so one worker at a time holds
  the ``staff-bot`` lease and runs it; every worker may send alerts.
- **Stopping.** A worker stopped cleanly frees its leases at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from bot import leases
from bot.app import PollResult, Salon, effective_interval
from bot.db import is_postgresql
from bot.errors import SalonError
from bot.service import STOP_TIMEOUT, Service
from bot.staff import StaffBot
from scheduler.jobs import CronJob, IntervalJob

log = logging.getLogger(__name__)

TICK = 5.0  # seconds between looks for due sources
DEFAULT_LEASE = 60.0  # seconds a dead worker keeps its sources
STAFF_BOT_JOB = "staff-bot"
CATCH_UP_ROUNDS = 10  # polls of one source in a row while the platform says more is waiting


def require_postgresql(url: str) -> None:
    """Scale-out needs PostgreSQL (SQLite serves one process); :class:`SalonError` if not."""
    if not is_postgresql(url):
        raise SalonError(
            "`salon run --worker` needs PostgreSQL (database.url: postgresql+psycopg://...); "
            "SQLite serves one process: run `salon run` without --worker"
        )


class WorkerService(Service):
    """The service as one worker among several (see the module)."""

    def __init__(
        self,
        salon: Salon,
        *,
        lease_seconds: float = DEFAULT_LEASE,
        tick: float = TICK,
        holder: str | None = None,
    ) -> None:
        super().__init__(salon)
        self.holder = holder or leases.worker_id()
        self.lease_seconds = lease_seconds
        self.tick = tick

    def jobs(self) -> list[IntervalJob | CronJob]:
        """The service's jobs, with one tick claiming due sources instead of a job each."""
        jobs = [job for job in super().jobs() if not job.name.startswith("poll:")]
        tick = IntervalJob("poll-due", self._guarded("poll-due", self.poll_due), self.tick)
        return [tick, *jobs]

    async def poll_due(self) -> int:
        """Poll every due source this worker could claim, then process; the number polled."""
        jobs = [leases.source_job(name) for name in self.salon.sources]
        claimed = await asyncio.to_thread(self._claim, jobs)
        fresh = False
        for job in claimed:
            name = job.removeprefix("source:")
            for _ in range(CATCH_UP_ROUNDS):  # a backlog: poll on while holding the lease
                result = await self.salon.poll(name, fence=functools.partial(self._hold, job))
                fresh = fresh or bool(result.stats.new or result.stats.updated)
                if not result.has_more or result.error or result.skipped:
                    break
                if self.stopping.is_set():
                    break
            await asyncio.to_thread(self._release, job, name, result)
        if fresh and not self.stopping.is_set():
            await self.process()
        return len(claimed)

    def _claim(self, jobs: list[str]) -> list[str]:
        with self.salon.session() as session:
            claimed = leases.claim_due(
                session, jobs, self.holder, self.lease_seconds, self.salon.clock()
            )
            session.commit()
        return claimed

    def _hold(self, job: str, session: Session) -> bool:
        return leases.hold(session, job, self.holder, self.lease_seconds, self.salon.clock())

    def _hold_now(self, job: str) -> bool:
        with self.salon.session() as session:
            held = self._hold(job, session)
            session.commit()
        return held

    def _release(self, job: str, name: str, result: PollResult) -> None:
        now = self.salon.clock()
        wait = 0.0 if result.has_more else effective_interval(self.salon.sources[name])
        with self.salon.session() as session:
            leases.release(session, job, self.holder, now + timedelta(seconds=wait))
            session.commit()

    def _release_all(self) -> None:
        with self.salon.session() as session:
            freed = leases.release_all(session, self.holder)
            session.commit()
        self.salon.engine.dispose()
        log.info("worker %s: freed %d lease(s)", self.holder, freed)

    def start_staff_bot(self) -> asyncio.Task[None] | None:
        """The staff bot, run while this worker holds its lease."""
        bot = self.salon.staff_bot
        return asyncio.create_task(self._staff_bot_under_lease(bot)) if bot else None

    async def _staff_bot_under_lease(self, bot: StaffBot) -> None:
        every = self.lease_seconds / 3
        while not self.stopping.is_set():
            if not await asyncio.to_thread(self._claim, [STAFF_BOT_JOB]):
                await self._pause(every)
                continue
            log.info("worker %s runs the staff bot", self.holder)
            stop = asyncio.Event()
            task = asyncio.create_task(bot.run(stop))
            try:
                while not task.done() and not self.stopping.is_set():
                    await self._pause(every)
                    if not await asyncio.to_thread(self._hold_now, STAFF_BOT_JOB):
                        log.warning("worker %s lost the staff bot's lease", self.holder)
                        break
            finally:
                stop.set()
                await asyncio.wait({task}, timeout=STOP_TIMEOUT)
            if task.done() and not self.stopping.is_set():
                return  # the bot stopped for good (a bad token): it is logged

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def run(self) -> None:
        """Run until stopped, then free this worker's leases."""
        log.info("worker %s starting: %d sources", self.holder, len(self.salon.sources))
        try:
            await super().run()
        finally:
            await asyncio.to_thread(self._release_all)
