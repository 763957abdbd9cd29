"""The digest's weeks: Monday 00:00 to Monday 00:00 in the institution's time zone.

The weekly digest covers the last *complete* week before it is sent (sent on Monday 09:00, it
covers Monday to Sunday just ended; a week holding a DST change is 167 or 169 hours long).
``/digest`` shows the current week so far. A week's digest is enqueued once, under the key
``digest:<ISO week of its Monday>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 (in ``tz``) of the week holding ``now``, as an aware datetime in ``tz``."""
    here = now.astimezone(tz)
    monday = (here - timedelta(days=here.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday.replace(tzinfo=tz)  # wall-clock arithmetic: re-resolve the offset


def weeks_before(start: datetime, weeks: int, tz: ZoneInfo) -> datetime:
    """The local midnight ``weeks`` calendar weeks before ``start`` (a local midnight)."""
    local = start.astimezone(tz).replace(tzinfo=None) - timedelta(weeks=weeks)
    return local.replace(tzinfo=tz)


def last_complete_week(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC of the last Monday-to-Sunday week that ended by ``now``."""
    end = week_start(now, tz)
    return weeks_before(end, 1, tz).astimezone(UTC), end.astimezone(UTC)


def week_so_far(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC from this week's Monday 00:00 (in ``tz``) to ``now``."""
    return week_start(now, tz).astimezone(UTC), now.astimezone(UTC)


def week_label(start: datetime, tz: ZoneInfo) -> str:
    """The ISO week of a digest starting at ``start`` (``2026-W46``)."""
    return f"{start.astimezone(tz):%G-W%V}"


def digest_key(start: datetime, tz: ZoneInfo) -> str:
    """The outbox idempotency key of the digest for the week starting at ``start``."""
    return f"digest:{week_label(start, tz)}"
