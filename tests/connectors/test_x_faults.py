"""X connector failures: each recorded error answer maps into connectors.errors."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
import time_machine

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
    TransientError,
)
from connectors.x.client import _TimeoutAdapter
from connectors.x.normalize import Identity, parse_page, to_post
from tests.connectors.test_x_support import (
    API,
    MENTIONS_URL,
    NOW,
    S0,
    SECRETS,
    T1,
    connector,
    fault,
    play,
    source,
    tweet,
)

CURSOR = json.dumps({"since_id": S0})


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


async def failure(conn, src=None, cursor=CURSOR) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        await conn.fetch(src or source("mentions"), cursor)
    error = caught.value
    assert error.platform == "x" and error.source == (src or source("mentions")).name
    for secret in SECRETS:
        assert secret not in str(error) and secret not in repr(error)
    return error


@pytest.mark.parametrize("kind", ["built", "response"])
async def test_429_waits_until_the_window_resets(rsps, kind):
    fault(rsps, "rate_limited", MENTIONS_URL)  # x-rate-limit-reset = now + 120 s
    error = await failure(connector(kind))
    assert isinstance(error, RateLimited) and isinstance(error, TransientError)
    assert error.retry_after == pytest.approx(120)
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
    error = await failure(connector())
    assert isinstance(error, ServerError) and isinstance(error, TransientError)


@pytest.mark.parametrize(
    "exc", [requests.exceptions.ReadTimeout("read timed out"), requests.ConnectionError("reset")]
)
async def test_timeouts_and_broken_connections_are_network_errors(rsps, exc):
    rsps.add("GET", MENTIONS_URL, body=exc)
    error = await failure(connector())
    assert isinstance(error, NetworkError) and isinstance(error, TransientError)


async def test_the_built_client_never_waits_forever(rsps):
    play(rsps, "mentions_empty.json")
    conn = connector()
    adapter = conn.client.session.get_adapter(API)
    assert isinstance(adapter, _TimeoutAdapter) and adapter.timeout == 30.0
    await conn.fetch(source("mentions"), json.dumps({"since_id": T1}))
    assert rsps.calls[0].request.req_kwargs["timeout"] == 30.0


async def test_401_names_the_bearer_token_for_app_only_reads(rsps):
    fault(rsps, "unauthorized", MENTIONS_URL)
    error = await failure(connector())
    assert isinstance(error, AuthError) and isinstance(error, PermanentError)
    assert error.credential == "bearer_token"


async def test_401_names_the_access_token_for_user_context_reads(rsps):
    fault(rsps, "unauthorized", MENTIONS_URL)
    error = await failure(connector(bearer_token=None))
    assert isinstance(error, AuthError) and error.credential == "access_token"
    assert rsps.calls[0].request.headers["Authorization"].startswith("OAuth ")


async def test_403_is_forbidden_and_404_not_found(rsps):
    fault(rsps, "forbidden", MENTIONS_URL)
    error = await failure(connector())
    assert isinstance(error, Forbidden) and "not permitted" in str(error)
    rsps.replace("GET", MENTIONS_URL, status=404, json={"title": "Not Found Error"})
    assert isinstance(await failure(connector()), NotFound)


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
