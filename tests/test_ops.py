"""Operations: `salon status`, `salon export` / `salon erase`, and the deployment files."""

from __future__ import annotations

import configparser
import json
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot import cli_ops
from bot.cli import app
from bot.db import open_engine
from bot.models import Lease, OutboxItem, SourceState, utcnow
from bot.outbox import set_sending_paused
from bot.service import STOP_TIMEOUT
from bot.store import store_posts
from connectors.base import Author as IncomingAuthor
from tests.helpers import make_post

ROOT = Path(__file__).resolve().parents[1]
ANA = IncomingAuthor(id="u-ana", handle="Ana_Visits", name="Ana Example")
runner = CliRunner()
CURSOR = "1852300000000000000000000042"


def write_config(tmp_path: Path) -> tuple[Path, str]:
    url = f"sqlite:///{tmp_path / 'salon.db'}"
    config = tmp_path / "salon.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "institution": {"name": "Test Museum"},
                "database": {"url": url},
                "nlp": {"trained_models": False},
                "sources": [
                    {
                        "name": "x-mentions",
                        "platform": "replay",
                        "feed": "file",
                        "monthly_request_budget": 1000,
                        "options": {"path": str(tmp_path / "in.jsonl")},
                    },
                    {
                        "name": "quiet",
                        "platform": "replay",
                        "feed": "file",
                        "options": {"path": str(tmp_path / "in.jsonl")},
                    },
                ],
            }
        )
    )
    return config, url


