"""Configuration errors: every problem carries the path of the setting at fault."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists ``path: message`` lines."""

    def __init__(self, problems: list[str], *, file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        where = f"{file}: " if file else ""
        super().__init__(where + "; ".join(problems))


class ConfigFileMissing(ConfigError):
    """The configuration file does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(
            [f"no configuration file at {path} (create one with `salon init {path}`)"], file=None
        )
        self.path = path
