"""The shared HTTP fault table and rate-limit header helpers (connectors/http_faults.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import time_machine
from requests.structures import CaseInsensitiveDict

from connectors.errors import (
    ConnectorError,
    Forbidden,
    NotFound,
    PermanentError,
    ServerError,
    TransientError,
)
from connectors.http_faults import (
    DEFAULT_RETRY_AFTER,
    epoch,
    for_status,
    header,
    header_waits,
    longest_wait,
    number,
    retry_after_header,
    server_clock,
)
from tests.connectors.faults import assert_mapped, status_table

NOW = 1_750_000_000.0


def http_date(seconds: float) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, tz=UTC), usegmt=True)


@pytest.mark.parametrize(("status", "expected"), status_table({410: NotFound}))
def test_every_status_maps_to_one_class(status: int, expected: type[ConnectorError]) -> None:
    error = for_status(status, "HTTP said no", platform="p", source="s", credential="token")
    assert_mapped(error, expected, platform="p", source="s")


def test_unlisted_statuses_fall_back_by_class_and_overrides_win() -> None:
    assert type(for_status(599, "m", platform="p")) is ServerError
    assert type(for_status(418, "m", platform="p")) is PermanentError
    assert isinstance(
        for_status(409, "m", platform="p", overrides={409: TransientError}), TransientError
    )
    assert isinstance(for_status(402, "m", platform="p", overrides={402: Forbidden}), Forbidden)


def test_rate_limited_and_auth_messages_say_what_to_do() -> None:
    limited = for_status(429, "slow down", platform="p", retry_after=42.4)
    assert str(limited) == "[p] slow down (retry in 42s)"
    auth = for_status(401, "rejected", platform="p", credential="app_password")
    assert str(auth) == "[p] rejected (check app_password)"


def test_headers_are_read_in_any_case_and_empty_means_absent() -> None:
    headers = {"Retry-After": " 7 ", "X-Empty": ""}
    assert header(headers, "retry-after") == "7"
    assert header(CaseInsensitiveDict(headers), "RETRY-AFTER") == "7"
    assert header(headers, "x-empty") is None and header(None, "date") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12.0),
        ("1.5", 1.5),
        (3, 3.0),
        ("inf", None),
        ("nan", None),
        ("soon", None),
        (None, None),
        (True, None),
    ],
)
def test_number_accepts_only_finite_numbers(value: object, expected: float | None) -> None:
    assert number(value) == expected


def test_epoch_reads_unix_and_iso_times() -> None:
    assert epoch("1750000000") == NOW
    assert epoch("2025-06-15T15:06:40Z") == NOW
    assert epoch("tomorrow") is None and epoch(None) is None


def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert retry_after_header({"retry-after": "30"}, NOW) == 30
    assert retry_after_header({"retry-after": http_date(NOW + 90)}, NOW) == 90
    assert retry_after_header({"retry-after": "whenever"}, NOW) is None
    assert retry_after_header({}, NOW) is None


def test_the_servers_clock_beats_ours() -> None:
    with time_machine.travel(NOW + 3600, tick=False):
        assert server_clock({"Date": http_date(NOW)}) == NOW
        assert server_clock({"Date": "garbage"}) == NOW + 3600
        # a reset 30 s after the server's Date waits 30 s, whatever our clock says
        waits = header_waits({"Date": http_date(NOW), "x-reset": str(NOW + 30)}, "x-reset")
        assert waits == [30]


def test_longest_wait_clamps_and_defaults() -> None:
    assert longest_wait([5, None, 20]) == 20
    assert longest_wait([-10]) == 0
    assert longest_wait([0.2], floor=1.0) == 1.0
    assert longest_wait([10**9], cap=3600) == 3600
    assert longest_wait([]) == longest_wait([None]) == DEFAULT_RETRY_AFTER
