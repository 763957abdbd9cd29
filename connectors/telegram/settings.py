"""Settings and feed options of the Telegram connector (credentials, identity, chats)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.base import ConnectorSettings

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


def normalize_handle(value: str) -> str:
    """A Telegram username without the ``@`` and in lower case (usernames ignore case)."""
    return value.strip().removeprefix("@").lower()


class TelegramSettings(ConnectorSettings):
    """Credentials and the institution's identity on Telegram.

    ``bot_token`` comes from @BotFather (``<bot id>:<secret>``). ``account_id`` /
    ``account_handle`` identify the institution's channel; posts sent as that channel (and
    its automatic forwards into the discussion group) are marked ``author.is_self``.
    """

    # validation errors must not echo the token back (pydantic shows inputs by default)
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    bot_token: SecretStr
    account_id: int | None = None
    account_handle: str | None = None
    bot_username: str | None = None
    base_url: str = "https://api.telegram.org/bot"
    timeout: float = Field(default=10.0, gt=0)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN.match(value.get_secret_value()):
            raise ValueError("must look like '<bot id>:<secret>' as @BotFather gives it")
        return value

    @field_validator("account_handle", "bot_username")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        return normalize_handle(value) if value else None

    @property
    def bot_id(self) -> int:
        """The bot's numeric id: the part of the token before the colon."""
        return int(self.bot_token.get_secret_value().split(":", 1)[0])


def updates_queue(bot_token: str) -> str | None:
    """The getUpdates queue a reader with ``bot_token`` consumes, named by the bot's id (not
    secret); None for a malformed token. The Bot API allows one getUpdates reader per bot."""
    if not _TOKEN.match(bot_token):
        return None
    return f"the getUpdates queue of Telegram bot {bot_token.split(':', 1)[0]}"


class UpdatesOptions(BaseModel):
    """Options of the ``updates`` feed (getUpdates over the bot's whole update queue).

    ``chats`` lists the chats to keep, by numeric id (``-100…``) or ``@username``: the
    institution's channel and its discussion group. Updates from other chats are skipped
    (and confirmed), so one bot token should feed exactly one ``updates`` source.
    """

    model_config = ConfigDict(extra="forbid")

    chats: list[int | str] = Field(min_length=1)
    channel_posts: bool = True  # keep posts of a listed channel (channel_post updates)
    automatic_forwards: bool = True  # keep the discussion group's copies of channel posts
    private_messages: bool = False  # keep direct messages to the bot
    page_size: int = Field(default=100, ge=1, le=100)

    @field_validator("chats")
    @classmethod
    def _chats(cls, value: list[int | str]) -> list[int | str]:
        out: list[int | str] = []
        for chat in value:
            if isinstance(chat, str):
                text = chat.strip()
                if re.fullmatch(r"-?\d+", text):
                    out.append(int(text))
                    continue
                handle = normalize_handle(text)
                if not re.fullmatch(r"[a-z][a-z0-9_]{3,31}", handle):
                    raise ValueError(f"{chat!r} is neither a chat id nor a @username")
                out.append(handle)
            else:
                out.append(chat)
        return out

    def keeps(self, chat_id: int, username: str | None) -> bool:
        """Whether a chat is one of the listed ones."""
        if chat_id in self.chats:
            return True
        return username is not None and normalize_handle(username) in self.chats
