"""A few simulated days of Salon over the loopback fakes, with faults and a killed worker.

The short version of ``bench/bench_month.py`` (see tests/fakes/month.py): posts of the demo data
appear on fake Mastodon, Bluesky and Telegram APIs served over real loopback HTTP; a worker
subprocess runs Salon's cycles on a simulated clock and is killed with SIGKILL mid-request and
started again; the fakes answer slowly, with 429, 5xx, garbage, cut-off bodies, dropped
connections, duplicated and shuffled pages. At the end nothing may be lost or repeated.

Writes (replies, alerts) get every fault too: a reply whose answer is lost or unreadable after
the platform accepted it is checked with the platform before any retry (or held for staff).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from config.loader import load_settings
from tests.fakes.audit import audit
from tests.fakes.month import Plan, run
from tests.fakes.server import FAULT_KINDS
from tests.fakes.world import SECRETS, World

PLAN = Plan(
    days=2,
    step=timedelta(hours=2),
    posts_per_day=24,
    kill_chance=0.2,
    fault_rate=0.4,
    seed=3,
    trained_models=False,
)


def test_a_few_days_of_faults_and_kills_lose_and_repeat_nothing(tmp_path: Path) -> None:
    with World(PLAN.seed, PLAN.fault_rate) as world:
        result, config = run(PLAN, world, tmp_path)
        settings = load_settings(config, environ={**os.environ, **SECRETS})
        report = audit(world, settings, result.end)
        faults = world.faults()

    assert report.problems == []
    figures = report.figures
    assert result.restarts >= 2 and world.killer.kills == result.restarts
    assert all(faults[kind] > 0 for kind in FAULT_KINDS), faults
    assert figures["posts published"] >= 30
    assert figures["posts stored"] == figures["posts published"] == figures["posts served"]
    assert figures["posts duplicated"] == figures["replies duplicated"] == 0
    assert figures["replies sent (store)"] == figures["replies sent (fakes)"] >= 1
    assert figures["alerts delivered"] == figures["alerts decided"] >= 5
    assert figures["cursors consistent"] == "3/3"
