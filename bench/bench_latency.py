"""Alert latency: from a post appearing on a loopback fake platform to the staff alert request
reaching the loopback fake Telegram Bot API, with ``salon run`` running for real.

    .venv/bin/python bench/bench_latency.py [--probes 12] [--intervals 60 30] [--out FILE]

For each poll interval, ``salon run`` (the real scheduler, shipped pipeline, SQLite) polls fake
Mastodon, Bluesky and Telegram APIs (tests/fakes, no faults). Probe posts ("latencyprobe N",
which one extra rule alerts on) appear one at a time at random moments on a platform taken in
turn; the latency of each is the time from its appearance to the fake Bot API receiving the
sendMessage that carries it. 30 s is the minimum interval (config.settings.MIN_POLL_INTERVAL),
so no limit is lowered. Wall-clock time, since the figure is a wait, not a cost.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.world import PLATFORMS, SECRETS, World  # noqa: E402

PROBE_RULE = {
    "name": "latency-probe",
    "group": "safety",
    "when": {"keywords": ["latencyprobe"]},
    "action": "alert",
    "priority": "high",
    "stop": True,
}


def configure(world: World, workdir: Path, interval: float) -> Path:
    """The worker configuration of the month, with ``interval`` and the probe rule."""
    path, _ = world.write_config(workdir, trained_models=True)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for source in data["sources"]:
        source["interval"] = interval
    data["triage"]["rules"].insert(0, PROBE_RULE)
    data["service"] = {"log_format": "json", "log_level": "INFO"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def measure(interval: float, probes: int, seed: int) -> list[float]:
    """Latencies (seconds) of ``probes`` probe posts with ``salon run`` at ``interval``."""
    rng = random.Random(seed)
    latencies = []
    with tempfile.TemporaryDirectory() as tmp, World(seed, 0.0) as world:
        config = configure(world, Path(tmp), interval)
        env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
        log = (Path(tmp) / "salon.log").open("w", encoding="utf-8")
        salon = [sys.executable, "-m", "bot.cli", "run", "-c", str(config)]
        proc = subprocess.Popen(salon, cwd=tmp, env=env, stderr=log, stdout=log)
        try:
            time.sleep(interval * 1.5 + 10)  # start-up and the first poll of every source
            staff = world.fakes["telegram"].staff
            for index in range(probes):
                time.sleep(rng.uniform(0, interval))
                token = f"latencyprobe {index}"
                platform = PLATFORMS[index % len(PLATFORMS)]
                fake = world.fakes[platform]
                appeared = time.monotonic()
                fake.publish(f"{token}: is the museum open?", "prober", "Prober", datetime.now(UTC))
                deadline = appeared + 4 * interval + 60
                while time.monotonic() < deadline:
                    hit = next((m for m in staff if token in m.text), None)
                    if hit is not None:
                        latencies.append(hit.at - appeared)
                        break
                    time.sleep(0.05)
                else:
                    waited = deadline - appeared
                    print(f"  probe {index} on {platform}: no alert within {waited:.0f} s")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
    return latencies


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Measure each interval and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=12)
    parser.add_argument("--intervals", type=float, nargs="+", default=[60.0, 30.0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latency.md")
    args = parser.parse_args()
    rows = []
    for interval in args.intervals:
        found = measure(interval, args.probes, args.seed)
        row = (
            f"| {interval:g} s | {len(found)}/{args.probes} | {percentile(found, 0.5):.1f} s"
            f" | {percentile(found, 0.95):.1f} s | {max(found):.1f} s |"
            if found
            else f"| {interval:g} s | 0/{args.probes} | - | - | - |"
        )
        print(row, flush=True)
        rows.append(row)
    command = " ".join(["python bench/bench_latency.py", *sys.argv[1:]])
    args.out.write_text(
        "# Alert latency\n\nPost appears on a loopback fake platform -> the staff alert's"
        " sendMessage reaches the loopback fake Bot API; `salon run` for real (wall clock).\n\n"
        f"`{command}`\n\n| poll interval | alerts | p50 | p95 | max |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
