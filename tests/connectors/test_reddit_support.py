"""Shared helpers for the Reddit connector tests (no tests here).

The real ``praw.Reddit`` / prawcore / requests stack runs; ``responses`` answers every HTTP
request from the payloads in ``fixtures/reddit`` and fails the test if a registered answer
was not used (``assert_all_requests_are_fired``) or if anything else was asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.base import Source
from connectors.reddit import RedditConnector, Settings
from connectors.reddit.cursor import Cursor, Edge, ListingState

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
API = "https://oauth.reddit.com"
SUB = "MuseumOfExample"
ME = "ExampleMuseum"
ME_ID = "t2_8xk2m"
T0 = 1741953600.0  # 2025-03-14T12:00:00Z: "now" for the recorded traffic
NOW = datetime.fromtimestamp(T0, tz=UTC)
# what Reddit sends with every API answer (plenty of budget left: prawcore never sleeps)
RATE_HEADERS = {
    "x-ratelimit-remaining": "995.0",
    "x-ratelimit-used": "5",
    "x-ratelimit-reset": "412",
}
SECRETS = ("<CLIENT_SECRET>", "<PASSWORD>", "<REFRESH_TOKEN>")


def load(name: str) -> Any:
    """A fixture payload (JSON files parsed, anything else as text)."""
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text


def settings(**over: Any) -> Settings:
    """Script-app settings with placeholder credentials."""
    values: dict[str, Any] = {
        "client_id": "<CLIENT_ID>",
        "client_secret": "<CLIENT_SECRET>",
        "username": ME,
        "password": "<PASSWORD>",
        "account_id": ME_ID,
        "user_agent": "python:salon-tests:0.1 (by /u/ExampleMuseum)",
    }
    values.update(over)
    return Settings(**values)


def connector(**over: Any) -> RedditConnector:
    """A connector whose praw.Reddit is built from settings (as in production)."""
    return RedditConnector(settings(**over))


def source(feed: str = "subreddit", **options: Any) -> Source:
    """A source; ``max_pages``/``backfill_hours``/``name`` may be passed among the options."""
    max_pages = options.pop("max_pages", 3)
    backfill = options.pop("backfill_hours", None)
    name = options.pop("name", f"reddit-{feed}")
    if feed == "subreddit":
        options.setdefault("subreddits", [SUB])
    return Source(
        name=name, feed=feed, options=options, max_pages=max_pages, backfill_hours=backfill
    )


def cursor_at(seconds_ago: float, *listings: str) -> str:
    """A cursor whose listings have handled everything older than ``seconds_ago``."""
    state = Cursor(lists={key: ListingState(mark=Edge(T0 - seconds_ago)) for key in listings})
    return state.encode()


def query(**params: Any) -> Any:
    """Match exactly these query parameters (prawcore always adds ``raw_json=1``)."""
    return matchers.query_param_matcher(
        {"raw_json": "1", **{k: str(v) for k, v in params.items()}}, strict_match=True
    )


def api_calls(rsps: responses.RequestsMock) -> list[Any]:
    """The calls that reached the API host (the token endpoint is not a page)."""
    return [call for call in rsps.calls if str(call.request.url).startswith(API)]


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Recorded traffic; the token endpoint answers once per client with a placeholder."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(responses.POST, TOKEN_URL, json=load("token.json"))
        yield mock


def add_page(
    rsps: responses.RequestsMock,
    path: str,
    fixture: str,
    *,
    params: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    """Register one listing page answer for ``GET path`` with exactly ``params``."""
    rsps.add(
        responses.GET,
        f"{API}/{path}",
        json=load(fixture),
        headers=headers or RATE_HEADERS,
        match=[query(**params)],
    )
