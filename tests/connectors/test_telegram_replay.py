"""Replay of recorded Bot API traffic through python-telegram-bot's real HTTP stack.

The connector's ``telegram.Bot`` uses PTB's own ``HTTPXRequest`` with an
``httpx.MockTransport``: every request goes through PTB's encoding, status handling and JSON
parsing, and the transport answers with the next recorded exchange of a fixture file. A request
that does not match the recording, and any exchange left unplayed, fails the test.

The tests at the bottom check the harness itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from connectors.telegram import TelegramConnector, TelegramSettings

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOKEN = "7000000001:TEST_TOKEN_PLACEHOLDER_0123456789"  # placeholder, never a real credential
CHANNEL_ID = -1001500000001
GROUP_ID = -1001500000002
FORUM_ID = -1001500000003


def load(name: str) -> dict[str, Any]:
    """A fixture file, parsed."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def fault(name: str) -> dict[str, Any]:
    """One recorded error answer (or transport failure) from ``faults.json``."""
    response: dict[str, Any] = load("faults.json")["responses"][name]
    return response


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class Cassette:
    """Recorded exchanges, played in order by an ``httpx.MockTransport``."""

    def __init__(self, interactions: list[dict[str, Any]]) -> None:
        self.pending = list(interactions)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []

    @classmethod
    def from_file(cls, name: str) -> Cassette:
        return cls(load(name)["interactions"])

    def handle(self, request: httpx.Request) -> httpx.Response:
        prefix = f"/bot{TOKEN}/"
        path = request.url.path
        method = path.removeprefix(prefix) if path.startswith(prefix) else path
        params = {k: _decode(v) for k, v in parse_qsl(request.content.decode("utf-8"))}
        self.calls.append((method, params))
        if not path.startswith(prefix):
            return self._refuse(f"request outside the Bot API for the test token: {path}")
        if not self.pending:
            return self._refuse(f"unexpected extra request {method} {params}")
        exchange = self.pending.pop(0)
        want = exchange["request"]
        if method != want["method"] or params != want["params"]:
            return self._refuse(
                f"request {method} {params} does not match {want['method']} {want['params']}"
            )
        answer = exchange["response"]
        if "raise" in answer:
            failure: type[httpx.TransportError] = getattr(httpx, answer["raise"])
            raise failure(f"recorded {answer['raise']}", request=request)
        if "json" in answer:
            body = json.dumps(answer["json"], ensure_ascii=False).encode("utf-8")
            kind = "application/json"
        else:
            body = answer["body"].encode("utf-8")
            kind = answer.get("content_type", "application/json")
        return httpx.Response(answer["status"], content=body, headers={"content-type": kind})

    def _refuse(self, problem: str) -> httpx.Response:
        self.problems.append(problem)
        return httpx.Response(
            418, json={"ok": False, "error_code": 418, "description": f"replay: {problem}"}
        )

    def bot(self) -> Bot:
        """A real ``telegram.Bot`` whose HTTP goes to this cassette."""
        transport = httpx.MockTransport(self.handle)
        return Bot(
            TOKEN,
            request=HTTPXRequest(httpx_kwargs={"transport": transport}),
            get_updates_request=HTTPXRequest(httpx_kwargs={"transport": transport}),
        )

    def check(self) -> None:
        """Every exchange was played, and every request matched its recording."""
        assert not self.problems, self.problems
        assert not self.pending, f"{len(self.pending)} recorded exchange(s) never played"


@contextmanager
def play(source: str | list[dict[str, Any]]) -> Iterator[Cassette]:
    """Play a fixture file (or a list of exchanges); fails unless all of it was played."""
    cassette = Cassette.from_file(source) if isinstance(source, str) else Cassette(source)
    yield cassette
    cassette.check()


def settings(**overrides: Any) -> TelegramSettings:
    """Settings for the placeholder bot of the fixtures (channel @museum_demo)."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "account_id": CHANNEL_ID,
        "account_handle": "@museum_demo",
        "bot_username": "museum_demo_bot",
    }
    values.update(overrides)
    return TelegramSettings.model_validate(values)


def connector(cassette: Cassette, **overrides: Any) -> TelegramConnector:
    """A connector over ``cassette``'s bot."""
    return TelegramConnector(settings(**overrides), client=cassette.bot())


def get_updates(offset: int | None, limit: int, response: dict[str, Any]) -> dict[str, Any]:
    """One getUpdates exchange with the parameters the connector sends."""
    params: dict[str, Any] = {"timeout": 0}
    if offset is not None:
        params["offset"] = offset
    params["limit"] = limit
    params["allowed_updates"] = [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
    ]
    return {"request": {"method": "getUpdates", "params": params}, "response": response}


# -- the harness itself ------------------------------------------------------------------


async def test_unplayed_exchanges_fail_the_check() -> None:
    cassette = Cassette.from_file("idle.json")
    with pytest.raises(AssertionError, match="never played"):
        cassette.check()


async def test_a_request_that_differs_from_the_recording_is_reported() -> None:
    cassette = Cassette.from_file("idle.json")
    bot = cassette.bot()
    with pytest.raises(Exception, match="does not match"):
        await bot.get_updates(offset=999, limit=100, timeout=0)
    with pytest.raises(AssertionError, match="does not match"):
        cassette.check()


async def test_recorded_answers_reach_ptb_as_telegram_objects() -> None:
    with play("get_me.json") as cassette:
        me = await cassette.bot().get_me()
    assert me.username == "museum_demo_bot"
    assert cassette.calls == [("getMe", {})]
