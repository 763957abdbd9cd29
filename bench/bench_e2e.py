"""End-to-end throughput: replayed posts through store, classification, triage and outbox.

    .venv/bin/python bench/bench_e2e.py [--posts 10000] [--profile]

``--posts`` posts are made from the bundled demo data (``bot/demo/data/*.jsonl``): the three
weeks are copied as often as needed, each copy with fresh post, conversation and author ids
(so threads, replies and per-author caps stay as in the demo, on a museum N times busier), and
written to one replay file per platform in a temporary folder. A :class:`bot.app.Salon` on
SQLite in that folder then runs the steps of a cycle, each timed: poll every source until
caught up (replay pages of 100, three per poll, each poll one transaction), classify, triage
(the example configuration's rules), deliver (alerts to a quiet console sink, replies to the
replay connector's reply file). Baseline in the same process: the same classifier's
``Classifier.analyse`` alone on the texts the pipeline classified, same batch size. The
plumbing is everything the end-to-end run spends beyond that baseline (target: less than half).

Pinned to one core; rates are per CPU second of this process (``time.process_time``), as the
development machine is shared. Writes the table to ``bench/results/e2e.md``; ``--profile``
also prints where the end-to-end CPU time goes (cProfile, by cumulative time).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlmodel import col  # noqa: E402

from bench.bench_triage import Timing, clock, since  # noqa: E402
from bot.alerts import ConsoleSink  # noqa: E402
from bot.app import Salon  # noqa: E402
from bot.classify import Analyser  # noqa: E402
from bot.demo_runner import DEMO_CLOCK  # noqa: E402
from bot.models import Post  # noqa: E402
from config.loader import demo_settings  # noqa: E402
from config.settings import Settings, SourceSettings  # noqa: E402
from connectors.replay import DEMO_PREFIX, resolve_path  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "e2e.md"
PLATFORMS = ("x", "reddit", "mastodon", "bluesky", "telegram")


def pin_one_core() -> None:
    """Run on one core (where the OS allows it)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def demo_records() -> dict[str, list[dict[str, Any]]]:
    """The bundled demo posts as JSON records, per platform, in file order."""
    records = {}
    for platform in PLATFORMS:
        path = resolve_path(f"{DEMO_PREFIX}{platform}.jsonl")
        with path.open(encoding="utf-8") as handle:
            records[platform] = [json.loads(line) for line in handle if line.strip()]
    return records


def _copy(record: dict[str, Any], k: int) -> dict[str, Any]:
    """``record`` as copy ``k``: ids suffixed (the institution's own account kept)."""
    if k == 0:
        return record
    out = dict(record)
    suffix = f"{k:04d}"
    for field in ("id", "conversation_id", "in_reply_to_id"):
        if out.get(field):
            out[field] = f"{out[field]}{suffix}"
    author = dict(out["author"])
    if not author.get("is_self"):
        author["id"] = f"{author['id']}{suffix}"
        author["handle"] = f"{author['handle']}{suffix}"
    out["author"] = author
    return out


