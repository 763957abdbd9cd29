"""Structured logs: JSON off a terminal, human lines on one, and no secret ever in the output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logging_setup import MASK, Redactor, configure_logging, secret_values
from config.loader import parse_settings
from config.settings import Settings

BEARER = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI"
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
DB_PASSWORD = "pg-s3cret-pw"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Leave the root logger as it was (configure_logging changes it)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def settings_with_secrets(tmp_path: Path) -> Settings:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"SALON_BSKY_PW={APP_PASSWORD}\n")
    return parse_settings(
        {
            "institution": {"name": "Test Museum"},
            "database": {"url": f"postgresql://salon:{DB_PASSWORD}@localhost/salon"},
            "accounts": {
                "x": {"bearer_token": "${SALON_X_BEARER}", "handle": "lumenmuseum"},
                "bluesky": {
                    "handle": "lumen.bsky.social",
                    "app_password": "${SALON_BSKY_PW}",
                },
            },
            "staff": {"telegram": {"token": BOT_TOKEN, "chats": [-100]}},
        },
        environ={"SALON_X_BEARER": BEARER, "SALON_SECRETS_FILE": str(secrets)},
    )


def test_secret_values_come_from_references_credential_keys_the_bot_and_the_database(
    tmp_path: Path,
) -> None:
    settings = settings_with_secrets(tmp_path)
    found = secret_values(settings)
    assert {BEARER, APP_PASSWORD, BOT_TOKEN, DB_PASSWORD} <= found
    assert "lumenmuseum" not in found  # a handle is not a secret


def test_json_lines_never_show_a_secret_in_messages_exceptions_or_extras(
    tmp_path: Path, root_logging: None
) -> None:
    stream = io.StringIO()
    configure_logging(settings_with_secrets(tmp_path), log_format="auto", stream=stream)
    log = logging.getLogger("salon.test")
    log.warning("calling X with %s", BEARER, extra={"source": "x-mentions", "auth": APP_PASSWORD})
    try:
        raise RuntimeError(f"connect to postgresql://salon:{DB_PASSWORD}@db failed")
    except RuntimeError:
        log.exception("store down")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [f"calling X with {MASK}", "store down"]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "salon.test"
    assert lines[0]["source"] == "x-mentions" and lines[0]["auth"] == MASK
    assert "RuntimeError" in lines[1]["exception"] and MASK in lines[1]["exception"]
    output = stream.getvalue()
    for secret in (BEARER, APP_PASSWORD, BOT_TOKEN, DB_PASSWORD):
        assert secret not in output


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"POST https://api.telegram.org/bot{BOT_TOKEN}/getUpdates", BOT_TOKEN),
        ("headers {'Authorization': 'Bearer abc.def-ghi_jkl012'}", "abc.def-ghi_jkl012"),
        ("GET /api?access_token=zz9yy8xx7ww6&limit=5", "zz9yy8xx7ww6"),
        ("redis://user:hunter2hunter2@cache:6379", "hunter2hunter2"),
        ("session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
        ('{"client_secret": "q8w7e6r5t4y3"}', "q8w7e6r5t4y3"),
    ],
)
def test_token_shapes_are_redacted_even_when_not_configured(text: str, secret: str) -> None:
    redacted = Redactor()(text)
    assert secret not in redacted and MASK in redacted


def test_a_terminal_gets_human_lines_and_configuring_twice_keeps_one_handler(
    root_logging: None,
) -> None:
    stream = Terminal()
    configure_logging(None, stream=stream)
    configure_logging(None, stream=stream)
    logging.getLogger("salon.test").info("hello %s", "staff")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("INFO salon.test: hello staff")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_short_values_are_not_treated_as_secrets() -> None:
    settings = parse_settings(
        {"institution": {"name": "M"}, "accounts": {"x": {"api_key": "abc"}}}, environ={}
    )
    assert "abc" not in secret_values(settings)
