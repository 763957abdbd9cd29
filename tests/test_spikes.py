"""Spike detection on synthetic series: flat raises nothing, a burst raises one alert, once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Classification, OutboxItem, Post
from bot.spikes import NEGATIVE, SpikeDetector, raise_spike_alerts, window_start
from bot.store import store_posts
from config.errors import ConfigError
from config.settings import SpikeSettings
from tests.helpers import T0, make_post, settings_from
from tests.test_conversations import Clock, build_salon

WEEK = timedelta(days=7)
WEDNESDAY = datetime(2026, 11, 4, tzinfo=UTC)  # in the week of T0 (Monday 2 November)
SETTINGS = SpikeSettings(lookback_weeks=3, threshold=3.0, min_posts=5, window_hours=6)
_ids = count()


def seed(
    session: Session, times: Iterable[datetime], topic: str | None, sentiment: str = "neutral"
) -> None:
    """Classified public posts at ``times`` (each by its own author)."""
    posts = [
        make_post(f"p{next(_ids)}", "text", minutes=int((at - T0).total_seconds() // 60))
        for at in times
    ]
    store_posts(session, posts)
    ids = session.scalars(select(Post.id).where(Post.key.in_([p.key for p in posts])))
    session.add_all(
        Classification(
            post_id=pid,
            model="test",
            version="1",
            language="en",
            top_topic=topic,
            sentiment=sentiment,
            sentiment_score=0.0,
            abuse=0.0,
            is_abusive=False,
            created_at=T0,
        )
        for pid in ids
    )
    session.commit()


def every_day(
    weeks: int, hours: Iterable[float], first: datetime = T0 - 3 * WEEK
) -> list[datetime]:
    """Posts at the same hours (UTC) every day for ``weeks`` weeks from ``first``'s midnight."""
    midnight = first.replace(hour=0, minute=0)
    return [
        midnight + timedelta(days=day, hours=hour) for day in range(weeks * 7) for hour in hours
    ]


def burst(start: datetime, posts: int, minutes: int = 10) -> list[datetime]:
    return [start + timedelta(minutes=minutes * i) for i in range(posts)]


def alerts(session: Session) -> list[str]:
    return list(session.scalars(select(OutboxItem.key).order_by(OutboxItem.key)))


@pytest.fixture
def background(session: Session) -> Session:
    """Four weeks of an ordinary morning: 6 to 10 posts on events between 06:00 and 12:00."""
    for week, per_morning in enumerate((6, 8, 10, 9)):
        hours = [6 + 5.5 * i / per_morning for i in range(per_morning)]
        seed(session, every_day(1, hours, T0 - (3 - week) * WEEK), "events")
    return session


def test_a_flat_series_raises_nothing(background: Session) -> None:
    detector = SpikeDetector(SETTINGS)
    found = detector.detect(background, T0 + WEEK - timedelta(minutes=1), since=T0)
    assert found == []


def test_a_burst_raises_exactly_one_alert_once(background: Session) -> None:
    seed(background, burst(WEDNESDAY + timedelta(hours=7), 15), "press")
    detector = SpikeDetector(SETTINGS)
    now = WEDNESDAY + timedelta(hours=10)
    (spike,) = detector.detect(background, now)
    assert (spike.subject, spike.window_start, spike.until) == (
        "press",
        WEDNESDAY + timedelta(hours=6),
        now,
    )
    assert (spike.count, spike.baseline, spike.threshold, spike.weeks) == (15, 0.0, 3.0, 3)
    assert len(spike.examples) == 3
    assert [s.key for s in raise_spike_alerts(background, [spike], now)] == [
        "spike:press:2026-11-04T06:00Z"
    ]
    # the same run again, a later run in the same window, a scan of the week: nothing new
    assert raise_spike_alerts(background, detector.detect(background, now), now) == []
    later = now + timedelta(hours=1)
    assert raise_spike_alerts(background, detector.detect(background, later), later) == []
    end = T0 + WEEK
    assert raise_spike_alerts(background, detector.detect(background, end, since=T0), end) == []
    assert alerts(background) == ["spike:press:2026-11-04T06:00Z"]
    (payload,) = background.scalars(select(OutboxItem.payload))
    assert payload["author"] == "15 posts on press in 4 h"
    assert len(payload["examples"]) == 3 and payload["topic"] == "press"


def test_a_spike_that_goes_on_is_one_spike(background: Session) -> None:
    seed(background, burst(WEDNESDAY + timedelta(hours=7), 30, minutes=20), "press")  # to 17:00
    detector = SpikeDetector(SETTINGS)
    found = detector.detect(background, WEDNESDAY + timedelta(hours=18), since=WEDNESDAY)
    assert [s.key for s in found] == ["spike:press:2026-11-04T06:00Z"]
    # judged later on its own, the second window (12:00-18:00) is a continuation, not a spike
    assert detector.detect(background, WEDNESDAY + timedelta(hours=19)) == []


def test_negative_sentiment_spikes_too(background: Session) -> None:
    seed(background, burst(WEDNESDAY + timedelta(hours=13), 8), None, "negative")
    (spike,) = SpikeDetector(SETTINGS).detect(background, WEDNESDAY + timedelta(hours=18))
    assert spike.subject == NEGATIVE and spike.label == "negative posts"
    assert spike.key == "spike:sentiment:negative:2026-11-04T12:00Z"


def test_the_threshold_is_mean_plus_k_spreads(session: Session) -> None:
    steady = [6 + 0.5 * i for i in range(10)]  # 10 posts every morning for three weeks
    seed(session, every_day(3, steady), "learning")
    seed(session, burst(WEDNESDAY + timedelta(hours=6), 19, minutes=15), "learning")
    detector = SpikeDetector(SETTINGS)
    noon = WEDNESDAY + timedelta(hours=12)
    assert detector.detect(session, noon) == []  # 19 is not above 10 + 3 * sqrt(10) = 19.5
    seed(session, [WEDNESDAY + timedelta(hours=11, minutes=59)], "learning")
    (spike,) = detector.detect(session, noon)
    assert spike.count == 20 and spike.threshold == pytest.approx(10 + 3 * 10**0.5)


def test_without_history_nothing_is_judged(session: Session) -> None:
    seed(session, burst(WEDNESDAY + timedelta(hours=7), 40), "press")
    assert SpikeDetector(SETTINGS).detect(session, WEDNESDAY + timedelta(hours=12)) == []


def test_windows_align_on_utc_midnight() -> None:
    at = datetime(2026, 11, 4, 10, 37, tzinfo=UTC)
    assert window_start(at, 6) == datetime(2026, 11, 4, 6, tzinfo=UTC)
    assert window_start(at, 24) == datetime(2026, 11, 4, tzinfo=UTC)
    assert window_start(at, 1) == datetime(2026, 11, 4, 10, tzinfo=UTC)


def test_window_hours_must_divide_a_day() -> None:
    with pytest.raises(ConfigError, match=r"spikes\.window_hours: .*must divide 24"):
        settings_from({"spikes": {"window_hours": 5}})


def test_the_app_job_honours_enabled(database_url: str) -> None:
    now = WEDNESDAY + timedelta(hours=10)
    off = build_salon(database_url, Clock(now), spikes={"enabled": False})
    with off.session() as session:
        seed(session, every_day(3, [7.0]), "events")
        seed(session, burst(WEDNESDAY + timedelta(hours=7), 15), "press")
    assert off.spikes() == []
    on = build_salon(database_url, Clock(now))
    assert [s.key for s in on.spikes()] == ["spike:press:2026-11-04T06:00Z"]
    assert on.spikes() == []
    with on.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1
