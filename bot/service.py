"""`salon run`: every job on one AsyncIOScheduler, stopped cleanly by SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.app import Salon, effective_interval
from bot.models import utcnow
from scheduler.jobs import CronJob, IntervalJob, build_scheduler

log = logging.getLogger(__name__)
STOP_TIMEOUT = 10.0


class Service:
    """Runs polls, processing, delivery and the weekly digest until asked to stop."""

    def __init__(self, salon: Salon) -> None:
        self.salon = salon
        self.stopping = asyncio.Event()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._process_lock = asyncio.Lock()

    def _guarded(
        self, name: str, func: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            if self.stopping.is_set():
                return
            self._in_flight += 1
            self._idle.clear()
            try:
                await func()
            except Exception:  # a crashed job is logged and runs again at its next time
                log.exception("job %s failed; it will run again at its next time", name)
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.set()

        return job

    async def poll_and_process(self, source: str) -> None:
        """Poll one source, then classify, triage and deliver what it brought."""
        result = await self.salon.poll(source)
        if result.stats.new or result.stats.updated:
            await self.process()

    async def process(self) -> None:
        """Classify and triage pending posts off the event loop, then drain the outbox."""
        async with self._process_lock:
            await asyncio.to_thread(self.salon.classify)
            await asyncio.to_thread(self.salon.triage)
            await self.salon.deliver()

    async def weekly_digest(self) -> None:
        """Write this week's digest and send it to staff."""
        out = self.salon.settings.digest.out_dir
        await asyncio.to_thread(self.salon.digest, utcnow(), out, enqueue=True)
        await self.salon.deliver()

    def jobs(self) -> list[IntervalJob | CronJob]:
        """The scheduler jobs for the configured sources, outbox and digest."""
        settings = self.salon.settings
        jobs: list[IntervalJob | CronJob] = []
        for name, spec in self.salon.sources.items():
            jobs.append(
                IntervalJob(
                    f"poll:{name}",
                    self._guarded(f"poll:{name}", functools.partial(self.poll_and_process, name)),
                    effective_interval(spec),
                    spec.jitter,
                )
            )
        jobs.append(
            IntervalJob(
                "process", self._guarded("process", self.process), settings.outbox.drain_interval
            )
        )
        jobs.append(
            CronJob(
                "digest",
                self._guarded("digest", self.weekly_digest),
                settings.digest.weekday,
                settings.digest.hour,
                timezone=settings.institution.timezone,
            )
        )
        return jobs

    async def run(self) -> None:
        """Start the scheduler and block until :meth:`stop`; then finish in-flight work."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        scheduler = build_scheduler(self.jobs())
        scheduler.start()
        log.info("salon running: %d sources", len(self.salon.sources))
        try:
            await self.stopping.wait()
        finally:
            scheduler.shutdown(wait=False)
            try:
                await asyncio.wait_for(self._idle.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.warning("stopping with work still running after %.0f s", STOP_TIMEOUT)
            await self.salon.aclose()

    def stop(self) -> None:
        """Ask the service to stop after the current transaction."""
        log.info("stopping after the current transaction")
        self.stopping.set()
