"""Hostile platform payloads: a recorded page of each platform, mutated at random (wrong types,
missing fields, huge strings, lone surrogates, bidi controls, markup, template syntax, SQL,
deep nesting) or corrupted as bytes, served through the real SDK to the connector's fetch.

Whatever comes back, the poll either returns well-formed posts with a cursor that does not go
back, or raises the connector's clear error (``MalformedResponse``): never another exception,
which would stop the source's job with a traceback. Items a connector skips are reported in
``FetchResult.warnings`` (the documented skip).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Salon
from bot.models import Post, SourceState
from connectors.errors import ConnectorError, MalformedResponse
from tests.connectors import test_x_support as x
from tests.connectors.contract import assert_moves_forward, assert_well_formed
from tests.helpers import KeywordAnalyser, settings_from
from tests.hostile.checks import assert_valid_post
from tests.hostile.platforms import PLATFORMS, Outcome, Platform
from tests.hostile.strategies import HOSTILE, apply, dumps, mutations

NAMES = sorted(PLATFORMS)


def assert_posts_or_clear_error(platform: Platform, outcome: Outcome) -> None:
    """The poll's result is well-formed, or its error is one the connector documents."""
    if outcome.error is not None:
        if not isinstance(outcome.error, MalformedResponse):
            raise outcome.error  # the traceback shows where the connector broke
        assert isinstance(outcome.error, ConnectorError)
        assert outcome.error.message and outcome.error.platform == platform.name
        assert outcome.error.source == outcome.source.name
        return
    result = outcome.result
    assert result is not None
    if platform.own_platform:
        assert_well_formed(outcome.connector, outcome.source, result)
    assert len({p.key for p in result.posts}) == len(result.posts)
    assert all(p.source == outcome.source.name for p in result.posts)
    assert_moves_forward(outcome.connector, outcome.cursor, result.next_cursor)
    for post in result.posts:
        assert_valid_post(post)
    assert all(isinstance(w, str) for w in result.warnings)


@pytest.mark.parametrize("name", NAMES)
def test_each_recorded_page_is_accepted_as_it_is(name: str) -> None:
    """The harness itself: the unchanged pages give posts (so mutations start from valid)."""
    platform = PLATFORMS[name]
    outcome = platform.poll(platform.encode(platform.seeds[0]))
    assert outcome.error is None, outcome.error
    assert outcome.result is not None and outcome.result.posts
    assert_posts_or_clear_error(platform, outcome)


@pytest.mark.parametrize("name", NAMES)
@HOSTILE
@given(data=st.data())
def test_a_mutated_page_gives_valid_posts_or_a_clear_error(name: str, data: st.DataObject) -> None:
    platform = PLATFORMS[name]
    seed = platform.seeds[data.draw(st.integers(0, len(platform.seeds) - 1), label="seed")]
    changes = data.draw(mutations(seed, root=True), label="changes")
    assert_posts_or_clear_error(platform, platform.poll(platform.encode(apply(seed, changes))))


@pytest.mark.parametrize("name", NAMES)
@HOSTILE
@given(data=st.data())
def test_a_corrupted_or_truncated_body_gives_a_clear_error(name: str, data: st.DataObject) -> None:
    platform = PLATFORMS[name]
    seed = platform.seeds[data.draw(st.integers(0, len(platform.seeds) - 1), label="seed")]
    raw = platform.encode(seed)
    at = data.draw(st.integers(0, len(raw)), label="at")
    how = data.draw(st.sampled_from(["truncate", "invalid utf-8", "nul", "bom"]), label="how")
    if how == "truncate":
        body = raw[:at]
    else:
        junk = {"invalid utf-8": b"\xff\xfe\xc3", "nul": b"\x00", "bom": b"\xef\xbb\xbf"}[how]
        body = raw[:at] + junk + raw[at:]
    assert_posts_or_clear_error(platform, platform.poll(body))


async def test_a_malformed_page_leaves_the_saved_cursor_and_the_store_alone(
    tmp_path: Path,
) -> None:
    """End to end: the poll fails, says why, and the next poll starts from the same cursor."""
    settings = settings_from(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'salon.db'}"},
            "sources": [{"name": "x-mentions", "platform": "x", "feed": "mentions"}],
        }
    )
    salon = Salon(
        settings,
        analyser=KeywordAnalyser(),
        connectors={"x-mentions": x.connector("dict")},
    )
    saved = json.dumps({"since_id": x.S0})
    with salon.session() as session:
        session.add(SourceState(name="x-mentions", platform="x", cursor=saved))
        session.commit()
    page = x.page_body("mentions_pages.json", 0)
    for body, fails in (
        (dumps({**page, "data": [{"id": "1", "text": 5}]}), True),
        (dumps(page), False),
    ):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(responses.GET, x.MENTIONS_URL, body=body, content_type="application/json")
            result = await salon.poll("x-mentions")
        with salon.session() as session:
            state = session.get(SourceState, "x-mentions")
            stored = session.scalar(select(func.count()).select_from(Post))
        assert state is not None
        if fails:
            assert result.error and "post 1 has no text" in result.error
            assert state.cursor == saved and stored == 0 and state.consecutive_failures == 1
            with salon.session() as session:  # a failed source is paused: resume it now
                session.merge(SourceState(name="x-mentions", platform="x", cursor=saved))
                session.commit()
        else:
            assert result.error is None and stored and state.cursor != saved
    await salon.aclose()
