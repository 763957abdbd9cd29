"""Recorded Bluesky traffic played to the real atproto SDK through ``httpx.MockTransport``.

The helpers here are imported by the other ``test_bluesky*`` modules; the tests at the bottom
check the harness itself (a recording that is not played, or a request nobody recorded, fails).

A fixture file holds ``interactions``: a request (method, path, and the exact query it must
carry) and the response to give. Each interaction is served once in order; ``repeat: true``
lets it be served again (the "same page twice" half of the contract).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from atproto import Client
from atproto_client.client.session import Session
from atproto_client.request import Request

from connectors.bluesky import BlueskyConnector, Settings

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
BASE_URL = "https://bsky.social"
PDS = "https://morel.us-east.host.bsky.network"


def load(name: str) -> dict[str, Any]:
    """A fixture file as a dict."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


ACCOUNT = load("session")["account"]
ME_DID: str = ACCOUNT["did"]
ME_HANDLE: str = ACCOUNT["handle"]


def session_string() -> str:
    """An SDK session string built from the recorded (placeholder) createSession answer."""
    answer = load("session")["interactions"][0]["response"]["json"]
    return Session(
        handle=answer["handle"],
        did=answer["did"],
        access_jwt=answer["accessJwt"],
        refresh_jwt=answer["refreshJwt"],
        pds_endpoint=PDS,
    ).export()


def _query(request: httpx.Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, value in request.url.params.multi_items():
        out[key].append(value)
    return dict(out)


def response_from(spec: dict[str, Any], request: httpx.Request) -> httpx.Response:
    """An httpx response (or a raised transport error) from a recorded response spec."""
    if "raise" in spec:
        raise getattr(httpx, spec["raise"])(
            spec.get("message", "recorded failure"), request=request
        )
    headers = spec.get("headers", {})
    if "json" in spec:
        content = json.dumps(spec["json"], ensure_ascii=False).encode("utf-8")
    else:
        content = str(spec.get("body", "")).encode("utf-8")
    return httpx.Response(spec["status"], headers=headers, content=content, request=request)


class Replay:
    """A MockTransport handler serving recorded interactions, and what it saw."""

    def __init__(self, interactions: list[dict[str, Any]]) -> None:
        self.interactions = interactions
        self.plays = [0] * len(interactions)
        self.calls: list[httpx.Request] = []
        self.unexpected: list[str] = []

    @classmethod
    def of(cls, *names: str) -> Replay:
        """The interactions of the named fixture files, in order."""
        interactions: list[dict[str, Any]] = []
        for name in names:
            interactions.extend(load(name)["interactions"])
        return cls(interactions)

    @classmethod
    def answering(cls, method: str, path: str, *responses: dict[str, Any]) -> Replay:
        """Answer ``method path`` (any query) with ``responses`` in turn."""
        return cls(
            [
                {"request": {"method": method, "path": path}, "response": response}
                for response in responses
            ]
        )

    def _matches(self, interaction: dict[str, Any], request: httpx.Request) -> bool:
        wanted = interaction["request"]
        if wanted["method"] != request.method or wanted["path"] != request.url.path:
            return False
        return "query" not in wanted or wanted["query"] == _query(request)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        candidates = [i for i, item in enumerate(self.interactions) if self._matches(item, request)]
        fresh = [i for i in candidates if self.plays[i] == 0]
        again = [i for i in candidates if self.interactions[i].get("repeat")]
        if fresh:
            index = fresh[0]
        elif again:
            index = again[-1]
        else:
            self.unexpected.append(f"{request.method} {request.url}")
            return httpx.Response(
                418, json={"error": "NotRecorded", "message": str(request.url)}, request=request
            )
        self.plays[index] += 1
        return response_from(self.interactions[index]["response"], request)

    @property
    def nsids(self) -> list[str]:
        """The XRPC methods called, in order."""
        return [call.url.path.removeprefix("/xrpc/") for call in self.calls]

    def assert_all_played(self) -> None:
        """Every recorded interaction was served, and nothing unrecorded was asked for."""
        assert not self.unexpected, f"requests that were not recorded: {self.unexpected}"
        unplayed = [
            item.get("note") or item["request"]["path"]
            for item, plays in zip(self.interactions, self.plays, strict=True)
            if plays == 0
        ]
        assert not unplayed, f"recorded interactions never played: {unplayed}"


def make_client(
    replay: Callable[[httpx.Request], httpx.Response], *, logged_in: bool = True
) -> Client:
    """A real ``atproto.Client`` whose HTTP goes to ``replay`` (session imported, no request)."""
    client = Client(base_url=BASE_URL, request=Request(transport=httpx.MockTransport(replay)))
    if logged_in:
        client.login(session_string=session_string(), fetch_bsky_profile=False)
    return client


def make_connector(
    replay: Callable[[httpx.Request], httpx.Response], *, logged_in: bool = True, **settings: Any
) -> BlueskyConnector:
    """A connector over :func:`make_client`."""
    options: dict[str, Any] = {"handle": ME_HANDLE, **settings}
    return BlueskyConnector(Settings(**options), client=make_client(replay, logged_in=logged_in))


# -- the harness itself ---------------------------------------------------------------------


def test_session_import_makes_no_request_and_the_token_does_not_need_refreshing() -> None:
    replay = Replay.of("whoami")
    client = make_client(replay)
    assert replay.calls == []
    profile = client.get_profile(ME_DID)
    assert profile.followers_count == 4821
    assert replay.nsids == ["app.bsky.actor.getProfile"]  # no refreshSession first
    assert replay.calls[0].url.host == "morel.us-east.host.bsky.network"
    assert replay.calls[0].headers["authorization"].startswith("Bearer ey")
    replay.assert_all_played()


def test_an_unplayed_recording_fails_the_check() -> None:
    replay = Replay.of("whoami")
    with pytest.raises(AssertionError, match="never played"):
        replay.assert_all_played()


def test_an_unrecorded_request_fails_the_check() -> None:
    replay = Replay.of("whoami")
    client = make_client(replay)
    with pytest.raises(Exception):  # noqa: B017 - the SDK's own error for the 418
        client.get_profile("someone-else.bsky.social")
    with pytest.raises(AssertionError, match="not recorded"):
        replay.assert_all_played()
