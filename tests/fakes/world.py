"""The fakes of one run together: three platforms and the Bot API on loopback, the posts that
appear on them, the worker's configuration, and the hook that kills the worker mid-request."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from config.loader import load_settings, packaged_text
from config.settings import Settings
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.common import Published
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FAULT_KINDS, Faults, LoopbackServer, Request
from tests.fakes.telegram import GROUP, PUBLIC_TOKEN, STAFF_TOKEN, FakeTelegram

DEMO_DATA = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data"
PLATFORMS = ("mastodon", "bluesky", "telegram")
SOURCES = {
    "mastodon": {"name": "mastodon-mentions", "platform": "mastodon", "feed": "mentions",
                 "options": {"limit": 10}},
    "bluesky": {"name": "bluesky-mentions", "platform": "bluesky", "feed": "notifications",
                "options": {"page_size": 10}},
    "telegram": {"name": "telegram-community", "platform": "telegram", "feed": "updates",
                 "options": {"chats": [GROUP["id"]], "page_size": 10}},
}  # fmt: skip
SECRETS = {
    "SALON_FAKE_MASTODON_TOKEN": "fake-mastodon-access-token",
    "SALON_FAKE_BLUESKY_PASSWORD": "fake-app-password",
    "SALON_FAKE_TELEGRAM_PUBLIC_TOKEN": PUBLIC_TOKEN,
    "SALON_TELEGRAM_TOKEN": STAFF_TOKEN,
}


@dataclass(frozen=True, slots=True)
class DemoPost:
    """Text and author of a public post of the demo data (questions, complaints, praise...)."""

    text: str
    handle: str
    name: str


def demo_posts(platform: str) -> list[DemoPost]:
    """The public (not our own) posts of ``bot/demo/data/<platform>.jsonl``."""
    out = []
    for line in (DEMO_DATA / f"{platform}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        author = row["author"]
        if not author.get("is_self") and row.get("text", "").strip():
            out.append(DemoPost(row["text"], author["handle"], author.get("name") or ""))
    return out


class Killer:
    """Kills the worker (SIGKILL) at the ``nth`` request once armed, ``when`` the fake got it
    ("before" handling it) or answered it ("after": a reply may be out but not recorded)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.kills = 0
        self._armed: tuple[int, str] | None = None
        self._seen = 0
        self._target: Request | None = None
        self._lock = threading.Lock()

    def arm(self, nth: int, when: str) -> None:
        """Kill at the ``nth`` request from now (``when``: "before" or "after")."""
        with self._lock:
            self._armed, self._seen, self._target = (nth, when), 0, None

    @property
    def armed(self) -> bool:
        """Whether a kill is still pending."""
        return self._armed is not None

    def __call__(self, request: Request, when: str) -> None:
        with self._lock:
            if self._armed is None or self.pid is None:
                return
            nth, at = self._armed
            if when == "before":
                self._seen += 1
                if self._seen == nth:
                    self._target = request
            if request is not self._target or when != at:
                return
            self._armed, self._target = None, None
            os.kill(self.pid, signal.SIGKILL)
            self.kills += 1


class World:
    """The fakes on loopback with seeded faults; :meth:`publish` makes posts appear."""

    def __init__(
        self,
        seed: int,
        fault_rate: float,
        kinds: tuple[str, ...] = FAULT_KINDS,
        write_kinds: tuple[str, ...] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.fakes: dict[str, Any] = {
            "mastodon": FakeMastodon(),
            "bluesky": FakeBluesky(),
            "telegram": FakeTelegram(),
        }
        self.servers = {
            name: LoopbackServer(
                fake, Faults(seed + index, fault_rate, kinds, write_kinds=write_kinds)
            )
            for index, (name, fake) in enumerate(self.fakes.items())
        }
        self.killer = Killer()
        for server in self.servers.values():
            server.hooks.append(self.killer)
        self.texts = {platform: demo_posts(platform) for platform in PLATFORMS}

    def __enter__(self) -> World:
        for server in self.servers.values():
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers.values():
            server.stop()

    def set_faults(self, enabled: bool) -> None:
        """Turn fault injection on or off on every fake."""
        for server in self.servers.values():
            server.faults.enabled = enabled

    def publish(self, at: datetime) -> Published:
        """A random demo post on a random platform, appearing at ``at``."""
        platform = self.rng.choice(PLATFORMS)
        post = self.rng.choice(self.texts[platform])
        return self.fakes[platform].publish(post.text, post.handle, post.name, at)

    def published(self) -> list[Published]:
        """Every post published so far, on every platform."""
        return [p for fake in self.fakes.values() for p in fake.ledger.posts.values()]

    def faults(self) -> dict[str, int]:
        """Faults injected so far, by kind (all fakes)."""
        total: dict[str, int] = {kind: 0 for kind in FAULT_KINDS}
        for server in self.servers.values():
            for kind, count in server.faults.counts.items():
                total[kind] += count
        return total

    def write_config(self, workdir: Path, *, trained_models: bool) -> tuple[Path, Settings]:
        """A ``salon.yaml`` pointing at the fakes (the example's rules, templates and facts),
        validated by the project's loader; secrets stay ``${...}`` references."""
        data = yaml.safe_load(packaged_text("example.yaml"))
        data["database"] = {"url": f"sqlite:///{workdir / 'salon.db'}"}
        data["accounts"] = {
            name: self.fakes[name].settings(self.servers[name].url) for name in PLATFORMS
        }
        data["sources"] = [{**SOURCES[name], "interval": 60, "max_pages": 3} for name in PLATFORMS]
        data["staff"]["telegram"] = self.fakes["telegram"].staff_settings(
            self.servers["telegram"].url
        )
        data["nlp"]["trained_models"] = trained_models
        data["digest"]["out_dir"] = str(workdir / "digest")
        data["service"] = {"log_format": "json", "log_level": "WARNING"}
        path = workdir / "salon.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path, load_settings(path, environ={**os.environ, **SECRETS})
