"""`salon check` refuses two getUpdates readers of one Telegram bot (the Bot API allows one)."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from bot.check import check_settings
from config.loader import packaged_text, parse_settings
from connectors.base import Source
from connectors.telegram import TelegramConnector
from tests.connectors.test_telegram_replay import CHANNEL_ID, GROUP_ID, TOKEN, settings

EXAMPLE = yaml.safe_load(packaged_text("example.yaml"))
SECRET = TOKEN.split(":")[1]
OTHER_TOKEN = "7000000002:OTHER_TOKEN_PLACEHOLDER_0123456789"


def telegram_source(name: str, account: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "platform": "telegram",
        "feed": "updates",
        "account": account,
        "options": {"chats": [GROUP_ID]},
        **extra,
    }


def problems(
    sources: list[dict[str, Any]], accounts: dict[str, str], staff_token: str | None = None
) -> list[str]:
    """``salon check`` on the example configuration with these Telegram sources and bots."""
    staff = copy.deepcopy(EXAMPLE.get("staff") or {})  # the example's staff, with this bot
    staff.setdefault("telegram", {})["token"] = staff_token
    data = {
        **EXAMPLE,
        "accounts": {name: {"bot_token": token} for name, token in accounts.items()},
        "sources": sources,
        "staff": staff,
    }
    found = check_settings(parse_settings(data, environ={}))
    for problem in found:
        assert SECRET not in problem, "a bot token leaked into a check message"
    return found


def test_only_the_updates_feed_of_a_bot_is_a_single_reader() -> None:
    account = settings()
    reader = TelegramConnector.exclusive_reader(account, Source(name="a", feed="updates"))
    assert reader == "the getUpdates queue of Telegram bot 7000000001"
    assert TelegramConnector.exclusive_reader(account, Source(name="a", feed="other")) is None


def test_two_sources_on_one_bot_are_refused_naming_both() -> None:
    sources = [
        telegram_source("tg-group", "bot-a"),
        telegram_source("tg-channel", "bot-b", options={"chats": [CHANNEL_ID]}),
    ]
    # two accounts holding the same token are still one bot
    (problem,) = problems(sources, {"bot-a": TOKEN, "bot-b": TOKEN})
    assert problem.startswith("sources[1]: ")
    assert "'tg-group' (sources[0])" in problem and "'tg-channel'" in problem
    assert "Telegram bot 7000000001" in problem and "one reader" in problem


def test_sources_on_different_bots_or_disabled_pass() -> None:
    sources = [telegram_source("tg-group", "bot-a"), telegram_source("tg-channel", "bot-b")]
    assert problems(sources, {"bot-a": TOKEN, "bot-b": OTHER_TOKEN}) == []
    sources[1] = telegram_source("tg-channel", "bot-a", enabled=False)
    assert problems(sources, {"bot-a": TOKEN}) == []


def test_the_staff_bot_may_not_be_a_sources_bot() -> None:
    sources = [telegram_source("tg-group", "telegram")]
    (problem,) = problems(sources, {"telegram": TOKEN}, staff_token=TOKEN)
    assert problem.startswith("staff.telegram.token: ")
    assert "'tg-group' (sources[0])" in problem and "@BotFather" in problem
    assert problems(sources, {"telegram": TOKEN}, staff_token=OTHER_TOKEN) == []
    assert problems(sources, {"telegram": TOKEN}, staff_token="not-a-token") == []
