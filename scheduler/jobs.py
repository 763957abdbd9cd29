"""Jobs from specs on one ``AsyncIOScheduler``: intervals with jitter, weekly cron in a zone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

JobFunc = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class IntervalJob:
    """Run ``func`` every ``seconds`` (plus up to ``jitter`` of that, at random)."""

    name: str
    func: JobFunc
    seconds: float
    jitter: float = 0.0
    start_now: bool = True


@dataclass(frozen=True, slots=True)
class CronJob:
    """Run ``func`` on ``weekday`` at ``hour``:``minute`` in ``timezone`` (IANA name)."""

    name: str
    func: JobFunc
    weekday: str
    hour: int
    minute: int = 0
    timezone: str = "UTC"


def build_scheduler(jobs: list[IntervalJob | CronJob]) -> AsyncIOScheduler:
    """A scheduler holding ``jobs``; each job runs one instance at a time, missed runs coalesce."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    for job in jobs:
        trigger: IntervalTrigger | CronTrigger
        first_run: datetime | None = None
        if isinstance(job, IntervalJob):
            trigger = IntervalTrigger(
                seconds=job.seconds, jitter=int(job.seconds * job.jitter) or None, timezone=UTC
            )
            if job.start_now:
                first_run = datetime.now(UTC) + timedelta(milliseconds=10)
        else:
            trigger = CronTrigger(
                day_of_week=job.weekday, hour=job.hour, minute=job.minute, timezone=job.timezone
            )
        extra = {"next_run_time": first_run} if first_run else {}  # None would mean "paused"
        scheduler.add_job(
            job.func,
            trigger,
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **extra,
        )
    return scheduler
