"""Bluesky failures mapped into connectors.errors, through the real SDK and recorded answers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
import time_machine
from pydantic import SecretStr

from connectors.base import Source
from connectors.bluesky import BlueskyConnector, Settings
from connectors.bluesky.cursors import Mark, SweepCursor
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
from tests.connectors.test_bluesky_replay import (
    ME_HANDLE,
    Replay,
    load,
    make_client,
    make_connector,
)

FAULTS: dict[str, dict[str, Any]] = load("faults")["responses"]
NOTIFICATIONS = "/xrpc/app.bsky.notification.listNotifications"
SOURCE = Source(name="bsky-mentions", feed="notifications")
RESET = int(FAULTS["rate_limited"]["headers"]["ratelimit-reset"])


async def _fail(
    *responses: dict[str, Any],
    cursor: str | None = None,
    expected: type[ConnectorError] | None = None,
) -> Any:
    replay = Replay.answering("GET", NOTIFICATIONS, *responses)
    connector = make_connector(replay)
    with pytest.raises(ConnectorError) as caught:
        await connector.fetch(SOURCE, cursor)
    error = caught.value
    assert_mapped(error, expected or type(error), platform="bluesky", source=SOURCE.name)
    replay.assert_all_played()
    return error


@pytest.mark.parametrize(("status", "expected"), status_table({409: TransientError}))
async def test_each_http_status_maps_as_on_every_platform(
    status: int, expected: type[ConnectorError]
) -> None:
    answer = {"status": status, "json": {"error": "RecordedStatus", "message": f"HTTP {status}"}}
    await _fail(answer, expected=expected)


@time_machine.travel(RESET - 42, tick=False)
async def test_429_waits_until_the_ratelimit_reset() -> None:
    error = await _fail(FAULTS["rate_limited"], expected=RateLimited)
    assert error.retry_after == pytest.approx(42)
    assert "remaining=0" in str(error) and "3000;w=300" in str(error)


@time_machine.travel(RESET - 42, tick=False)
async def test_429_falls_back_to_retry_after_then_to_a_default() -> None:
    retry_after = {
        "status": 429,
        "headers": {"content-type": "application/json", "retry-after": "17"},
        "json": {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
    }
    assert (await _fail(retry_after)).retry_after == 17
    bare = {"status": 429, "headers": {}, "body": ""}
    assert (await _fail(bare)).retry_after == 60
    past = dict(FAULTS["rate_limited"], headers={"ratelimit-reset": str(RESET - 100)})
    assert (await _fail(past)).retry_after == 0


async def test_429_delay_is_measured_against_the_servers_clock() -> None:
    # our clock is an hour off; the response's Date header says the reset is 30 s away
    date = format_datetime(datetime.fromtimestamp(RESET - 30, tz=UTC), usegmt=True)
    with time_machine.travel(RESET + 3600, tick=False):
        skewed = dict(FAULTS["rate_limited"])
        skewed["headers"] = {**skewed["headers"], "date": date}
        assert (await _fail(skewed)).retry_after == 30
        http_date = format_datetime(datetime.fromtimestamp(RESET + 3600 + 90, tz=UTC), usegmt=True)
        bare = {"status": 429, "headers": {"retry-after": http_date}, "body": ""}
        assert (await _fail(bare)).retry_after == 90


@pytest.mark.parametrize("name", ["server_error", "bad_gateway", "unavailable"])
async def test_5xx_is_a_transient_server_error(name: str) -> None:
    error = await _fail(FAULTS[name], expected=ServerError)
    assert str(FAULTS[name]["status"]) in str(error)


@pytest.mark.parametrize("failure", ["ReadTimeout", "ConnectTimeout", "ConnectError"])
async def test_timeouts_and_connection_errors_are_network_errors(failure: str) -> None:
    await _fail({"raise": failure}, expected=NetworkError)


async def test_401_is_an_auth_error_naming_the_credential() -> None:
    error = await _fail(FAULTS["unauthorized"], expected=AuthError)
    assert error.credential == "app_password"
    error = await _fail(FAULTS["expired"], expected=AuthError)  # a session it cannot refresh
    assert error.credential == "app_password"
    assert "ExpiredToken" in str(error)


async def test_403_is_forbidden_and_permanent() -> None:
    error = await _fail(FAULTS["forbidden"], expected=Forbidden)
    assert "Bad token scope" in str(error)


@pytest.mark.parametrize("name", ["truncated_json", "html", "wrong_shape"])
async def test_malformed_answers_are_refused_and_the_cursor_stays(name: str) -> None:
    cursor = SweepCursor(Mark()).dump()
    await _fail(FAULTS[name], cursor=cursor, expected=MalformedResponse)
    # the caller keeps its cursor; the same cursor works once the platform answers properly
    replay = Replay.of("notifications")
    result = await make_connector(replay).fetch(SOURCE, cursor)
    assert len(result.posts) == 7  # every mention, reply and quote recorded; not the like


async def test_a_malformed_page_in_the_middle_of_a_walk_moves_nothing() -> None:
    page_one, page_two, _ = load("notifications")["interactions"]
    replay = Replay(
        [page_one, {"request": page_two["request"], "response": FAULTS["truncated_json"]}]
    )
    connector = make_connector(replay)
    with pytest.raises(MalformedResponse):
        await connector.fetch(SOURCE, SweepCursor(Mark()).dump())
    replay.assert_all_played()


async def test_a_vanished_thread_is_dropped_not_fatal() -> None:
    feed = load("threads")["interactions"][0]
    thread_request = load("threads")["interactions"][1]["request"]
    replay = Replay([feed, {"request": thread_request, "response": FAULTS["not_found"]}])
    connector = make_connector(replay)
    source = Source(name="bsky-threads", feed="threads", backfill_hours=48)
    result = await connector.fetch(source, None)
    replay.assert_all_played()
    assert result.requests_made == 2 and not result.has_more
    assert any("no longer exists" in w for w in result.warnings)
    direct = make_connector(Replay.answering("GET", thread_request["path"], FAULTS["not_found"]))
    with pytest.raises(NotFound):
        await direct.find_reply(result.posts[0], "x", "k")


async def test_secrets_stay_out_of_reprs_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "abcd-efgh-ijkl-mnop"
    settings = Settings(handle=ME_HANDLE, app_password=SecretStr(secret))
    assert secret not in repr(settings) and secret not in str(settings.model_dump())
    replay = Replay.answering(
        "POST", "/xrpc/com.atproto.server.createSession", FAULTS["unauthorized"]
    )
    connector = BlueskyConnector(settings, client=make_client(replay, logged_in=False))
    assert secret not in repr(connector)
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as caught:
        await connector.fetch(SOURCE, None)
    assert caught.value.credential == "app_password"
    assert replay.calls[0].read().count(secret.encode()) == 1  # it was sent, once, in the body
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert secret not in caplog.text


async def test_no_credentials_at_all_is_an_auth_error_without_a_request() -> None:
    replay = Replay([])
    connector = BlueskyConnector(
        Settings(handle=ME_HANDLE), client=make_client(replay, logged_in=False)
    )
    with pytest.raises(AuthError) as caught:
        await connector.fetch(SOURCE, None)
    assert caught.value.credential == "app_password" and replay.calls == []
