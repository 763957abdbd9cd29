"""Shared helpers for the Mastodon connector tests (this module holds no tests).

Recorded traffic lives in ``tests/connectors/fixtures/mastodon/*.json``: each file lists
interactions (method, path, query string or form body, the response's status, headers and JSON
or raw body) against ``https://social.example`` with the token replaced by
``PLACEHOLDER_ACCESS_TOKEN``. :func:`replay` serves them through ``responses`` in order
(``OrderedRegistry``), checks the Authorization header and every query parameter, and fails the
test if any recorded interaction was not played.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses
from mastodon import Mastodon
from pydantic import SecretStr
from responses import matchers
from responses.registries import OrderedRegistry

from connectors.base import Source
from connectors.mastodon import MastodonConnector, Settings

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
BASE = "https://social.example"
TOKEN = "PLACEHOLDER_ACCESS_TOKEN"
OWN_ID = "109348"
FROZEN = datetime(2024, 5, 17, 15, 0, 0, tzinfo=UTC)  # the clock of the recorded traffic


def load(name: str) -> dict[str, Any]:
    """One fixture file as a dict."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def add_response(
    rsps: responses.RequestsMock,
    method: str,
    path: str,
    answer: dict[str, Any],
    *,
    match: Sequence[Any] = (),
) -> None:
    """Register one recorded answer (``json`` or raw ``body``) for ``method path``."""
    headers = dict(answer.get("headers") or {})
    content_type = headers.pop("Content-Type", "application/json")
    kwargs: dict[str, Any] = {
        "status": answer.get("status", 200),
        "headers": headers,
        "content_type": content_type,
        "match": list(match),
    }
    if "json" in answer:
        kwargs["body"] = json.dumps(answer["json"], ensure_ascii=False).encode("utf-8")
    else:
        kwargs["body"] = answer.get("body", "")
    rsps.add(method, BASE + path, **kwargs)


def register(
    rsps: responses.RequestsMock, doc: dict[str, Any], only: Sequence[int] | None = None
) -> int:
    """Register the interactions of ``doc`` (all, or the indexes in ``only``); returns how many."""
    count = 0
    for index, interaction in enumerate(doc["interactions"]):
        if only is not None and index not in only:
            continue
        request = interaction["request"]
        answer = interaction["response"]
        if "ref" in answer:
            answer = doc["bodies"][answer["ref"]]
        match: list[Any] = [
            matchers.header_matcher({"Authorization": doc["authorization"]}, strict_match=False)
        ]
        if request["method"] == "GET":
            match.append(matchers.query_string_matcher(request.get("query") or None))
        if "form" in request:
            match.append(matchers.urlencoded_params_matcher(request["form"]))
        if "headers" in request:
            match.append(matchers.header_matcher(request["headers"], strict_match=False))
        add_response(rsps, request["method"], request["path"], answer, match=match)
        count += 1
    return count


class Played:
    """The running mock (``mock``) and the requests it served (``calls``, kept after exit)."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self._calls: list[Any] | None = None

    @property
    def calls(self) -> list[Any]:
        """The served calls (``call.request`` is the PreparedRequest)."""
        return self._calls if self._calls is not None else list(self.mock.calls)

    def close(self) -> None:
        self._calls = list(self.mock.calls)


@contextmanager
def offline() -> Iterator[Played]:
    """A mock with nothing registered yet: any unregistered request fails the test."""
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=OrderedRegistry
    ) as rsps:
        played = Played(rsps)
        try:
            yield played
        finally:
            played.close()


@contextmanager
def replay(*names: str, only: Sequence[int] | None = None) -> Iterator[Played]:
    """Serve the named fixtures in order; every recorded interaction must be played."""
    with offline() as played:
        for name in names:
            register(played.mock, load(name), only=only)
        yield played


def make_client() -> Mastodon:
    """The SDK client as the connector builds it, pointed at the recorded instance."""
    return Mastodon(
        access_token=TOKEN,
        api_base_url=BASE,
        ratelimit_method="throw",
        version_check_mode="none",
        request_timeout=5,
    )


def make_settings(**overrides: Any) -> Settings:
    """Settings of the recorded account (credentials are placeholders)."""
    values: dict[str, Any] = {
        "api_base_url": BASE,
        "access_token": SecretStr(TOKEN),
        "account_id": OWN_ID,
        "handle": "stadtmuseum@social.example",
    }
    values.update(overrides)
    return Settings(**values)


def make_connector(**overrides: Any) -> MastodonConnector:
    """A connector on an already-built SDK client (the offline seam)."""
    return MastodonConnector(make_settings(**overrides), client=make_client())


def source(feed: str, name: str | None = None, **kwargs: Any) -> Source:
    """A Source of ``feed``; keyword arguments: options=..., max_pages=..., backfill_hours=..."""
    return Source(name=name or f"mastodon-{feed}", feed=feed, **kwargs)
