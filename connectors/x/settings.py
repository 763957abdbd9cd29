"""Settings of the X connector (credentials, account identity) and the options of each feed.

Secrets are ``SecretStr``: they print as ``**********`` and validation errors never echo the
input (``hide_input_in_errors``), so a typo in the config cannot leak a token into a log.
"""

from __future__ import annotations

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from connectors.base import ConnectorSettings

OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


class Settings(ConnectorSettings):
    """Credentials and identity of the institution's X account.

    Reads use ``bearer_token`` (app-only) when it is set, else the OAuth 1.0a user context.
    Replies need the user context (the four OAuth 1.0a keys) or, without them, a
    ``bearer_token`` that is an OAuth 2.0 *user* token with the ``tweet.write`` scope.
    """

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, populate_by_name=True)

    bearer_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    user_id: str | None = Field(default=None, pattern=r"^[0-9]{1,19}$")
    handle: str | None = Field(
        default=None,
        pattern=r"^@?[A-Za-z0-9_]{1,15}$",
        validation_alias=AliasChoices("handle", "username"),
    )
    timeout: float = Field(default=30.0, gt=0, le=300)

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        return value.removeprefix("@") if value else value

    @model_validator(mode="after")
    def _check_credentials(self) -> Settings:
        present = [key for key in OAUTH1_KEYS if getattr(self, key) is not None]
        if present and len(present) != len(OAUTH1_KEYS):
            missing = ", ".join(k for k in OAUTH1_KEYS if k not in present)
            raise ValueError(f"OAuth 1.0a keys go together; missing: {missing}")
        if self.bearer_token is None and not present:
            raise ValueError("set bearer_token, or consumer_key/consumer_secret/access_token/...")
        if self.user_id is None and self.handle is None:
            raise ValueError("set handle and/or user_id of the institution's own account")
        return self

    @property
    def has_user_context(self) -> bool:
        """True when the OAuth 1.0a user-context keys are configured."""
        return self.access_token is not None

    def secret_values(self) -> list[str]:
        """The raw secret strings (for log redaction only)."""
        values = [self.bearer_token, self.access_token_secret, self.consumer_secret]
        values += [self.access_token, self.consumer_key]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]

    def known_user_id(self) -> str | None:
        """The account id from the settings, or from an OAuth 1.0a access token (``<id>-...``)."""
        if self.user_id:
            return self.user_id
        if self.access_token is not None:
            prefix = self.access_token.get_secret_value().partition("-")[0]
            if prefix.isdigit():
                return prefix
        return None


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MentionsOptions(_Options):
    """``mentions``: posts that @-mention the account (``GET /2/users/:id/mentions``)."""

    page_size: int = Field(default=100, ge=5, le=100)
    include_retweets: bool = False


class SearchOptions(_Options):
    """``search``: recent search (last 7 days) for a configured query."""

    query: str = Field(min_length=1, max_length=4096)
    page_size: int = Field(default=100, ge=10, le=100)
    include_retweets: bool = False


class ConversationOptions(_Options):
    """``conversation``: replies in the threads of the account's recent posts.

    One recent-search query covers our own posts (``from:``) and up to ``max_conversations``
    threads (``conversation_id:``) active within ``lookback_hours``, cut to fit
    ``query_max_length`` (512 on self-serve plans, 4096 on Enterprise).
    """

    max_conversations: int = Field(default=10, ge=1, le=50)
    lookback_hours: float = Field(default=72.0, gt=0, le=168)
    page_size: int = Field(default=100, ge=10, le=100)
    query_max_length: int = Field(default=512, ge=128, le=4096)