def test_status_shows_sources_outbox_pause_and_model_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_ops.console, "width", 200)  # one table row per line
    config, url = write_config(tmp_path)
    now = utcnow()
    engine = open_engine(url)
    with Session(engine) as session:
        session.add(
            SourceState(
                name="x-mentions",
                platform="replay",
                cursor=CURSOR,
                last_success_at=now - timedelta(hours=1),
                consecutive_failures=3,
                paused_until=now + timedelta(hours=2),
                last_error="server error 503",
                requests_this_month=12,
                budget_month=f"{now:%Y-%m}",
            )
        )
        session.add(OutboxItem(key="reply:x:1", kind="reply", channel="x-mentions", created_at=now))
        session.add(
            Lease(name="source:x-mentions", holder="web1:41", until=now + timedelta(minutes=1))
        )
        session.add(Lease(name="source:quiet", holder="web2:7", until=now - timedelta(seconds=1)))
        set_sending_paused(session, True, actor="bea", now=now)
        session.commit()
    engine.dispose()
    result = runner.invoke(app, ["status", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "web2:7" not in result.output  # an expired lease: nobody polls that source now
    [line] = [row for row in result.output.splitlines() if "x-mentions" in row]
    assert f"web1:41 until {now + timedelta(minutes=1):%H:%M:%S}" in line
    assert f" {CURSOR[: cli_ops.CURSOR_WIDTH - 1]}… " in line  # the cursor, shortened
    assert re.search(r"\b3\b", line) and "988/1000" in line and "server error 503" in line
    assert f"{now + timedelta(hours=2):%Y-%m-%d %H:%M}" in line
    [quiet] = [row for row in result.output.splitlines() if row.lstrip("│ ").startswith("quiet")]
    assert "never" in quiet and "no budget" in quiet
    assert "outbox: reply queued: 1" in result.output
    assert "public replies: paused by bea" in result.output
    assert re.search(r"classifier: salon 2r\+[0-9a-f]{12}", result.output)
    assert "classifications stored by version: none yet" in result.output


def test_export_and_erase_from_the_command_line(tmp_path: Path) -> None:
    config, url = write_config(tmp_path)
    engine = open_engine(url)
    with Session(engine) as session:
        store_posts(session, [make_post("1", "call me on 0612345678", author=ANA)])
        session.commit()
    engine.dispose()
    out = tmp_path / "ana.json"
    exported = runner.invoke(
        app, ["export", "--author", "@ana_visits", "--out", str(out), "-c", str(config)]
    )
    assert exported.exit_code == 0, exported.output
    data = json.loads(out.read_text())
    assert data["authors"][0]["posts"][0]["text"] == "call me on 0612345678"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: the owner only
    to_stdout = runner.invoke(app, ["export", "--author", "ana_visits", "-c", str(config)])
    assert json.loads(to_stdout.stdout) == data

    refused = runner.invoke(
        app, ["erase", "--author", "ana_visits", "-c", str(config)], input="n\n"
    )
    assert refused.exit_code == 1 and "Erase x:Ana_Visits (1 post(s))?" in refused.output
    assert (
        "0612345678"
        in runner.invoke(app, ["export", "--author", "ana_visits", "-c", str(config)]).stdout
    )

    erased = runner.invoke(app, ["erase", "--author", "ana_visits", "--yes", "-c", str(config)])
    assert erased.exit_code == 0, erased.output
    assert "erased 1 account(s): 1 post(s) cleared" in erased.output
    gone = runner.invoke(app, ["export", "--author", "ana_visits", "-c", str(config)])
    assert gone.exit_code != 0
    assert "no author with handle 'ana_visits'" in str(gone.exception)


# -- deployment files -----------------------------------------------------------------------


def test_the_systemd_unit_runs_the_service_and_gives_it_time_to_stop() -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((ROOT / "deploy" / "salon.service").read_text())
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    command = service["ExecStart"].split()
    assert command[0].endswith("/bin/salon") and command[1] == "run"
    assert command[command.index("-c") + 1].endswith("salon.yaml")
    assert service["Restart"] == "on-failure"
    # the service waits STOP_TIMEOUT for the staff bot, then for running jobs
    assert int(service["TimeoutStopSec"]) >= 2 * STOP_TIMEOUT
    assert service["KillSignal"] == "SIGTERM"
    assert service["User"] != "root"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_template_unit_runs_one_institution_per_instance() -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((ROOT / "deploy" / "salon@.service").read_text())
    single = configparser.ConfigParser(strict=True, interpolation=None)
    single.optionxform = str  # type: ignore[assignment,method-assign]
    single.read_string((ROOT / "deploy" / "salon.service").read_text())
    service = unit["Service"]
    # each instance reads its own configuration and secrets: nothing is shared but the host
    assert service["ExecStart"].split()[-2:] == ["-c", "/srv/salon/%i.yaml"]
    assert service["EnvironmentFile"] == "/srv/salon/%i.env"
    # otherwise the same service as the single-institution unit
    for key in ("KillSignal", "TimeoutStopSec", "Restart", "User", "ProtectSystem"):
        assert service[key] == single["Service"][key]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def test_the_dockerfile_builds_a_non_root_image_with_a_health_check() -> None:
    steps = dockerfile()
    names = [name for name, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert any(name == "RUN" and "pip install" in args for name, args in steps)
    users = [args for name, args in steps if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert names.index("USER") > max(i for i, (n, a) in enumerate(steps) if "pip install" in a)
    env = " ".join(args for name, args in steps if name == "ENV")
    port = re.search(r"SALON_METRICS_PORT=(\d+)", env)
    assert port and ("EXPOSE", port.group(1)) in steps
    [health] = [args for name, args in steps if name == "HEALTHCHECK"]
    assert f"127.0.0.1:{port.group(1)}/healthz" in health
    entry = json.loads(dict(steps)["ENTRYPOINT"]) + json.loads(dict(steps)["CMD"])
    assert entry == ["salon", "run"]
    copied = " ".join(args for name, args in steps if name == "COPY")
    for package in ("bot", "config", "connectors", "nlp", "scheduler", "pyproject.toml"):
        assert package in copied


def test_the_docker_context_leaves_out_secrets_databases_and_the_virtualenv() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in (".git", ".venv", "*.db", "*.env", "secrets*", "tests"):
        assert pattern in ignored


@pytest.mark.parametrize(
    "target", ["deploy/salon.service", "deploy/Dockerfile", "docs/operations.md"]
)
def test_the_readme_links_the_deployment_files(target: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"]({target})" in readme
    assert "ExecStart=" not in readme  # the unit lives in deploy/, not copied in the README
