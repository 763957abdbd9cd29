"""X connector pieces without traffic: settings, options, cursor order, helpers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.base import Capability, Source
from connectors.http_faults import DEFAULT_RETRY_AFTER
from connectors.registry import connector_class
from connectors.x import Settings, XConnector
from connectors.x.connector import _comparable, _conversation_query
from connectors.x.cursor import Cursor, Sweep, snowflake_time
from connectors.x.faults import retry_after
from connectors.x.normalize import unescape
from tests.connectors.test_x_support import ACCOUNT_ID, SECRETS, T1, settings


def test_registry_resolves_the_x_connector():
    cls = connector_class("x")
    assert cls is XConnector and cls.platform == "x"
    assert {Capability.MENTIONS, Capability.SEARCH, Capability.REPLY} <= cls.capabilities
    assert Capability.RECONCILE in cls.capabilities  # find_reply is implemented
    assert cls.Settings is Settings


def test_secrets_never_show_in_reprs():
    config = settings()
    for text in (repr(config), str(config), repr(config.model_dump())):
        for secret in SECRETS:
            assert secret not in text
    assert config.bearer_token is not None
    assert config.bearer_token.get_secret_value() == SECRETS[0]


def test_settings_validation_names_the_problem_but_not_the_secret():
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(
            {"consumer_key": "ck-SECRET-VALUE", "consumer_secret": "cs-SECRET-VALUE", "handle": "m"}
        )
    message = str(caught.value)
    assert "access_token" in message and "SECRET-VALUE" not in message
    with pytest.raises(ValidationError, match="bearer_token"):
        Settings.model_validate({"handle": "museum"})
    with pytest.raises(ValidationError, match="handle"):
        Settings.model_validate({"bearer_token": "b-SECRET"})
    with pytest.raises(ValidationError):
        Settings.model_validate({"bearer_token": "b", "handle": "museum", "password": "x"})


def test_handle_and_user_id_from_settings():
    assert settings(handle="@SalonMuseum").handle == "SalonMuseum"
    assert Settings.model_validate({"bearer_token": "b", "username": "Lumen"}).handle == "Lumen"
    derived = settings(user_id=None)
    assert derived.known_user_id() == ACCOUNT_ID  # from the OAuth 1.0a access token
    assert not settings(
        user_id=None,
        access_token=None,
        consumer_key=None,
        consumer_secret=None,
        access_token_secret=None,
    ).known_user_id()


@pytest.mark.parametrize(
    ("feed", "options", "problem"),
    [
        ("timeline", {}, "feed: x has no feed 'timeline'"),
        ("search", {}, "options.query: Field required"),
        ("mentions", {"page_size": 500}, "options.page_size"),
        ("conversation", {"lookback_days": 3}, "options.lookback_days"),
    ],
)
def test_source_validation(feed, options, problem):
    problems = XConnector.validate_source(Source(name="s", feed=feed, options=options))
    assert any(p.startswith(problem) for p in problems), problems


def test_valid_sources_pass():
    valid: list[tuple[str, dict[str, Any]]] = [
        ("mentions", {}),
        ("search", {"query": "#museum -is:reply"}),
        ("conversation", {"max_conversations": 5}),
    ]
    for feed, options in valid:
        assert XConnector.validate_source(Source(name="s", feed=feed, options=options)) == []


def test_cursor_round_trip_and_bare_id():
    cursor = Cursor(
        since_id=5,
        roots={"9": "2026-03-10T09:00:00Z"},
        sweep=Sweep({"since_id": "5", "query": "q"}, "tok", 40, 20),
    )
    assert Cursor.loads(cursor.dumps()) == cursor
    assert Cursor.loads(" 123 ") == Cursor(since_id=123)
    with pytest.raises(ValueError):
        Cursor.loads('{"since_id": "abc"}')


@given(
    since=st.integers(1, 1 << 62),
    gap=st.integers(1, 1 << 40),
    fractions=st.lists(st.floats(0, 1), max_size=6),
)
def test_cursor_positions_only_grow_along_a_sweep(since, gap, fractions):
    """watermark -> paused sweep walking down -> watermark at the newest id: never backwards."""
    newest = since + gap
    oldests = sorted({since + 1 + int(f * (gap - 1)) for f in fractions}, reverse=True)
    steps = [Cursor(since_id=since), Cursor(since_id=since, sweep=Sweep({}, "t", newest))]
    steps += [Cursor(since_id=since, sweep=Sweep({}, "t", newest, o)) for o in oldests]
    steps.append(Cursor(since_id=newest))
    positions = [c.position() for c in steps]
    assert positions == sorted(positions)
    assert positions[0] < positions[-1]
    conn = XConnector(settings())
    assert [conn.cursor_position(c.dumps()) for c in steps] == positions


def test_snowflake_time_matches_the_recorded_timestamp():
    moment = snowflake_time(T1)
    assert moment is not None and moment.isoformat() == "2026-03-10T11:50:12+00:00"
    assert snowflake_time(20) is None  # pre-2010 ids carry no time


def test_retry_after_prefers_the_longest_exhausted_window():
    now = 1_000.0
    assert retry_after({"Retry-After": "7"}, None, now) == 7
    assert retry_after({"x-rate-limit-reset": "1120"}, None, now) == 120
    daily = {
        "x-rate-limit-reset": "1300",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": "4600",
    }
    assert retry_after(daily, 1300, now) == 3600
    daily["x-user-limit-24hour-remaining"] = "5"  # not exhausted: only the 15-min window counts
    assert retry_after(daily, 1300, now) == 300
    assert retry_after({"x-rate-limit-reset": "900"}, None, now) == 0  # already reset
    assert retry_after({}, None, now) == DEFAULT_RETRY_AFTER


def test_conversation_query_keeps_the_most_recent_threads_that_fit():
    roots = {
        "111": "2026-03-10T09:00:00Z",
        "222": "2026-03-10T11:00:00Z",
        "333": "2026-03-08T11:00:00Z",
    }
    full = _conversation_query("from:1", roots, 512)
    threads = " OR ".join(f"conversation_id:{r}" for r in ("222", "111", "333"))
    assert full == f"(from:1 OR {threads}) -is:retweet"
    short = _conversation_query("from:1", roots, 60)
    assert short == "(from:1 OR conversation_id:222) -is:retweet" and len(short) <= 60


def test_text_helpers():
    assert unescape("a &amp;lt; b &lt; c &gt; d &amp; e") == "a &lt; b < c > d & e"
    ours = "@amira_reads @jonas_k Yes &amp; no: https://t.co/abc123"
    assert _comparable(ours) == _comparable("Yes & no: https://example.org/long/link")
    assert _comparable(ours) != _comparable("Yes & maybe: https://example.org")
