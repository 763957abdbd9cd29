"""The end-to-end and memory benchmarks on tiny inputs, so the scripts cannot rot (no timings
are checked: timing belongs to the benchmarks themselves). A keyword stand-in replaces the
classifier: these tests are about the benchmarks' plumbing, and stay fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from bench import bench_e2e, bench_memory
from bot.db import open_engine
from bot.demo_runner import DEMO_CLOCK
from bot.models import Classification, Post
from tests.helpers import KeywordAnalyser


def test_generated_posts_are_fresh_copies_of_the_demo() -> None:
    demo = sum(len(v) for v in bench_e2e.demo_records().values())
    records = [r for rs in bench_e2e.generated_records(demo + 40).values() for r in rs]
    assert len(records) == demo + 40
    keys = [(r["platform"], r["id"]) for r in records]
    assert len(set(keys)) == len(keys)  # every copy has fresh ids
    own = {r["author"]["id"] for r in records if r["author"]["is_self"]}
    assert len(own) == len(bench_e2e.PLATFORMS)  # the institution keeps one account each


def test_e2e_bench_runs_every_step(tmp_path: Path) -> None:
    result = bench_e2e.measure(120, tmp_path, analyser=KeywordAnalyser())
    names = [s.name.split(" ")[0] for s in result.steps]
    assert names == ["poll", "classify", "triage", "deliver"]
    stored, classified = result.steps[0].items, result.steps[1].items
    assert stored == 120
    assert 0 < classified == result.classified < stored  # our own posts are not classified
    assert result.steps[3].items > 0  # alerts and replies went out
    assert 0 < result.plumbing_share < 1
    text = bench_e2e.table(result)
    assert "**end to end** | 120 |" in text and "classifier alone" in text


def test_memory_bench_store_and_parsers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    shift = bench_memory.week_shift(DEMO_CLOCK + timedelta(days=15))
    assert shift == timedelta(weeks=2)
    pending = bench_memory.populate(url, 150, 30, shift, KeywordAnalyser())
    engine = open_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 150
        left = session.scalar(select(func.count()).where(~col(Post.classified), ~col(Post.is_own)))
        assert left == pending > 0
        assert (session.scalar(select(func.count()).select_from(Classification)) or 0) > 0
        first = session.scalar(select(func.min(Post.created_at)))
    engine.dispose()
    assert first is not None and first.replace(tzinfo=UTC) > datetime(2026, 11, 1, tzinfo=UTC)
    exposition = (
        "# TYPE salon_polls_total counter\n"
        'salon_polls_total{outcome="ok",source="a"} 2.0\n'
        'salon_polls_total{outcome="error",source="b"} 1.0\n'
        "salon_polls_created 1.7e9\n"
    )
    assert bench_memory.metric(exposition, "salon_polls_total") == 3.0
    files, public = bench_memory.write_new_posts(tmp_path, shift)
    assert set(files) == {f"bench-{p}" for p in bench_e2e.PLATFORMS}
    assert 0 < public <= bench_memory.NEW_POSTS
