"""Memory and start-up: `salon run` with every model loaded and 100,000 posts in the store.

    .venv/bin/python bench/bench_memory.py [--posts 100000] [--sample 1000]

1. A SQLite store in a temporary folder gets ``--posts`` posts made from the demo data (see
   ``bench_e2e``: copies with fresh ids), moved by whole weeks so the demo's last week is the
   last complete week before today, stored with ``store_posts`` in batches of 1,000. All but the
   last ``--sample`` are classified through ``classify_pending`` with the real classifier
   memoised per distinct text (the copies share the demo's 504 texts, so this is what the full
   pipeline would store, at a fraction of the time) and marked triaged; the last ``--sample``
   are left for the service to classify.
2. ``salon --help``: wall time, median of 5 runs.
3. ``salon run`` on that store (the replay sources, 50 new posts waiting in their files,
   metrics on a loopback port): wall time from the start of the process to the first completed
   poll and to the first classification, read from ``/metrics``; once the pending posts are
   classified, triaged and delivered, its peak RSS (``VmHWM`` in ``/proc/<pid>/status``); then
   SIGTERM, still sampling ``VmHWM`` until it exits.
4. ``salon digest --preview`` over the same store (the week holds a third of the posts): wall
   and CPU time, peak RSS (``VmHWM`` sampled every 50 ms).

Target (issue 8): peak RSS of `salon run` under 400 MB. Writes ``bench/results/memory.md``.
Wall-clock times include waiting for a CPU on a shared machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from sqlalchemy import update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.bench_e2e import PLATFORMS, _copy, demo_records, generated_records  # noqa: E402
from bot.app import build_analyser  # noqa: E402
from bot.classify import Analyser, classify_pending  # noqa: E402
from bot.db import open_engine  # noqa: E402
from bot.demo_runner import DEMO_CLOCK  # noqa: E402
from bot.models import Post  # noqa: E402
from bot.store import store_posts  # noqa: E402
from config.loader import demo_settings, packaged_text  # noqa: E402
from connectors.serialize import post_from_dict  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "memory.md"
SALON = str(Path(sys.executable).with_name("salon"))
BATCH = 1_000
NEW_POSTS = 50  # waiting in the replay files for `salon run`'s first poll
TIMEOUT = 300.0


class MemoAnalyser:
    """The real classifier, computed once per distinct (text, language)."""

    def __init__(self, inner: Analyser | None = None) -> None:
        self.inner = inner or build_analyser(demo_settings(Path(".")))
        self.name, self.version = self.inner.name, self.inner.version
        self.memo: dict[tuple[str, str | None], Any] = {}

    def analyse(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        batch_size: int = 256,
    ) -> list[Any]:
        """Like ``Classifier.analyse``; each distinct text analysed once."""
        langs = list(languages) if languages is not None else [None] * len(texts)
        keys = list(zip(texts, langs, strict=True))
        todo = list(dict.fromkeys(k for k in keys if k not in self.memo))
        if todo:
            results = self.inner.analyse([t for t, _ in todo], [lang for _, lang in todo])
            self.memo.update(zip(todo, results, strict=True))
        return [self.memo[k] for k in keys]


def week_shift(now: datetime) -> timedelta:
    """Whole weeks that move the demo's clock (a Monday) to this week's Monday."""
    return timedelta(weeks=(now - DEMO_CLOCK).days // 7)


def _shifted(record: dict[str, Any], shift: timedelta) -> dict[str, Any]:
    out = dict(record)
    for field in ("created_at", "edited_at"):
        if out.get(field):
            out[field] = (datetime.fromisoformat(out[field]) + shift).isoformat()
    return out


def _store(url: str, records: list[dict[str, Any]]) -> None:
    engine = open_engine(url)
    with Session(engine) as session:
        for i in range(0, len(records), BATCH):
            posts = [post_from_dict(r) for r in records[i : i + BATCH]]
            store_posts(session, posts)
            session.commit()
    engine.dispose()


def populate(
    url: str, posts: int, sample: int, shift: timedelta, analyser: Analyser | None = None
) -> int:
    """``posts`` posts in the store at ``url``: all but the last ``sample`` classified (by
    ``analyser``, the shipped classifier by default) and triaged (see the module docstring).
    Returns how many public posts are left pending."""
    by_platform = generated_records(posts)
    records = [
        _shifted({**r, "source": f"bench-{platform}"}, shift)
        for platform in PLATFORMS
        for r in by_platform[platform]
    ]
    records.sort(key=lambda r: r["created_at"])
    head, tail = records[: len(records) - sample], records[len(records) - sample :]
    _store(url, head)
    engine = open_engine(url)
    with Session(engine) as session:
        classify_pending(session, MemoAnalyser(analyser), batch_size=2_000)
        session.execute(update(Post).values(triaged=True))
        session.commit()
    engine.dispose()
    _store(url, tail)
    return sum(not r["author"].get("is_self") for r in tail)


def write_new_posts(folder: Path, shift: timedelta) -> tuple[dict[str, Path], int]:
    """``NEW_POSTS`` fresh posts (ids of a copy no store row has) over the replay files; the
    files by source name and the number of public posts among them."""
    files, public = {}, 0
    for platform, records in demo_records().items():
        path = folder / f"new-{platform}.jsonl"
        lines = [_shifted(_copy(r, 9_999), shift) for r in records[: NEW_POSTS // len(PLATFORMS)]]
        path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
        files[f"bench-{platform}"] = path
        public += sum(not r["author"].get("is_self") for r in lines)
    return files, public


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, url: str, files: dict[str, Path], port: int | None) -> Path:
    """A `salon.yaml` on the example configuration: the store, replay sources, metrics port."""
    data = yaml.safe_load(packaged_text("example.yaml"))
    data["database"] = {"url": url}
    data["accounts"] = {"replay": {"replies_path": str(folder / "replies.jsonl")}}
    data["digest"]["out_dir"] = str(folder / "digest")
    data["nlp"].pop("taxonomy_file", None)
    data["sources"] = [
        {"name": name, "platform": "replay", "feed": "file", "interval": 3600, "jitter": 0,
         "options": {"path": str(path)}}
        for name, path in files.items()
    ]  # fmt: skip
    data["service"] = {"log_format": "json", "metrics_port": port}
    path = folder / "salon.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def help_seconds(runs: int = 5) -> float:
    """Median wall seconds of `salon --help`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([SALON, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def metric(text: str, name: str) -> float:
    """The sum of every sample of counter ``name`` in a Prometheus exposition."""
    pattern = re.compile(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", re.M)
    return sum(float(v) for v in pattern.findall(text))


def scrape(port: int) -> str | None:
    """The /metrics text, or None while the server is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        return None


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of process ``pid`` (``VmHWM``), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kb = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    if kb is None:
        raise RuntimeError(f"no VmHWM in /proc/{pid}/status")
    return int(kb.group(1)) / 1024


def wait_peak(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
    """Wait for ``proc``, sampling its ``VmHWM`` every 50 ms; its peak RSS in MB (the last
    sample: a high-water mark only grows) and CPU seconds. (``ru_maxrss`` from ``wait4`` is no
    use here: on Linux it keeps the high-water mark of the forking parent, this benchmark.)"""
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return peak, usage.ru_utime + usage.ru_stime
        with contextlib.suppress(OSError, RuntimeError):  # exiting: keep the last sample
            peak = vm_hwm_mb(proc.pid)
        time.sleep(0.05)


def run_service(config: Path, port: int, expected: int, logs: Path) -> dict[str, float]:
    """Start `salon run`, time its first poll and classification, read its peak RSS once it
    has processed ``expected`` posts and gone quiet, stop it."""
    with logs.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([SALON, "run", "-c", str(config)], stdout=out, stderr=out)
    figures: dict[str, float] = {}
    last, quiet_since = -1.0, 0.0
    try:
        while time.perf_counter() - start < TIMEOUT:
            if proc.poll() is not None:
                raise RuntimeError(f"salon run exited ({proc.returncode}); see {logs}")
            text = scrape(port)
            now = time.perf_counter() - start
            if text is not None:
                polled = metric(text, "salon_polls_total")
                classified = metric(text, "salon_posts_classified_total")
                delivered = metric(text, "salon_deliveries_total")
                if polled and "first_poll_s" not in figures:
                    figures["first_poll_s"] = now
                if classified and "first_classified_s" not in figures:
                    figures["first_classified_s"] = now
                if classified >= expected:
                    if delivered != last:
                        last, quiet_since = delivered, now
                    elif now - quiet_since >= 3.0:
                        break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"salon run did not process {expected} posts in {TIMEOUT:.0f} s")
        figures["vm_hwm_mb"] = vm_hwm_mb(proc.pid)
        figures["processed_s"] = quiet_since
        proc.send_signal(signal.SIGTERM)
        figures["exit_hwm_mb"], figures["run_cpu_s"] = wait_peak(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    return figures


def run_digest(config: Path, out: Path, logs: Path) -> dict[str, float]:
    """`salon digest --preview` over the store: wall seconds and peak RSS."""
    with logs.open("wb") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [SALON, "digest", "-c", str(config), "--preview", "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        rss, cpu = wait_peak(proc)
    if proc.returncode:
        raise RuntimeError(f"salon digest failed: {logs.read_text(errors='replace')}")
    return {"digest_s": time.perf_counter() - start, "digest_cpu_s": cpu, "digest_rss_mb": rss}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Populate, measure, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    if not 0 <= args.sample < args.posts:
        parser.error("--sample must be between 0 and --posts - 1")
    if shutil.which(SALON) is None:
        parser.error(f"{SALON} not found: install Salon in this environment (pip install -e .)")
    shift = week_shift(datetime.now(UTC))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'salon.db'}"
        start = time.perf_counter()
        pending = populate(url, args.posts, args.sample, shift)
        populate_s = time.perf_counter() - start
        db_mb = (folder / "salon.db").stat().st_size / 2**20
        port = free_port()
        files, new_public = write_new_posts(folder, shift)
        config = write_config(folder, url, files, port)
        figures = {"help_s": help_seconds()}
        expected = pending + new_public
        figures |= run_service(config, port, expected, folder / "run.log")
        figures |= run_digest(config, folder / "digest", folder / "digest.log")
    load = os.getloadavg()[0]
    target = "yes" if figures["vm_hwm_mb"] < 400 else "no"
    report = f"""# Memory and start-up benchmark

`.venv/bin/python bench/bench_memory.py --posts {args.posts} --sample {args.sample}`

Store: {args.posts:,} posts in SQLite ({db_mb:.0f} MB on disk; built in {populate_s:.0f} s), of
which {args.posts - args.sample:,} classified and triaged beforehand and {args.sample:,} left
pending ({pending:,} public posts to classify), plus {NEW_POSTS} new posts ({new_public} public)
waiting in the replay files.

| measure | value | target |
|---|---:|---|
| `salon --help`, wall (median of 5) | {figures["help_s"]:.2f} s | |
| `salon run`: start to first completed poll, wall | {figures["first_poll_s"]:.2f} s | |
| `salon run`: start to first posts classified (models loaded), wall | {figures["first_classified_s"]:.2f} s | |
| `salon run`: start to the {expected:,} pending public posts classified, triaged, delivered | {figures["processed_s"]:.1f} s | |
| `salon run` peak RSS after that (`VmHWM`) | {figures["vm_hwm_mb"]:.0f} MB | < 400 MB: {target} |
| `salon run` peak RSS until it exited after SIGTERM (`VmHWM`, sampled) | {figures["exit_hwm_mb"]:.0f} MB | |
| `salon run` CPU time, start to exit | {figures["run_cpu_s"]:.1f} s | |
| `salon digest --preview` over the store: wall / CPU | {figures["digest_s"]:.1f} s / {figures["digest_cpu_s"]:.1f} s | |
| `salon digest --preview` peak RSS (`VmHWM`, sampled) | {figures["digest_rss_mb"]:.0f} MB | |

(load average at the end: {load:.1f} on {os.cpu_count()} CPUs; wall times include waiting for a
CPU)
"""  # noqa: E501
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
