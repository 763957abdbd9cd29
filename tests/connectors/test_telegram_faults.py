"""Bot API failures, recorded as Telegram sends them, mapped into connectors.errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from telegram import error as tg

from connectors.base import Author, Post, PostKind, Source, parse_time
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
from connectors.telegram.faults import map_error
from tests.connectors.faults import assert_mapped, status_table
from tests.connectors.test_telegram_replay import (
    GROUP_ID,
    TOKEN,
    connector,
    fault,
    get_updates,
    load,
    play,
)

# PTB itself warns when it builds a RetryAfter with an int period (its v22.2 deprecation)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

SECRET = TOKEN.split(":")[1]
SOURCE = Source(name="tg-museum", feed="updates", options={"chats": [GROUP_ID]})
IDLE = {"status": 200, "json": {"ok": True, "result": []}}


async def fetch_fault(
    name: str | dict[str, Any], expected: type[ConnectorError] | None = None
) -> ConnectorError:
    """The error a fetch raises when getUpdates answers with the recorded fault ``name``
    (or with the given answer)."""
    answer = fault(name) if isinstance(name, str) else name
    with play([get_updates(1011, 100, answer)]) as cassette:
        with pytest.raises(ConnectorError) as info:
            await connector(cassette).fetch(SOURCE, "1011")
        assert len(cassette.calls) == 1  # one request, no retry hidden inside the connector
    error = info.value
    kind = expected or type(error)
    assert_mapped(error, kind, platform="telegram", source="tg-museum", secrets=(TOKEN, SECRET))
    return error


@pytest.mark.parametrize(("status", "expected"), status_table({409: PermanentError}))
async def test_each_http_status_maps_as_on_every_platform(
    status: int, expected: type[ConnectorError]
) -> None:
    """The Bot API's error body for a bare status (PTB hides the status; it is read back)."""
    phrase = HTTPStatus(status).phrase
    body = {"ok": False, "error_code": status, "description": phrase}
    await fetch_fault({"status": status, "json": body}, expected)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("server_error", ServerError),
        ("bad_gateway", ServerError),
        ("unavailable", ServerError),
        ("timeout", NetworkError),
        ("connect_error", NetworkError),
    ],
)
async def test_server_and_network_failures_are_transient(name: str, kind: type) -> None:
    await fetch_fault(name, kind)


async def test_429_is_rate_limited_for_the_platforms_retry_after() -> None:
    error = await fetch_fault("rate_limited")
    assert isinstance(error, RateLimited)
    assert error.retry_after == 17.0  # parameters.retry_after of the recorded answer


async def test_retry_after_as_a_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB's opt-in to timedelta periods
    error = await fetch_fault("rate_limited")
    assert isinstance(error, RateLimited) and error.retry_after == 17.0


async def test_401_is_an_auth_error_naming_the_credential() -> None:
    error = await fetch_fault("unauthorized", AuthError)
    assert isinstance(error, AuthError) and error.credential == "bot_token"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("forbidden", Forbidden), ("not_found", NotFound), ("conflict", PermanentError)],
)
async def test_403_404_409_are_permanent(name: str, kind: type) -> None:
    await fetch_fault(name, kind)


@pytest.mark.parametrize("name", ["not_json", "truncated_json", "no_result", "bad_update"])
async def test_malformed_answers_raise_and_leave_the_cursor_where_it_was(name: str) -> None:
    """After a malformed answer the next fetch asks again from the same offset."""
    page = load("idle.json")["interactions"][0]["response"]
    exchanges = [get_updates(1011, 100, fault(name)), get_updates(1011, 100, page)]
    with play(exchanges) as cassette:
        conn = connector(cassette)
        with pytest.raises(MalformedResponse) as info:
            await conn.fetch(SOURCE, "1011")
        retry = await conn.fetch(SOURCE, "1011")
    assert info.value.platform == "telegram" and info.value.source == "tg-museum"
    assert "Bot API" in str(info.value)
    assert [params["offset"] for _, params in cassette.calls] == [1011, 1011]
    assert retry.next_cursor == "1011"


def reply_target() -> Post:
    return Post(
        platform="telegram",
        id=f"{GROUP_ID}:901",
        source="tg-museum",
        kind=PostKind.COMMENT,
        author=Author(id="111111111", handle="alice_art"),
        text="Est-ce ouvert le lundi ?",
        created_at=parse_time(1747731900),
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [("reply_target_gone", NotFound), ("rate_limited", RateLimited), ("forbidden", Forbidden)],
)
async def test_reply_failures(name: str, kind: type) -> None:
    recorded = load("send_message.json")["interactions"][0]
    exchange: dict[str, Any] = {"request": recorded["request"], "response": fault(name)}
    with play([exchange]) as cassette, pytest.raises(ConnectorError) as info:
        await connector(cassette).reply(reply_target(), recorded["request"]["params"]["text"], "k")
    assert isinstance(info.value, kind)
    assert info.value.platform == "telegram" and info.value.source == "tg-museum"


def test_errors_built_from_messages_that_carry_the_token_are_redacted() -> None:
    # PTB's Bot.initialize() puts the whole token in its InvalidToken message
    exc = tg.InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
    error = map_error(exc, source="s", token=TOKEN)
    assert isinstance(error, AuthError)
    assert TOKEN not in str(error) and SECRET not in str(error)


@pytest.mark.parametrize(
    ("make", "kind", "retry"),
    [
        (lambda: tg.NetworkError("Too Many Requests: retry after 9"), RateLimited, 9.0),
        (lambda: tg.RetryAfter(timedelta(seconds=3)), RateLimited, 3.0),
        (lambda: tg.NetworkError("Gateway Timeout (504)"), ServerError, None),
        (lambda: tg.NetworkError("httpx.RemoteProtocolError: disconnected"), NetworkError, None),
        (lambda: tg.BadRequest("Bad Request: chat not found"), NotFound, None),
        (lambda: tg.BadRequest("Bad Request: message is too long"), PermanentError, None),
        (lambda: tg.ChatMigrated(-1009), NotFound, None),
        (lambda: tg.TelegramError("Invalid server response"), MalformedResponse, None),
    ],
)
def test_mapping_of_other_sdk_errors(
    make: Callable[[], Exception], kind: type, retry: float | None
) -> None:
    error = map_error(make(), source="s", token=TOKEN)
    assert type(error) is kind
    if retry is not None:
        assert isinstance(error, RateLimited) and error.retry_after == retry


def test_foreign_exceptions_are_not_mapped() -> None:
    assert map_error(RuntimeError("boom"), token=TOKEN) is None


def _raised_from(outer: tg.TelegramError, cause: tg.TelegramError) -> tg.TelegramError:
    """``outer`` as ``raise outer from cause`` leaves it."""
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("outer", "status", "kind"),
    [
        (tg.InvalidToken("Either the bot token was rejected…"), "Unauthorized", AuthError),
        (tg.InvalidToken("Either the bot token was rejected…"), "Not Found", NotFound),
        (tg.EndPointNotFound("Endpoint 'getUpdates' not found"), "Not Found", NotFound),
    ],
)
def test_do_api_request_rewording_is_mapped_by_the_status_behind_it(
    outer: tg.TelegramError, status: str, kind: type
) -> None:
    """``do_api_request`` rewords 401/404 (``EndPointNotFound`` once the bot is initialized)
    and chains PTB's original exception: that one decides."""
    error = map_error(_raised_from(outer, tg.InvalidToken(status)), source="s", token=TOKEN)
    assert type(error) is kind