def generated_records(total: int) -> dict[str, list[dict[str, Any]]]:
    """``total`` posts: copies of the demo data with fresh ids, spread over the platforms
    in the demo's proportions (copy after copy, so every thread keeps its replies)."""
    base = demo_records()
    per_copy = sum(len(v) for v in base.values())
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in PLATFORMS}
    made, k = 0, 0
    while made < total:
        take = min(per_copy, total - made)
        share = {p: len(base[p]) * take // per_copy for p in PLATFORMS}
        share[PLATFORMS[0]] += take - sum(share.values())
        for platform in PLATFORMS:
            out[platform].extend(_copy(r, k) for r in base[platform][: share[platform]])
        made += take
        k += 1
    return out


def write_replay_files(folder: Path, total: int) -> dict[str, Path]:
    """One JSONL replay file per platform in ``folder``; source name -> path."""
    files = {}
    for platform, records in generated_records(total).items():
        path = folder / f"{platform}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        files[f"bench-{platform}"] = path
    return files


def replay_settings(folder: Path, files: dict[str, Path], **source: Any) -> Settings:
    """The demo configuration (example rules, SQLite in ``folder``) polling ``files``."""
    settings = demo_settings(folder)
    sources = [
        SourceSettings(
            name=name, platform="replay", feed="file", options={"path": str(path)}, **source
        )
        for name, path in files.items()
    ]
    return settings.model_copy(update={"sources": sources})


@dataclass(slots=True)
class Step:
    """One timed step of the end-to-end run."""

    name: str
    items: int
    timing: Timing


async def run_steps(salon: Salon) -> list[Step]:
    """Poll (until caught up), classify, triage, deliver: each step timed."""
    steps = []
    start = clock()
    polls = [r for name in salon.sources for r in await salon.poll_until_caught_up(name)]
    stored = sum(p.stats.new for p in polls)
    errors = [p.error for p in polls if p.error]
    if errors:
        raise RuntimeError(f"polling failed: {errors[0]}")
    steps.append(
        Step("poll + store (replay pages, one transaction per poll)", stored, since(start))
    )
    start = clock()
    classified = salon.classify()
    steps.append(Step("classify (pipeline + store)", classified, since(start)))
    start = clock()
    triage = salon.triage()
    steps.append(
        Step("triage (example rules, decisions, outbox items)", triage.posts, since(start))
    )
    start = clock()
    delivered = await salon.deliver()
    steps.append(Step("deliver (outbox drain)", delivered.sent, since(start)))
    return steps


def classified_texts(salon: Salon) -> tuple[list[str], list[str | None]]:
    """The texts and language tags the pipeline classified, in its order."""
    with salon.session() as session:
        rows = session.execute(
            select(col(Post.text), col(Post.language))
            .where(~col(Post.is_own))
            .order_by(col(Post.id))
        ).all()
    return [r.text for r in rows], [r.language for r in rows]


def time_classifier(salon: Salon, texts: list[str], languages: list[str | None]) -> Timing:
    """``Classifier.analyse`` alone on ``texts``, same batch size as the pipeline."""
    batch = salon.settings.nlp.batch_size
    start = clock()
    for i in range(0, len(texts), batch):
        salon.analyser.analyse(texts[i : i + batch], languages[i : i + batch], batch_size=batch)
    return since(start)


def warm_up(salon: Salon) -> None:
    """Load the models and build every per-language resource the demo texts need (the intent
    patterns are built on a language's first post), outside the timings."""
    records = [r for rs in demo_records().values() for r in rs]
    salon.analyser.analyse([r["text"] for r in records], [r.get("language") for r in records])


@dataclass(slots=True)
class Result:
    """The end-to-end steps and the classifier baseline."""

    posts: int
    steps: list[Step]
    baseline: Timing
    classified: int
    profile: str = ""

    @property
    def total(self) -> Timing:
        """Wall and CPU seconds of all steps."""
        return sum(s.timing[0] for s in self.steps), sum(s.timing[1] for s in self.steps)

    @property
    def plumbing_share(self) -> float:
        """CPU share of the end-to-end time spent beyond the classifier alone."""
        total = self.total[1]
        return (total - self.baseline[1]) / total


def measure(
    posts: int, folder: Path, *, profile: bool = False, analyser: Analyser | None = None
) -> Result:
    """Generate ``posts`` posts in ``folder``, run them end to end, then the classifier alone
    (``analyser``: instead of the configured classifier, for tests)."""
    files = write_replay_files(folder, posts)
    settings = replay_settings(folder, files)
    sink = ConsoleSink(quiet=True)
    salon = Salon(settings, sink=sink, analyser=analyser, clock=lambda: DEMO_CLOCK)
    try:
        warm_up(salon)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        steps = asyncio.run(run_steps(salon))
        if profiler:
            profiler.disable()
        texts, languages = classified_texts(salon)
        baseline = time_classifier(salon, texts, languages)
    finally:
        asyncio.run(salon.aclose())
    result = Result(posts, steps, baseline, len(texts))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        result.profile = out.getvalue()
    return result


def _rate(items: int, seconds: float) -> str:
    return f"{items / seconds:,.0f}" if seconds > 0 else "-"


def table(result: Result) -> str:
    """The Markdown table of ``result``."""
    wall, cpu = result.total
    lines = [
        f"| step ({result.posts:,} posts, one core) | items | wall s | CPU s | items/s (CPU)"
        " | share of end-to-end CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in result.steps:
        w, c = step.timing
        lines.append(
            f"| {step.name} | {step.items:,} | {w:.2f} | {c:.2f} | {_rate(step.items, c)}"
            f" | {c / cpu:.0%} |"
        )
    lines.append(
        f"| **end to end** | {result.posts:,} | {wall:.2f} | {cpu:.2f}"
        f" | **{_rate(result.posts, cpu)}** | 100% |"
    )
    bw, bc = result.baseline
    lines.append(
        f"| classifier alone (`Classifier.analyse`, same {result.classified:,} texts) |"
        f" {result.classified:,} | {bw:.2f} | {bc:.2f} | **{_rate(result.classified, bc)}**"
        f" | {bc / cpu:.0%} |"
    )
    share = result.plumbing_share
    verdict = "meets" if share < 0.5 else "misses"
    lines += [
        "",
        f"Plumbing (end to end minus the classifier alone): {cpu - bc:.2f} s of CPU,"
        f" {share:.0%} of the total ({verdict} the target of less than half).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Result:
    """Run the benchmark, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("--posts must be at least 1")
    pin_one_core()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args.posts, Path(tmp), profile=args.profile)
    text = table(result)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report = (
        "# End-to-end benchmark\n\n"
        f"`.venv/bin/python bench/bench_e2e.py --posts {args.posts}`\n\n"
        f"{text}\n\n"
        f"(load average at the end: {load:.1f} on {os.cpu_count()} CPUs)\n"
    )
    print(report)
    if result.profile:
        print(result.profile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
