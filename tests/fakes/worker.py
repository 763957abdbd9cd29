"""A Salon worker on a simulated clock: ``python -m tests.fakes.worker CONFIG SEED``.

It reads one command a line on stdin: ``cycle <ISO time>`` runs one full Salon cycle (poll every
source until caught up, classify, triage, remind, spikes, deliver) with the clock at that time
and answers ``done <json figures>`` on stdout. The month kills it with SIGKILL at random points
and starts it again on the same SQLite file. The staff bot's flood-limit pacing runs on virtual
time (its waits advance a counter instead of sleeping), so an accelerated month is not slowed
down to Telegram's one message a second; everything else is the code ``salon run`` runs.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import col

from bot.app import Salon
from bot.db import open_engine
from bot.models import OutboxItem, OutboxState, SourceState
from bot.staff import StaffBot
from config.loader import load_settings


class VirtualTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        """The virtual time in seconds."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.now += max(0.0, seconds)


def pending(salon: Salon, now: datetime) -> int:
    """Outbox items still to deliver (queued or sending) plus sources paused after a failure."""
    with salon.session() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(col(OutboxItem.state).in_([OutboxState.QUEUED.value, OutboxState.SENDING.value]))
        )
        paused = session.scalar(
            select(func.count()).select_from(SourceState).where(col(SourceState.paused_until) > now)
        )
    return int(waiting or 0) + int(paused or 0)


async def serve(config: str, seed: int) -> None:
    """Run cycles as stdin asks until it closes."""
    random.seed(seed)  # backoff jitter: the same run twice makes the same requests
    settings = load_settings(config)
    now = [datetime(2000, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    engine = open_engine(settings.database.url, migrate=settings.database.auto_migrate)
    virtual = VirtualTime()
    staff = StaffBot(
        settings, engine, clock=clock, monotonic=virtual.monotonic, sleep=virtual.sleep
    )
    salon = Salon(settings, engine=engine, sink=staff.sink, clock=clock)
    print("ready", flush=True)
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, _, arg = line.strip().partition(" ")
            if command != "cycle":
                raise SystemExit(f"unknown command {command!r}")
            now[0] = datetime.fromisoformat(arg)
            result = await salon.cycle()
            figures = {
                "fetched": sum(p.fetched for p in result["polls"]),
                "new": sum(p.stats.new for p in result["polls"]),
                "poll_errors": sum(1 for p in result["polls"] if p.error),
                "classified": result["classified"],
                "sent": result["delivery"].sent,
                "pending": pending(salon, now[0]),
            }
            print("done", json.dumps(figures), flush=True)
    finally:
        await staff.aclose()
        await salon.aclose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
