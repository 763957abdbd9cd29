"""Reddit connector: platform failures map into connectors.errors, and the cursor holds."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
)
from tests.connectors.faults import assert_mapped, status_table
from tests.connectors.test_reddit_support import (
    API,
    RATE_HEADERS,
    SECRETS,
    SUB,
    TOKEN_URL,
    add_page,
    api_calls,
    connector,
    cursor_at,
    load,
    rsps,
    source,
)

__all__ = ["rsps"]

NEW = f"r/{SUB}/new"
SRC = source(items=["submissions"], name="r-museum")
START = cursor_at(4 * 3600, "submissions")
INVALID_TOKEN = {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'}


async def fail(exc_type: type[ConnectorError], **over: object) -> ConnectorError:
    """Fetch once and return the error, checking what every mapped error must carry."""
    reddit = connector(**over)
    with pytest.raises(ConnectorError) as caught:
        await reddit.fetch(SRC, START)
    assert_mapped(caught.value, exc_type, platform="reddit", source="r-museum", secrets=SECRETS)
    return caught.value


def answer(rsps: responses.RequestsMock, **kwargs: object) -> None:
    rsps.add(responses.GET, f"{API}/{NEW}", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "expected"), status_table({451: Forbidden}))
async def test_each_http_status_maps_as_on_every_platform(
    rsps: responses.RequestsMock, status: int, expected: type[ConnectorError]
) -> None:
    headers = INVALID_TOKEN if status == 401 else {}  # Reddit's 401 always says why
    answer(
        rsps, status=status, json={"message": "recorded status", "error": status}, headers=headers
    )
    await fail(expected)
    assert len(api_calls(rsps)) == 1  # prawcore's built-in retries are off


async def test_429_uses_retry_after(rsps: responses.RequestsMock) -> None:
    answer(rsps, status=429, body="Too Many Requests", headers={"Retry-After": "7"})
    err = await fail(RateLimited)
    assert isinstance(err, RateLimited) and err.retry_after == 7.0
    assert len(api_calls(rsps)) == 1


async def test_429_uses_ratelimit_reset_when_the_budget_is_spent(
    rsps: responses.RequestsMock,
) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "312"}
    answer(rsps, status=429, json={"message": "Too Many Requests", "error": 429}, headers=headers)
    reddit = connector()
    with pytest.raises(RateLimited) as caught:
        await reddit.fetch(SRC, START)
    assert caught.value.retry_after == 312.0
    # prawcore remembered the reset: the next poll is refused before any request goes out
    with pytest.raises(RateLimited) as again:
        await reddit.fetch(SRC, START)
    assert 300 < again.value.retry_after <= 312
    assert len(api_calls(rsps)) == 1


async def test_429_retry_after_is_raised_to_the_reset(rsps: responses.RequestsMock) -> None:
    headers = {
        "Retry-After": "30",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "1000",
        "x-ratelimit-reset": "95",
    }
    answer(rsps, status=429, body="", headers=headers)
    err = await fail(RateLimited)
    assert isinstance(err, RateLimited) and err.retry_after == 95.0


async def test_spent_budget_stops_paging_instead_of_sleeping(rsps: responses.RequestsMock) -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "120"}
    add_page(rsps, NEW, "new_page1.json", params={"limit": 3}, headers=spent)
    reddit = connector()
    src = source(items=["submissions"], page_size=3, max_pages=3, name="r-museum")
    result = await reddit.fetch(src, START)
    assert result.requests_made == 1 and result.has_more and len(result.posts) == 3
    with pytest.raises(RateLimited) as caught:
        await reddit.fetch(src, result.next_cursor)
    assert 110 < caught.value.retry_after <= 120
    assert len(api_calls(rsps)) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_transient_and_not_retried(rsps: responses.RequestsMock, status: int) -> None:
    answer(rsps, status=status, body="<html>upstream error</html>", headers=RATE_HEADERS)
    err = await fail(ServerError)
    assert str(status) in str(err)
    assert len(api_calls(rsps)) == 1  # prawcore's built-in retries are off


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout("Read timed out. (read timeout=16)"),
        requests.exceptions.ConnectTimeout("Connection to oauth.reddit.com timed out"),
        requests.exceptions.ConnectionError("Connection reset by peer"),
    ],
)
async def test_timeouts_and_dropped_connections_are_network_errors(
    rsps: responses.RequestsMock, failure: Exception
) -> None:
    answer(rsps, body=failure)
    err = await fail(NetworkError)
    assert type(failure).__name__ in str(err)
    assert len(api_calls(rsps)) == 1


async def test_401_names_the_password(rsps: responses.RequestsMock) -> None:
    answer(rsps, status=401, json={"message": "Unauthorized", "error": 401}, headers=INVALID_TOKEN)
    err = await fail(AuthError)
    assert isinstance(err, AuthError) and err.credential == "password"


async def test_401_names_the_refresh_token(rsps: responses.RequestsMock) -> None:
    answer(rsps, status=401, json={"message": "Unauthorized", "error": 401}, headers=INVALID_TOKEN)
    err = await fail(AuthError, username=None, password=None, refresh_token="<REFRESH_TOKEN>")
    assert isinstance(err, AuthError) and err.credential == "refresh_token"
    token_call = next(c for c in rsps.calls if c.request.url == TOKEN_URL)
    assert "grant_type=refresh_token" in str(token_call.request.body)


async def test_token_endpoint_401_names_the_client_secret() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(responses.POST, TOKEN_URL, status=401, json={"message": "Unauthorized"})
        err = await fail(AuthError)
        assert isinstance(err, AuthError) and err.credential == "client_secret"


async def test_wrong_password_names_the_password() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(responses.POST, TOKEN_URL, json={"error": "invalid_grant"})
        err = await fail(AuthError)
        assert isinstance(err, AuthError) and err.credential == "password"
        assert "invalid_grant" in str(err)


async def test_missing_scope_is_forbidden(rsps: responses.RequestsMock) -> None:
    scope = {"www-authenticate": 'Bearer realm="reddit", error="insufficient_scope"'}
    answer(rsps, status=403, json={"message": "Forbidden", "error": 403}, headers=scope)
    err = await fail(Forbidden)
    assert "scope" in str(err)


async def test_unknown_subreddit_redirect_is_not_found(rsps: responses.RequestsMock) -> None:
    location = "https://oauth.reddit.com/subreddits/search.json?q=MuseumOfExample"
    answer(rsps, status=302, body="", headers={"location": location})
    err = await fail(NotFound)
    assert "/subreddits/search" in str(err)


async def test_malformed_json_keeps_the_cursor(rsps: responses.RequestsMock) -> None:
    answer(rsps, body=load("cdn_error.html"), content_type="text/html", headers=RATE_HEADERS)
    page = load("new_page1.json")
    page["data"]["after"] = None
    answer(rsps, json=page, headers=RATE_HEADERS)  # served after the broken answer
    err = await fail(MalformedResponse)
    assert "JSON" in str(err) and "text/html" in str(err)
    # nothing was consumed: the same cursor, once Reddit answers properly, brings the posts
    reddit = connector()
    result = await reddit.fetch(SRC, START)
    expected = [child["data"]["name"] for child in page["data"]["children"]]
    assert [p.id for p in result.posts] == expected[::-1]  # oldest first
    assert reddit.cursor_position(result.next_cursor or "") > reddit.cursor_position(START)


async def test_json_that_is_not_a_listing(rsps: responses.RequestsMock) -> None:
    answer(rsps, json={"kind": "t3", "data": {}}, headers=RATE_HEADERS)
    err = await fail(MalformedResponse)
    assert "Listing" in str(err)


async def test_one_unreadable_item_is_skipped_with_a_warning(
    rsps: responses.RequestsMock,
) -> None:
    page = load("new_page1.json")
    del page["data"]["children"][1]["data"]["created_utc"]
    page["data"]["children"][2]["data"].pop("title")
    page["data"]["after"] = None
    answer(rsps, json=page, headers=RATE_HEADERS)
    result = await connector().fetch(SRC, START)
    assert [p.id for p in result.posts] == [page["data"]["children"][0]["data"]["name"]]
    assert len(result.warnings) == 2
    assert "created_utc" in result.warnings[0] and "title" in result.warnings[1]


async def test_unreadable_cursor_is_refused_before_any_request(
    rsps: responses.RequestsMock,
) -> None:
    reddit = connector()
    with pytest.raises(MalformedResponse):
        await reddit.fetch(SRC, "t3_abc123")
    assert api_calls(rsps) == []
    rsps.remove(responses.POST, TOKEN_URL)  # the token was never needed


async def test_token_endpoint_html_is_malformed() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(responses.POST, TOKEN_URL, body=load("cdn_error.html"), content_type="text/html")
        err = await fail(MalformedResponse)
        assert "JSON" in str(err)
