"""Mastodon connector: SDK failures and HTTP statuses mapped into connectors/errors.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import time_machine

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    TransientError,
)
from tests.connectors.faults import assert_mapped, status_table
from tests.connectors.test_mastodon_support import (
    BASE,
    FROZEN,
    TOKEN,
    add_response,
    load,
    make_connector,
    offline,
    register,
    replay,
    source,
)

NOTES = "/api/v1/notifications"
CURSOR = "34975100"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(FROZEN, tick=False):
        yield


def _answer(name: str) -> dict[str, object]:
    answer: dict[str, object] = load("faults.json")["responses"][name]
    return answer


async def _fetch_failing(
    answer: str | dict[str, object], expected: type[ConnectorError] | None = None
) -> ConnectorError:
    """The error a mentions poll raises on ``answer`` (a recorded fault's name, or an answer)."""
    connector = make_connector()
    with offline() as played:
        add_response(
            played.mock, "GET", NOTES, _answer(answer) if isinstance(answer, str) else answer
        )
        with pytest.raises(ConnectorError) as caught:
            await connector.fetch(source("mentions", name="masto-m"), CURSOR)
    assert len(played.calls) == 1, "the SDK must not retry or sleep on its own"
    error = caught.value
    assert_mapped(
        error, expected or type(error), platform="mastodon", source="masto-m", secrets=(TOKEN,)
    )
    return error


@pytest.mark.parametrize(("status", "expected"), status_table({410: NotFound}))
async def test_each_http_status_maps_as_on_every_platform(
    status: int, expected: type[ConnectorError]
) -> None:
    await _fetch_failing({"status": status, "json": {"error": f"HTTP {status}"}}, expected)


async def test_429_uses_the_reset_header_against_the_server_clock() -> None:
    # X-RateLimit-Reset 15:02:30 vs Date 15:00:00: 150 s whatever our own clock says.
    error = await _fetch_failing("rate_limited", RateLimited)
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(150.0, abs=0.5)


async def test_429_without_date_uses_our_clock(frozen: None) -> None:
    error = await _fetch_failing("rate_limited_no_date")
    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(240.0, abs=1.0)


async def test_429_with_retry_after_seconds() -> None:
    answer = {"status": 429, "headers": {"Retry-After": "42"}, "json": {"error": "slow down"}}
    error = await _fetch_failing(answer, RateLimited)
    assert isinstance(error, RateLimited) and error.retry_after == pytest.approx(42.0)


@pytest.mark.parametrize("name", ["server_error", "unavailable"])
async def test_5xx_is_transient(name: str) -> None:
    error = await _fetch_failing(name, ServerError)
    assert str(error).startswith("[mastodon:masto-m]")


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("reset"),
    ],
)
async def test_timeouts_and_connection_errors_are_network_errors(failure: Exception) -> None:
    connector = make_connector()
    with offline() as played:
        played.mock.add("GET", BASE + NOTES, body=failure)
        with pytest.raises(NetworkError) as caught:
            await connector.fetch(source("mentions", name="masto-m"), CURSOR)
    assert isinstance(caught.value, TransientError)
    assert caught.value.platform == "mastodon" and caught.value.source == "masto-m"


async def test_401_names_the_credential() -> None:
    error = await _fetch_failing("unauthorized", AuthError)
    assert isinstance(error, AuthError) and error.credential == "access_token"
    assert "The access token is invalid" in str(error)


async def test_403_is_forbidden() -> None:
    error = await _fetch_failing("forbidden", Forbidden)
    assert "outside the authorized scopes" in str(error)


async def test_404_is_not_found() -> None:
    await _fetch_failing("not_found", NotFound)


@pytest.mark.parametrize("name", ["malformed", "wrong_shape"])
async def test_unparseable_answers_are_malformed(name: str) -> None:
    error = await _fetch_failing(name, MalformedResponse)
    assert "GET /api/v1/notifications" in str(error)


async def test_malformed_second_page_leaves_the_cursor_where_it_was() -> None:
    """A bad page mid-fetch raises: no result, so the stored cursor cannot move; re-polling
    from the same cursor replays the good page."""
    connector = make_connector()
    src = source("mentions", options={"limit": 2}, max_pages=3)
    doc = load("mentions_pages.json")
    with offline() as played:
        register(played.mock, doc, only=[0])
        add_response(played.mock, "GET", NOTES, _answer("malformed"))
        with pytest.raises(MalformedResponse):
            await connector.fetch(src, CURSOR)
        assert len(played.calls) == 2
    with replay("mentions_pages.json") as played:
        result = await connector.fetch(src, CURSOR)
    assert result.next_cursor == "34975105" and len(played.calls) == 3


async def test_malformed_item_names_the_field() -> None:
    connector = make_connector()
    doc = load("mentions_idle.json")
    broken = {
        "id": "34975106",
        "type": "mention",
        "created_at": "2024-05-17T15:00:01.000Z",
        "status": {"id": "1", "created_at": "yesterday", "account": {"id": "2", "acct": "x"}},
    }
    answer = dict(doc["interactions"][0]["response"], json=[broken])
    with offline() as played:
        add_response(played.mock, "GET", NOTES, answer)
        with pytest.raises(MalformedResponse) as caught:
            await connector.fetch(source("mentions"), "34975105")
    assert "created_at" in str(caught.value) and "'yesterday'" in str(caught.value)


async def test_spent_rate_window_stops_paging_early() -> None:
    connector = make_connector()
    with offline() as played:
        add_response(played.mock, "GET", NOTES, _answer("window_spent"))
        result = await connector.fetch(source("mentions", options={"limit": 2}), CURSOR)
    assert result.requests_made == 1 == len(played.calls)  # no request that would be a 429
    assert result.has_more and result.next_cursor == "34975102"
    assert len(result.posts) == 2
