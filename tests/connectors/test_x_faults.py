"""X connector failures: each recorded error answer maps into connectors.errors."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    PermanentError,
    RateLimited,
    ServerError,
)
from connectors.x.client import _TimeoutAdapter
from connectors.x.normalize import Identity, parse_page, to_post
from tests.connectors.faults import assert_mapped, status_table
from tests.connectors.test_x_support import (
    API,
    MENTIONS_URL,
    S0,
    SECRETS,
    T1,
    connector,
    fault,
    frozen,
    play,
    rsps,
    source,
    tweet,
)

__all__ = ["frozen", "rsps"]  # the fixtures, imported for pytest
pytestmark = pytest.mark.usefixtures("frozen")  # the clock of the recorded traffic

CURSOR = json.dumps({"since_id": S0})


async def failure(conn, src=None, cursor=CURSOR, expected=None) -> ConnectorError:
    """The error one fetch raises, checked as every mapped error is (tests/connectors/faults)."""
    src = src or source("mentions")
    with pytest.raises(ConnectorError) as caught:
        await conn.fetch(src, cursor)
    error = caught.value
    assert_mapped(error, expected or type(error), platform="x", source=src.name, secrets=SECRETS)
    return error


@pytest.mark.parametrize(("status", "expected"), status_table({402: Forbidden}))
async def test_each_http_status_maps_as_on_every_platform(rsps, status, expected):
    problem = {"title": f"HTTP {status}", "detail": "recorded status", "type": "about:blank"}
    rsps.add("GET", MENTIONS_URL, status=status, json=problem)
    await failure(connector(), expected=expected)
    assert len(rsps.calls) == 1  # tweepy neither retries nor sleeps


@pytest.mark.parametrize("kind", ["built", "response"])
async def test_429_waits_until_the_window_resets(rsps, kind):
    fault(rsps, "rate_limited", MENTIONS_URL)  # x-rate-limit-reset = now + 120 s
    error = await failure(connector(kind), expected=RateLimited)
    assert isinstance(error, RateLimited) and error.retry_after == pytest.approx(120)
    assert len(rsps.calls) == 1


async def test_429_on_the_daily_post_cap_waits_for_the_24h_reset(rsps):
    fault(rsps, "daily_cap", f"{API}/2/tweets", method="POST")  # 24-hour reset = now + 1 h
    page = parse_page({"data": [tweet("mentions_pages.json", 0, T1)]})
    post = to_post(page.tweets[0], page, source="x-mentions", identity=Identity("1", "SalonMuseum"))
    assert post is not None
    with pytest.raises(RateLimited) as caught:
        await connector().reply(post, "Thanks!", "key-1")
    assert caught.value.retry_after == pytest.approx(3600)
    assert caught.value.source == "x-mentions"


@pytest.mark.parametrize("name", ["server_error", "over_capacity"])
async def test_5xx_is_a_transient_server_error(rsps, name):
    fault(rsps, name, MENTIONS_URL)
    await failure(connector(), expected=ServerError)


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout("read timed out"), requests.ConnectionError("reset")]
)
async def test_timeouts_and_broken_connections_are_network_errors(rsps, exc):
    rsps.add("GET", MENTIONS_URL, body=exc)
    await failure(connector(), expected=NetworkError)


async def test_the_built_client_never_waits_forever(rsps):
    play(rsps, "mentions_empty.json")
    conn = connector()
    adapter = conn.client.session.get_adapter(API)
    assert isinstance(adapter, _TimeoutAdapter) and adapter.timeout == 30.0
    await conn.fetch(source("mentions"), json.dumps({"since_id": T1}))
    assert rsps.calls[0].request.req_kwargs["timeout"] == 30.0


async def test_401_names_the_bearer_token_for_app_only_reads(rsps):
    fault(rsps, "unauthorized", MENTIONS_URL)
    error = await failure(connector(), expected=AuthError)
    assert isinstance(error, AuthError) and error.credential == "bearer_token"


async def test_401_names_the_access_token_for_user_context_reads(rsps):
    fault(rsps, "unauthorized", MENTIONS_URL)
    error = await failure(connector(bearer_token=None))
    assert isinstance(error, AuthError) and error.credential == "access_token"
    assert rsps.calls[0].request.headers["Authorization"].startswith("OAuth ")


async def test_403_says_what_x_refused(rsps):
    fault(rsps, "forbidden", MENTIONS_URL)
    error = await failure(connector(), expected=Forbidden)
    assert "not permitted" in str(error)


async def test_200_with_only_errors_is_not_found(rsps):
    fault(rsps, "user_not_found", MENTIONS_URL)
    assert isinstance(await failure(connector()), NotFound)


@pytest.mark.parametrize("kind", ["built", "response"])
async def test_truncated_json_is_malformed_and_the_cursor_stays(rsps, kind):
    fault(rsps, "truncated_json", MENTIONS_URL)
    conn = connector(kind)
    error = await failure(conn)
    assert isinstance(error, MalformedResponse) and "invalid JSON" in str(error)
    # nothing was returned, so the caller still holds CURSOR; retrying asks for the same since_id
    rsps.reset()
    play(rsps, "mentions_pages.json", only=[0])
    result = await conn.fetch(source("mentions", max_pages=1), CURSOR)
    assert result.posts and rsps.calls[0].request.params["since_id"] == S0


async def test_malformed_second_page_fails_the_whole_fetch(rsps):
    play(rsps, "mentions_pages.json", only=[0])
    rsps.add("GET", MENTIONS_URL, body="<html>oops</html>", status=200)  # page 2: not JSON
    error = await failure(connector(), source("mentions", max_pages=3))
    assert isinstance(error, MalformedResponse)
    assert len(rsps.calls) == 2


async def test_wrong_shape_is_malformed(rsps):
    fault(rsps, "wrong_shape", MENTIONS_URL)
    error = await failure(connector())
    assert isinstance(error, MalformedResponse) and "'data' is not a list" in str(error)


async def test_unreadable_cursor_is_refused_before_any_request(rsps):
    error = await failure(connector(), cursor="{not json")
    assert isinstance(error, PermanentError) and "cursor" in str(error)
    assert len(rsps.calls) == 0


async def test_tweepy_debug_log_does_not_leak_credentials(rsps, caplog):
    play(rsps, "mentions_empty.json")
    caplog.set_level(logging.DEBUG)
    conn = connector()
    await conn.fetch(source("mentions"), json.dumps({"since_id": T1}))
    assert "Making API request" in caplog.text  # tweepy did log the request headers
    assert "Bearer [redacted]" in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text
