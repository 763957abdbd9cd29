"""Salon.poll: a source switched to another platform does not reuse the old platform's cursor."""

from __future__ import annotations

import json
from pathlib import Path

from bot.alerts import ConsoleSink
from bot.app import Salon
from bot.models import SourceState
from connectors.base import FetchResult, Source
from connectors.replay import ReplayConnector
from connectors.serialize import post_to_dict
from tests.helpers import KeywordAnalyser, make_post, settings_from


class RecordingReplay(ReplayConnector):
    """The replay connector, remembering the cursors it was asked to fetch from."""

    def __init__(self) -> None:
        super().__init__()
        self.cursors: list[str | None] = []

    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        self.cursors.append(cursor)
        return await super().fetch(source, cursor)


async def test_cursor_of_another_platform_is_ignored(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        "".join(json.dumps(post_to_dict(make_post(str(i), f"post {i}"))) + "\n" for i in range(3))
    )
    settings = settings_from(
        {
            "database": {"url": database_url},
            "sources": [
                {"name": "s", "platform": "replay", "feed": "file", "options": {"path": str(data)}}
            ],
        }
    )
    connector = RecordingReplay()
    salon = Salon(
        settings,
        analyser=KeywordAnalyser(),
        sink=ConsoleSink(quiet=True),
        connectors={"s": connector},
    )
    with salon.session() as session:  # what an earlier run on X left behind
        session.add(SourceState(name="s", platform="x", cursor="1890000000000000000"))
        session.commit()
    first = await salon.poll("s")
    assert first.error is None and first.fetched == 3
    second = await salon.poll("s")
    assert connector.cursors[0] is None and connector.cursors[1] is not None
    assert second.fetched == 0
    with salon.session() as session:
        state = session.get(SourceState, "s")
        assert state is not None and state.platform == "replay"
    salon.engine.dispose()
