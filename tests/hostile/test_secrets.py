"""Secrets never show: not in logs, errors, ``salon status``, ``salon check``, digests, the
store, the replies file, staff messages or exceptions.

The demo runs with the example configuration as a real deployment would have it: every account
the example describes uncommented (its secrets as ``${VAR}`` references, resolved from the
environment and from a secrets file), a source for each real platform (disabled, except X,
whose API answers 401 to every call: an authentication failure with real credentials in play),
the staff bot on (a fake Bot API; its token from ``SALON_TELEGRAM_TOKEN``). Every log record at
DEBUG (with tracebacks), everything printed, every file written, the store's full SQL dump and
every request the staff bot made are scanned for every secret value.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml
from typer.testing import CliRunner

from bot.app import Salon
from bot.cli import app
from bot.db import open_engine
from bot.demo_runner import DEMO_CLOCK, DEMO_WEEKS
from bot.staff import StaffBot
from config.loader import load_settings, packaged_text
from connectors.telegram.connector import guard_logs
from tests.helpers import KeywordAnalyser
from tests.hostile.world import Runner
from tests.staff.conftest import FakeClock
from tests.staff.fake_api import TOKEN as STAFF_TOKEN
from tests.staff.fake_api import FakeTelegram

EXAMPLE = packaged_text("example.yaml")
STAFF_CHAT = -1001900000001
REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)\}")


def fake_secret(name: str) -> str:
    """A distinctive value for secret ``name`` (a bot token has the shape Telegram uses)."""
    if name.endswith("TELEGRAM_PUBLIC_TOKEN"):
        return "7000000009:PUBLICBOTSECRET_q8Zr2LkPw4Xn7Vb1"
    return f"FAKE-{name.lower().replace('_', '-')}-7Qx9Lm2"


def deployed_config() -> dict[str, Any]:
    """The example with its accounts uncommented and a source per real platform."""
    lines = EXAMPLE.splitlines()
    start = lines.index("accounts:")
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    for i in range(start + 1, end):
        lines[i] = re.sub(r"^  # ", "  ", lines[i])
    data: dict[str, Any] = yaml.safe_load("\n".join(lines))
    first = next(i for i, line in enumerate(lines) if line.startswith("#   - {name:"))
    block = [
        line[2:] for line in itertools.takewhile(lambda x: x.startswith("#   "), lines[first:])
    ]
    for source in yaml.safe_load("\n".join(block)):  # the commented sources of real platforms
        source["enabled"] = source["platform"] == "x"
        data["sources"].append(source)
    data["staff"]["telegram"]["chats"] = [STAFF_CHAT]
    return data


NAMES = sorted(set(REFERENCE.findall(EXAMPLE)))
SECRETS = {name: fake_secret(name) for name in NAMES} | {"SALON_TELEGRAM_TOKEN": STAFF_TOKEN}


def secret_environment(folder: Path) -> dict[str, str]:
    """Half the secrets in the environment, half in the secrets file it names."""
    in_file = NAMES[::2]
    path = folder / "secrets.env"
    path.write_text("".join(f"{name}={SECRETS[name]}\n" for name in in_file))
    env = {name: value for name, value in SECRETS.items() if name not in in_file}
    return {**env, "SALON_SECRETS_FILE": str(path), "SALON_DATABASE_URL": ""}


@dataclass
class Run:
    """What one run showed the world."""

    folder: Path
    texts: dict[str, str] = field(default_factory=dict)  # where -> what it contained

    def add(self, where: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.texts[where] = text

    def leaks(self) -> list[str]:
        """``where: NAME`` for every secret found anywhere."""
        return [
            f"{where}: {name}"
            for where, text in self.texts.items()
            for name, value in SECRETS.items()
            if value in text
        ]


class Records(logging.Handler):
    """Every record, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _deliver_demo(folder: Path, config: Path, env: dict[str, str], run: Run) -> None:
    settings = load_settings(config, environ=env)
    assert settings.substituted_values, "the secrets were not resolved from ${VAR}s"
    # StaffBot guards the logs against its token before it builds its Bot; the fake's Bot is
    # built here, first, so guard them first too (PTB logs its URL, token included, at DEBUG)
    guard_logs(STAFF_TOKEN)
    runner, fake, clock = Runner(), FakeTelegram(), FakeClock()
    engine = open_engine(settings.database.url)
    staff = StaffBot(
        settings,
        engine,
        bot=fake.bot(),
        clock=lambda: DEMO_CLOCK,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    salon = Salon(
        settings,
        engine=engine,
        analyser=KeywordAnalyser(),  # the plumbing is what carries secrets, not the model
        sink=staff.sink,
        clock=lambda: DEMO_CLOCK,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as x_api:
        x_api.add(
            responses.GET,
            re.compile(r"https://api\.(twitter|x)\.com/.*"),
            status=401,
            json={"title": "Unauthorized", "type": "about:blank", "status": 401},
        )
        result = runner.run(salon.cycle(spikes_since=DEMO_CLOCK - timedelta(weeks=DEMO_WEEKS)))
        report = salon.digest(DEMO_CLOCK, folder / "digest", enqueue=True)
        runner.run(salon.deliver())
    failed = [p for p in result["polls"] if p.error]
    assert [p.source for p in failed] == ["x-mentions"], "X should have failed to sign in"
    run.add("poll errors", "\n".join(str(p.error) for p in failed))
    run.add("digest summary", repr(report.digest))
    run.add("staff bot requests", repr(fake.calls))
    runner.run(staff.aclose())
    runner.run(salon.aclose())
    runner.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("secrets")
    config = folder / "salon.yaml"
    data = deployed_config()
    data["database"] = {"url": f"sqlite:///{folder / 'salon.db'}"}
    data["accounts"]["replay"]["replies_path"] = str(folder / "replies.jsonl")
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    env = secret_environment(folder)
    run = Run(folder)
    records, root = Records(), logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            _deliver_demo(folder, config, env, run)
        cli = CliRunner()
        for command in (["status", "-c", str(config)], ["check", "-c", str(config)]):
            result = cli.invoke(app, command, env={**env, "COLUMNS": "300"})
            run.add(f"salon {command[0]}", result.output + repr(result.exception or ""))
            assert command[0] != "status" or result.exit_code == 0, result.output
    finally:
        root.removeHandler(records)
        root.setLevel(level)
    run.add("logs", "\n".join(records.lines))
    run.add("stdout", out.getvalue())
    run.add("stderr", err.getvalue())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "secrets.env":
            run.add(str(path.relative_to(folder)), path.read_bytes())
    with sqlite3.connect(folder / "salon.db") as db:
        run.add("store dump", "\n".join(db.iterdump()))
    yield run


def test_the_run_really_used_the_secrets(demo: Run) -> None:
    """The scan is not vacuous: the secrets were there to leak."""
    assert set(NAMES) >= {"SALON_X_BEARER_TOKEN", "SALON_TELEGRAM_PUBLIC_TOKEN"}
    assert "x-mentions" in demo.texts["salon status"]  # its failure is shown ...
    assert "authentication failed" in demo.texts["salon status"]  # ... with why
    assert "digest/digest.md" in demo.texts and "store dump" in demo.texts
    assert "sendMessage" in demo.texts["staff bot requests"]
    assert "replies.jsonl" in demo.texts


def test_no_secret_shows_anywhere(demo: Run) -> None:
    assert demo.leaks() == []


def _check(folder: Path, data: dict[str, Any], env: dict[str, str]) -> str:
    config = folder / "bad.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(app, ["check", "-c", str(config)], env=env)
    assert result.exit_code == 1, result.output
    return result.output + repr(result.exception or "")


def test_salon_check_of_a_bad_config_shows_no_secret(tmp_path: Path) -> None:
    """Secrets put where validators reject them (and quote what they reject)."""
    data = deployed_config()
    data["institution"]["timezone"] = "${SALON_X_BEARER_TOKEN}"
    data["accounts"]["telegram"]["bot_token"] = "${SALON_MASTODON_ACCESS_TOKEN}"  # bad shape
    data["accounts"]["bluesky"]["handle"] = "${SALON_BLUESKY_APP_PASSWORD}"
    data["sources"][0]["platform"] = "${SALON_X_ACCESS_TOKEN_SECRET}"
    data["triage"]["rules"][0]["when"] = {"source": "${SALON_REDDIT_CLIENT_SECRET}"}
    output = _check(tmp_path, data, secret_environment(tmp_path))
    assert "problem" in output and "institution.timezone" in output
    assert [name for name, value in SECRETS.items() if value in output] == []


def test_salon_check_with_a_secret_in_the_accounts_and_a_broken_rule(tmp_path: Path) -> None:
    """The later checks (accounts, sources, rules) run on valid settings: same promise."""
    data = deployed_config()
    data["sources"][0]["platform"] = "${SALON_X_ACCESS_TOKEN_SECRET}"
    data["accounts"]["telegram"]["bot_token"] = "${SALON_MASTODON_ACCESS_TOKEN}"
    output = _check(tmp_path, data, secret_environment(tmp_path))
    assert "sources[0].platform" in output and "accounts.telegram" in output
    assert [name for name, value in SECRETS.items() if value in output] == []
