"""The weekly send: the cron job fires on the configured weekday and hour in the institution's
time zone, across DST changes; the digest covers the last complete local week and is queued
and sent once per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import digest_render
from bot.digest_charts import CHARTS, chart_file
from bot.digest_period import digest_key, last_complete_week, week_so_far, week_start
from bot.models import OutboxItem, OutboxKind, OutboxState
from bot.service import Service
from scheduler.jobs import build_scheduler
from tests.test_conversations import Clock, build_salon

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty chart files instead of drawn ones (drawing is tested in test_digest_render)."""

    def touch(_digest: Any, out_dir: Path) -> dict[str, Path]:
        files = {name: out_dir / chart_file(name) for name in CHARTS}
        for path in files.values():
            path.write_bytes(b"")
        return files

    monkeypatch.setattr(digest_render, "render_charts", touch)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fire_times(salon: Any, after: datetime, count: int) -> list[datetime]:
    """The digest job's next ``count`` fire times after the frozen instant ``after``."""
    scheduler = build_scheduler(Service(salon).jobs())
    trigger = scheduler.get_job("digest").trigger
    times: list[datetime] = []
    previous = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        times.append(fire.astimezone(UTC))
        previous, now = fire, fire + timedelta(seconds=1)
    return times


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # autumn: CEST (UTC+2) until Sunday 25 October 2026 03:00, then CET (UTC+1)
        (utc(2026, 10, 17, 12), [utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), utc(2026, 11, 2, 8)]),
        # spring: CET until Sunday 29 March 2026 02:00, then CEST
        (utc(2026, 3, 21, 12), [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]),
    ],
)
def test_the_digest_fires_at_nine_local_across_dst(
    database_url: str, after: datetime, expected: list[datetime]
) -> None:
    salon = build_salon(
        database_url,
        Clock(after),
        institution={"name": "Lumen", "timezone": "Europe/Amsterdam"},
        digest={"weekday": "mon", "hour": 9},
    )
    try:
        times = fire_times(salon, after, 3)
    finally:
        salon.engine.dispose()
    assert times == expected
    assert [t.astimezone(AMS).strftime("%a %H:%M") for t in times] == ["Mon 09:00"] * 3


def test_another_weekday_and_hour(database_url: str) -> None:
    salon = build_salon(
        database_url,
        Clock(utc(2026, 10, 20)),
        institution={"name": "Lumen", "timezone": "America/New_York"},
        digest={"weekday": "fri", "hour": 17},
    )
    try:
        times = fire_times(salon, utc(2026, 10, 20), 3)
    finally:
        salon.engine.dispose()
    # New York leaves DST on 1 November 2026: 17:00 is 21:00 UTC, then 22:00 UTC
    assert times == [utc(2026, 10, 23, 21), utc(2026, 10, 30, 21), utc(2026, 11, 6, 22)]


def test_weeks_across_dst_are_local_weeks() -> None:
    start, end = last_complete_week(utc(2026, 10, 26, 8), AMS)  # Monday 09:00 CET
    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
    assert end - start == timedelta(hours=169)  # the autumn week has an extra hour
    start, end = last_complete_week(utc(2026, 3, 30, 7), AMS)
    assert end - start == timedelta(hours=167)
    assert digest_key(start, AMS) == "digest:2026-W13"
    assert week_start(utc(2026, 10, 25, 23, 30), AMS) == datetime(2026, 10, 26, tzinfo=AMS)
    assert week_so_far(utc(2026, 10, 28, 12), AMS) == (utc(2026, 10, 25, 23), utc(2026, 10, 28, 12))


@pytest.mark.usefixtures("no_drawing")
def test_a_late_run_covers_the_same_week(tmp_path: Path, database_url: str) -> None:
    clock = Clock(utc(2026, 11, 9, 8))  # Monday 09:00 CET
    salon = build_salon(
        database_url, clock, institution={"name": "Lumen", "timezone": "Europe/Amsterdam"}
    )
    try:
        on_time = salon.digest(clock(), tmp_path / "a")
        late = salon.digest(utc(2026, 11, 11, 15), tmp_path / "b")  # Wednesday
    finally:
        salon.engine.dispose()
    assert (on_time.digest.start, on_time.digest.end) == (late.digest.start, late.digest.end)
    assert on_time.digest.week == "2026-W45"


@pytest.mark.usefixtures("no_drawing")
async def test_the_weekly_digest_is_queued_and_sent_once(tmp_path: Path, database_url: str) -> None:
    clock = Clock(utc(2026, 11, 9, 8))
    salon = build_salon(
        database_url,
        clock,
        institution={"name": "Lumen", "timezone": "Europe/Amsterdam"},
        digest={"out_dir": str(tmp_path)},
    )
    service = Service(salon)
    try:
        await service.weekly_digest()
        clock.now = utc(2026, 11, 9, 8, 5)  # a second run the same week (e.g. a restart)
        await service.weekly_digest()
        with salon.session() as session:
            items = session.scalars(
                select(OutboxItem).where(OutboxItem.kind == OutboxKind.DIGEST.value)
            ).all()
    finally:
        await salon.aclose()
    [item] = items
    assert item.key == "digest:2026-W45" and item.state == OutboxState.SENT.value
    assert salon.sink.delivered == ["digest:2026-W45"]  # type: ignore[attr-defined]
    assert item.payload["summary"].startswith("📊 Lumen: weekly digest\nWeek 2026-W45")
    assert [Path(c["path"]).name for c in item.payload["charts"]] == [
        "digest-volumes.png",
        "digest-sentiment.png",
        "digest-response.png",
    ]
