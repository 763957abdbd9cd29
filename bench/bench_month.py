"""A simulated month of Salon against loopback fakes, with faults and a worker killed at random.

    .venv/bin/python bench/bench_month.py [--days 30] [--seed 7] [--fault-rate 0.15]
        [--kill-chance 0.02] [--write-faults all|refusals] [--out bench/results/month.md]

Posts of the demo data (questions, complaints, praise, abuse...) appear through the month on
fake Mastodon, Bluesky and Telegram APIs (real HTTP on 127.0.0.1, the platforms' wire formats);
a worker subprocess runs Salon's cycle every simulated hour (the shipped pipeline, SQLite file)
and is killed with SIGKILL mid-request at random and started again; the fakes inject faults at
random (slow, 429 + Retry-After, 500/502/503, malformed JSON, truncated bodies, dropped
connections, duplicated and shuffled pages). See tests/fakes/month.py. At the end the store is
audited against the fakes (tests/fakes/audit.py); the table and any problem are printed and
written to ``--out``; the exit status is 1 if a problem was found.

``--write-faults refusals`` gives writes (replies, alerts) only the faults after which nothing
happened (slow, 429, 5xx); ``all`` also cuts answers the platform sent after doing the write.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.loader import load_settings  # noqa: E402
from tests.fakes.audit import audit  # noqa: E402
from tests.fakes.month import Plan, run  # noqa: E402
from tests.fakes.server import FAULT_KINDS, REFUSALS  # noqa: E402
from tests.fakes.world import SECRETS, World  # noqa: E402


def main() -> int:
    """Run the month and write the table; 1 if the audit found a problem."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-rate", type=float, default=0.15)
    parser.add_argument("--kill-chance", type=float, default=0.02)
    parser.add_argument("--write-faults", choices=("all", "refusals"), default="all")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "month.md")
    args = parser.parse_args()
    plan = Plan(
        days=args.days, seed=args.seed, fault_rate=args.fault_rate, kill_chance=args.kill_chance
    )
    write_kinds = FAULT_KINDS if args.write_faults == "all" else ("slow", *REFUSALS)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        World(plan.seed, plan.fault_rate, write_kinds=write_kinds) as world,
    ):
        result, config = run(plan, world, Path(tmp))
        report = audit(world, load_settings(config, environ={**os.environ, **SECRETS}), result.end)
        faults = world.faults()
    seconds = time.perf_counter() - started
    rows = [
        ("simulated", f"{plan.days:g} days, a cycle every {plan.step}, {result.cycles} cycles"),
        ("worker restarts (SIGKILL mid-request)", str(result.restarts)),
        *((name, str(value)) for name, value in report.figures.items()),
        (
            "faults injected",
            f"{sum(faults.values())} (rate {plan.fault_rate:g}, writes: {args.write_faults})",
        ),
        *((f"  {kind}", str(count)) for kind, count in faults.items()),
        ("wall time", f"{seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    verdict = (
        "no problem found"
        if not report.problems
        else "PROBLEMS:\n" + "\n".join(f"- {p}" for p in report.problems)
    )
    print(verdict)
    command = " ".join(["python bench/bench_month.py", *sys.argv[1:]])
    table = "\n".join(f"| {name.strip()} | {value} |" for name, value in rows)
    problems = "\n".join(f"- {p}" for p in report.problems) or "- none"
    args.out.write_text(
        f"# Simulated month\n\n`{command}` (seed {plan.seed})\n\n| figure | value |\n|---|---|\n"
        f"{table}\n\nProblems found by the audit:\n\n{problems}\n",
        encoding="utf-8",
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
