"""Shared helpers for the X connector tests: settings, clients and recorded-traffic replay.

The recorded traffic lives in ``fixtures/x/*.json`` as ``interactions`` (request: method, URL,
full query, scrubbed auth header; response: status, headers, body). :func:`play` registers
them with ``responses`` so tweepy's real ``requests`` calls are answered from the file, and
requests must carry exactly the recorded query (or they do not match and the test fails).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
import time_machine
import tweepy
from responses import matchers

from connectors.base import FetchResult, Source
from connectors.x import Settings, XConnector

FIXTURES = Path(__file__).parent / "fixtures" / "x"
NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
NOW_EPOCH = 1773144000
API = "https://api.twitter.com"

ACCOUNT_ID = "1458392036612345856"
BEARER = "bearer-PLACEHOLDER-0123456789"
CONSUMER_KEY = "consumer-key-PLACEHOLDER"
CONSUMER_SECRET = "consumer-secret-PLACEHOLDER-abcdef"
ACCESS_TOKEN = f"{ACCOUNT_ID}-access-token-PLACEHOLDER"
ACCESS_SECRET = "access-secret-PLACEHOLDER-ghijkl"
SECRETS = (BEARER, CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_SECRET)

# ids from the recorded traffic (snowflakes matching their timestamps)
P0 = "2031293983751876609"  # our root post, 09:00
P1 = "2031022192852676611"  # our reply in Léa's thread L0
L0 = "2031007093358276610"
S0 = "2031278884257476617"  # the since_id the mentions pages start from (08:00)
T1, T2, T3 = "2031336815984324608", "2031334270041796608", "2031331984146116608"
O4, V4 = "2031323050278596608", "2031324728000196608"  # edited: original, latest version
D, T5 = "2031314116408266752", "2031316821737156608"  # deleted parent, reply to it
T6, T7 = "2031311641771716608", "2031310341537476608"  # 280 characters, minimal fields
S1, S2, S3 = "2031335507361476612", "2031329215905476608", "2031326699323076608"
C1, C2, C3 = "2031340540526276608", "2031341798817476613", "2031344315399876608"
R1 = "2031339533893316615"  # our reply to T1
OLD_SINCE = "2024755902676676608"  # 2026-02-20, outside the recent-search window
MENTIONS_URL = f"{API}/2/users/{ACCOUNT_ID}/mentions"
SEARCH_URL = f"{API}/2/tweets/search/recent"
SEARCH_QUERY = 'Vermeer OR "Salon Museum"'


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Recorded traffic only: every registered answer must be used, nothing else is served."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def frozen() -> Iterator[None]:
    """The clock of the recorded traffic (modules use it with ``autouse``)."""
    with time_machine.travel(NOW, tick=False):
        yield


def load(name: str) -> dict[str, Any]:
    """A fixture file as JSON."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def settings(**overrides: Any) -> Settings:
    """Settings with placeholder credentials: app-only reads, OAuth 1.0a for writes."""
    values: dict[str, Any] = {
        "bearer_token": BEARER,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_SECRET,
        "user_id": ACCOUNT_ID,
        "handle": "SalonMuseum",
    }
    values.update(overrides)
    return Settings(**{k: v for k, v in values.items() if v is not None})


def connector(kind: str = "built", /, **overrides: Any) -> XConnector:
    """An X connector; ``kind``: "built" (from settings), "response" or "dict" (given client)."""
    config = settings(**overrides)
    if kind == "built":
        return XConnector(config)
    secret = {
        "bearer_token": BEARER if config.bearer_token else None,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_SECRET,
    }
    return_type = tweepy.Response if kind == "response" else dict
    client = tweepy.Client(**secret, return_type=return_type)
    return XConnector(config, client=client)


def source(feed: str = "mentions", **kwargs: Any) -> Source:
    """A source of the given feed named ``x-<feed>``."""
    return Source(name=f"x-{feed}", feed=feed, **kwargs)


def _auth_matcher(value: str) -> Any:
    if value == "<OAUTH1>":
        pattern = re.compile(rf'^OAuth .*oauth_consumer_key="{re.escape(CONSUMER_KEY)}"')
        return matchers.header_matcher({"Authorization": pattern})
    return matchers.header_matcher({"Authorization": value.replace("<BEARER_TOKEN>", BEARER)})


def play(
    rsps: responses.RequestsMock,
    name: str,
    *,
    only: list[int] | None = None,
    query: dict[str, str | None] | None = None,
    body: dict[str, Any] | None = None,
) -> list[Any]:
    """Register the recorded interactions of ``name`` (``only``: their indexes).

    ``query`` overrides recorded query values (None-valued keys are removed) and ``body``
    replaces the response body: used to serve the same page to a different request.
    """
    registered = []
    for index, interaction in enumerate(load(name)["interactions"]):
        if only is not None and index not in only:
            continue
        request, response = interaction["request"], interaction["response"]
        match = []
        if "query" in request or query:
            wanted = {**request.get("query", {}), **(query or {})}
            wanted = {k: v for k, v in wanted.items() if v is not None}
            match.append(matchers.query_param_matcher(wanted))
        if "json" in request:
            match.append(matchers.json_params_matcher(request["json"]))
        auth = request.get("headers", {}).get("authorization")
        if auth:
            match.append(_auth_matcher(auth))
        registered.append(
            rsps.add(
                request["method"],
                request["url"],
                json=body if body is not None else response.get("body"),
                status=response["status"],
                headers=response.get("headers", {}),
                match=match,
            )
        )
    return registered


def fault(rsps: responses.RequestsMock, name: str, url: str, method: str = "GET") -> Any:
    """Register one recorded error answer (from ``faults.json``) for any request to ``url``."""
    answer = load("faults.json")["responses"][name]
    headers = {k: v for k, v in answer["headers"].items() if k != "content-type"}
    kwargs: dict[str, Any] = {"status": answer["status"], "headers": headers}
    kwargs["content_type"] = answer["headers"].get("content-type", "application/json")
    if "text" in answer:
        kwargs["body"] = answer["text"]
    else:
        kwargs["body"] = json.dumps(answer["body"])
    return rsps.add(method, url, **kwargs)


def cursor_of(result: FetchResult) -> dict[str, Any]:
    """The decoded ``next_cursor`` of a fetch result (which must have one)."""
    assert result.next_cursor is not None
    decoded: dict[str, Any] = json.loads(result.next_cursor)
    return decoded


def page_body(name: str, index: int = 0) -> dict[str, Any]:
    """The recorded response body of one interaction."""
    body: dict[str, Any] = load(name)["interactions"][index]["response"]["body"]
    return body


def tweet(name: str, index: int, post_id: str) -> dict[str, Any]:
    """One recorded post (by id) from the body of interaction ``index`` of ``name``."""
    body = page_body(name, index)
    found: dict[str, Any] = next(t for t in body["data"] if t["id"] == post_id)
    return found
