"""``salon run --worker`` as tests start it (python -m tests.workers_harness ARGS...).

The real command, with two stand-ins: the keyword analyser instead of spaCy (a worker starts
in a second, not ten), recording in ``$SALON_TEST_RECORD/analysed-<pid>.txt`` every text it
analyses before the batch commits; and, with ``$SALON_TEST_DELAY`` seconds, slow platforms and
a slow classifier, so that a worker killed mid-run is caught holding work.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.helpers import KeywordAnalyser

if TYPE_CHECKING:
    from nlp.analysis import Analysis

DELAY = float(os.environ.get("SALON_TEST_DELAY", "0"))


class RecordingAnalyser(KeywordAnalyser):
    """The keyword analyser, writing down (and syncing) each text before answering."""

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Analysis]:
        path = Path(os.environ["SALON_TEST_RECORD"]) / f"analysed-{os.getpid()}.txt"
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(text.replace("\n", " ") + "\n" for text in texts))
            handle.flush()
            os.fsync(handle.fileno())
        time.sleep(DELAY)
        return super().analyse(texts, languages, batch_size)


def main(argv: list[str]) -> None:
    """Patch in the stand-ins, then run ``salon`` with ``argv``."""
    from bot import app
    from bot.cli import main as salon
    from connectors.replay import ReplayConnector

    app.build_analyser = lambda settings: RecordingAnalyser()
    fetch, reply = ReplayConnector.fetch_sync, ReplayConnector.reply_sync

    def slow_fetch(self: ReplayConnector, *args: Any) -> Any:
        time.sleep(DELAY)
        return fetch(self, *args)

    def slow_reply(self: ReplayConnector, *args: Any) -> Any:
        time.sleep(DELAY / 10)
        return reply(self, *args)

    ReplayConnector.fetch_sync = slow_fetch  # type: ignore[method-assign,assignment]
    ReplayConnector.reply_sync = slow_reply  # type: ignore[method-assign,assignment]
    sys.argv = ["salon", *argv]
    salon()


if __name__ == "__main__":
    main(sys.argv[1:])
