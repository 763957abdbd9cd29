"""`salon run`: every job on one AsyncIOScheduler, stopped cleanly by SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text

from bot.app import Salon, effective_interval
from bot.ops_http import Health, OpsServer
from scheduler.jobs import CronJob, IntervalJob, build_scheduler

log = logging.getLogger(__name__)
STOP_TIMEOUT = 10.0
REMIND_INTERVAL = 300.0  # seconds between looks for questions left unanswered
SPIKE_INTERVAL = 900.0  # seconds between looks for spikes
RETENTION_INTERVAL = 24 * 3600.0  # the privacy retention job: daily (and once at start)
HEALTH_TIMEOUT = 5.0  # seconds the database has to answer /healthz


class Service:
    """Runs polls, processing, delivery, reminders, spike alerts and the weekly digest until
    asked to stop."""

    def __init__(self, salon: Salon) -> None:
        self.salon = salon
        self.stopping = asyncio.Event()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._process_lock = asyncio.Lock()
        self.scheduler: AsyncIOScheduler | None = None
        self.ops_server: OpsServer | None = None  # /metrics and /healthz, when configured

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
            except Exception as exc:  # a crashed job is logged and runs again at its next time
                self.salon.metrics.error("job", exc)
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

    async def remind(self) -> None:
        """Enqueue due reminders and escalations, then deliver them."""
        async with self._process_lock:
            stats = await asyncio.to_thread(self.salon.remind)
            if stats.reminders or stats.escalations:
                await self.salon.deliver()

    async def spikes(self) -> None:
        """Raise an alert for each new spike, then deliver it."""
        async with self._process_lock:
            if await asyncio.to_thread(self.salon.spikes):
                await self.salon.deliver()

    async def weekly_digest(self) -> None:
        """Write this week's digest and send it to staff."""
        out = self.salon.settings.digest.out_dir
        await asyncio.to_thread(self.salon.digest, self.salon.clock(), out, enqueue=True)
        await self.salon.deliver()

    async def retention(self) -> None:
        """Clear personal data past its retention window (the ``privacy`` settings)."""
        await asyncio.to_thread(self.salon.apply_retention)

    async def health(self) -> Health:
        """``/healthz``: the scheduler runs and the database answers."""
        health = Health()
        running = self.scheduler is not None and self.scheduler.running
        running = running and not self.stopping.is_set()
        health.checks["scheduler"] = "running" if running else "stopped"
        if not running:
            health.problems.append("the scheduler is not running")
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping), HEALTH_TIMEOUT)
            health.checks["database"] = "ok"
        except Exception as exc:  # any failure to answer is the finding
            health.checks["database"] = "error"
            health.problems.append(f"the database does not answer ({type(exc).__name__})")
        return health

    def _ping(self) -> None:
        with self.salon.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def jobs(self) -> list[IntervalJob | CronJob]:
        """The scheduler jobs: polls, processing, reminders, spikes and the weekly digest."""
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
        jobs.append(IntervalJob("remind", self._guarded("remind", self.remind), REMIND_INTERVAL))
        if settings.spikes.enabled:
            jobs.append(IntervalJob("spikes", self._guarded("spikes", self.spikes), SPIKE_INTERVAL))
        if settings.privacy.model_dump(exclude_none=True):
            jobs.append(
                IntervalJob(
                    "retention",
                    self._guarded("retention", self.retention),
                    RETENTION_INTERVAL,
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
        scheduler = self.scheduler = build_scheduler(self.jobs())
        scheduler.start()
        service = self.salon.settings.service
        if service.metrics_port is not None:
            self.ops_server = OpsServer(
                self.salon.metrics,
                self.health,
                host=service.metrics_host,
                port=service.metrics_port,
            )
            await self.ops_server.start()
        polling = self.start_staff_bot()
        log.info("salon running: %d sources", len(self.salon.sources))
        try:
            await self.stopping.wait()
        finally:
            scheduler.shutdown(wait=False)
            if self.ops_server is not None:
                await self.ops_server.close()
            if polling is not None:  # stops at once unless it is handling an update
                await asyncio.wait({polling}, timeout=STOP_TIMEOUT)
            try:
                await asyncio.wait_for(self._idle.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.warning("stopping with work still running after %.0f s", STOP_TIMEOUT)
            await self.salon.aclose()

    def start_staff_bot(self) -> asyncio.Task[None] | None:
        """The staff bot's task, if it has a token (a worker runs it only under a lease)."""
        staff_bot = self.salon.staff_bot
        return asyncio.create_task(staff_bot.run(self.stopping)) if staff_bot else None

    def stop(self) -> None:
        """Ask the service to stop after the current transaction."""
        log.info("stopping after the current transaction")
        self.stopping.set()
