"""A simulated month (or a few days) of Salon against the loopback fakes.

The clock is simulated: every ``step`` of simulated time, posts of the demo data appear on the
fakes at random moments, then the worker (:mod:`tests.fakes.worker`, a subprocess on a SQLite
file) runs one Salon cycle at the step's end. Faults are injected at random by the fakes, and
the worker is killed with SIGKILL at random requests and started again. When the period is
over, faults stop and the worker runs until nothing is left to do; :mod:`tests.fakes.audit`
then compares the store with what the fakes saw.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bot.errors import SalonError
from tests.fakes.world import SECRETS, World

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday


@dataclass(frozen=True, slots=True)
class Plan:
    """What to simulate."""

    days: float = 30
    step: timedelta = timedelta(hours=1)  # simulated time between two cycles
    posts_per_day: float = 20
    kill_chance: float = 0.02  # per cycle: arm a kill at one of its next few requests
    fault_rate: float = 0.15  # share of requests a fault spoils
    seed: int = 7
    trained_models: bool = True
    settle_cycles: int = 12  # fault-free cycles at the end (an hour apart) at most


@dataclass
class Run:
    """What happened, as the driver saw it."""

    cycles: int = 0
    restarts: int = 0
    end: datetime = START


class Worker:
    """The worker subprocess; :meth:`cycle` survives its death by starting a new one."""

    def __init__(self, config: Path, workdir: Path, world: World, seed: int) -> None:
        self.config, self.world, self.seed = config, world, seed
        self.log: IO[str] = (workdir / "worker.log").open("a", encoding="utf-8")
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.worker", str(self.config), str(self.seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.starts += 1
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            proc.wait()
            raise SalonError(f"the worker did not start (exit {proc.returncode}); see worker.log")
        self.world.killer.pid = proc.pid
        return proc

    def cycle(self, at: datetime) -> dict[str, int]:
        """One cycle at simulated time ``at``; restarts the worker (and repeats the cycle)
        whenever it was killed."""
        for _ in range(100):
            if self.proc is None:
                self.proc = self._start()
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(f"cycle {at.isoformat()}\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except BrokenPipeError:
                line = ""
            if line.startswith("done "):
                figures: dict[str, int] = json.loads(line[5:])
                return figures
            self.proc.wait()
            if self.proc.returncode != -9:
                raise SalonError(f"the worker died (exit {self.proc.returncode}); see worker.log")
            self.proc = None
        raise SalonError("the worker was killed 100 times in one cycle")

    def stop(self) -> None:
        """Close stdin and wait for the worker to finish."""
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
            self.proc = None
        self.log.close()


def run(plan: Plan, world: World, workdir: Path) -> tuple[Run, Path]:
    """Simulate ``plan`` on ``world`` with a store in ``workdir``; returns the run and the
    worker's configuration file."""
    config, _ = world.write_config(workdir, trained_models=plan.trained_models)
    rng = random.Random(plan.seed)
    worker = Worker(config, workdir, world, plan.seed)
    result = Run()
    now = START
    try:
        world.set_faults(False)  # Salon is installed on a calm day: the first poll of each
        worker.cycle(now)  # source marks where it starts (posts before it are not fetched)
        world.set_faults(True)
        end = START + timedelta(days=plan.days)
        per_step = plan.posts_per_day * plan.step / timedelta(days=1)
        while now < end:
            moments = sorted(now + plan.step * rng.random() for _ in range(_poisson(rng, per_step)))
            for at in moments:
                world.publish(at)
            now += plan.step
            if not world.killer.armed and rng.random() < plan.kill_chance:
                world.killer.arm(rng.randint(1, 6), rng.choice(("before", "after")))
            worker.cycle(now)
            result.cycles += 1
        world.killer.arm(0, "before")  # disarmed: nth 0 is never reached
        world.set_faults(False)
        for _ in range(plan.settle_cycles):
            now += timedelta(hours=1)
            figures = worker.cycle(now)
            result.cycles += 1
            if not (figures["new"] or figures["poll_errors"] or figures["pending"]):
                break
    finally:
        worker.stop()
    result.restarts, result.end = worker.starts - 1, now
    return result, config


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count (Knuth's method; ``mean`` is small)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
