"""Load the YAML settings: resolve ``${VAR}`` secrets, apply ``SALON_*`` overrides, validate.

Precedence, highest first: ``SALON_DATABASE_URL`` / ``SALON_DRY_RUN`` / ``SALON_TELEGRAM_TOKEN``
/ ``SALON_METRICS_PORT`` / ``SALON_METRICS_HOST`` environment variables, then the file.
``${NAME}`` inside any string is replaced by the environment variable ``NAME`` or, failing
that, by ``NAME`` from the secrets file (``SALON_SECRETS_FILE``, KEY=VALUE lines). Secret values
are never put into error messages, and the substituted ones are kept aside
(``Settings.substituted_values``) so the logs can redact them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.errors import ConfigError, ConfigFileMissing
from config.settings import Settings, rule_path

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_VALUES = 1_000_000  # in the settings once YAML aliases are expanded ("billion laughs")


def read_secrets_file(path: Path) -> dict[str, str]:
    """Parse a KEY=VALUE secrets file (blank lines and ``#`` comments ignored)."""
    secrets: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise ConfigError([f"line {number}: expected KEY=VALUE"], file=str(path))
        secrets[key.strip()] = value.strip().strip("'\"")
    return secrets


def _resolve(
    node: Any, lookup: Mapping[str, str], path: str, problems: list[str], used: set[str]
) -> Any:
    if isinstance(node, dict):
        return {
            k: _resolve(v, lookup, f"{path}.{k}" if path else str(k), problems, used)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve(v, lookup, f"{path}[{i}]", problems, used) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in lookup:
                problems.append(
                    f"{path}: environment variable {name} is not set"
                    " (export it or add it to the secrets file)"
                )
                return ""
            used.add(lookup[name])
            return lookup[name]

        return REFERENCE.sub(substitute, node)
    return node


def _expanded_size(node: Any, seen: dict[int, int]) -> int:
    """How many values ``node`` holds with every YAML alias expanded; each shared list or
    mapping is measured once, so an alias bomb is measured without being expanded."""
    if not isinstance(node, dict | list):
        return 1
    known = seen.get(id(node))
    if known is None:
        children = node.values() if isinstance(node, dict) else node
        known = seen[id(node)] = 1 + sum(_expanded_size(child, seen) for child in children)
    return known


def format_validation_error(exc: ValidationError, data: Any = None) -> list[str]:
    """``sources[2].interval: must be at least 30 s`` lines, without echoing input values;
    a rule is also named from ``data``: ``triage.rules[3] (name 'vip').when.intent: ...``."""
    problems = []
    for error in exc.errors():
        parts: list[str] = []
        for item in error["loc"]:
            if isinstance(item, int):
                parts.append(f"[{item}]")
                if parts[:2] == ["triage", ".rules"] and len(parts) == 3:
                    parts[2] = rule_path(item, _rule_name(data, item)).removeprefix("triage.rules")
            elif item in ("not_", "any_", "all_"):
                parts.append(f".{str(item).rstrip('_')}")
            else:
                name = _key(item)
                parts.append(f".{name}" if parts else name)
        path = "".join(parts)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see `salon init` for all settings)"
        problems += [f"{path}: {line}" if path else line for line in message.split("\n")]
    return problems


def _key(item: Any) -> str:
    """A key as a path shows it: quoted when empty or not plain text (YAML allows any)."""
    text = str(item)
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def masked(problems: list[str], secrets: Iterable[str]) -> list[str]:
    """``problems`` with every secret of at least 4 characters replaced by ``***``: a
    validator may quote the value it rejects, and that value may come from a ``${VAR}``."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        problems = [problem.replace(secret, "***") for problem in problems]
    return problems


def _rule_name(data: Any, index: int) -> str | None:
    """The ``name`` of ``triage.rules[index]`` in raw settings ``data``, if it has one."""
    try:
        name = data["triage"]["rules"][index]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None


def parse_settings(
    data: Any, *, environ: Mapping[str, str] | None = None, file: str | None = None
) -> Settings:
    """Validate already-parsed YAML ``data``; raises :class:`ConfigError` with every problem."""
    env = dict(os.environ if environ is None else environ)
    if not isinstance(data, dict):
        raise ConfigError(["the file must contain a mapping of settings"], file=file)
    lookup = dict(env)
    secrets_path = env.get("SALON_SECRETS_FILE")
    if secrets_path:
        path = Path(secrets_path)
        if not path.is_file():
            raise ConfigError([f"SALON_SECRETS_FILE: no file at {path}"], file=file)
        lookup = {**read_secrets_file(path), **env}
    problems: list[str] = []
    used: set[str] = set()  # substituted values: secrets the logs must never show
    try:
        size = _expanded_size(data, {})
        if size > MAX_VALUES:
            raise ConfigError(
                [
                    f"the settings expand to {size:,} values through YAML aliases (&name, *name),"
                    f" more than {MAX_VALUES:,}: write them out without aliases"
                ],
                file=file,
            )
        resolved = _resolve(data, lookup, "", problems, used)
    except RecursionError:
        raise ConfigError(["the settings are nested too deeply"], file=file) from None
    if problems:
        raise ConfigError(problems, file=file)
    _apply_overrides(resolved, env)
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        problems = masked(format_validation_error(exc, resolved), used)
        raise ConfigError(problems, file=file) from None
    settings.remember_substituted(frozenset(used))
    return settings


def _apply_overrides(data: dict[str, Any], env: Mapping[str, str]) -> None:
    if env.get("SALON_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["SALON_DATABASE_URL"]
    if env.get("SALON_DRY_RUN"):
        flag = env["SALON_DRY_RUN"].strip().lower() in ("1", "true", "yes", "on")
        data.setdefault("outbox", {})["dry_run"] = flag
    if env.get("SALON_METRICS_PORT"):  # containers: set where /metrics and /healthz listen
        data.setdefault("service", {})["metrics_port"] = env["SALON_METRICS_PORT"]
    if env.get("SALON_METRICS_HOST"):
        data.setdefault("service", {})["metrics_host"] = env["SALON_METRICS_HOST"]
    if env.get("SALON_TELEGRAM_TOKEN"):
        staff = data.setdefault("staff", {})
        staff.setdefault("telegram", {})["token"] = env["SALON_TELEGRAM_TOKEN"]


def load_settings(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the YAML file at ``path``; relative paths inside resolve against it."""
    file = Path(path)
    if not file.is_file():
        raise ConfigFileMissing(str(file))
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a character YAML does not allow
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        if not mark and isinstance(position, int):
            where = f"character {position + 1}: "
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
        raise ConfigError([f"{where}{problem}"], file=str(file)) from None
    except UnicodeDecodeError:
        raise ConfigError(["the file is not UTF-8 text"], file=str(file)) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date such as 2026-13-45
        raise ConfigError([f"a value YAML cannot read: {exc}"], file=str(file)) from None
    except RecursionError:  # PyYAML composes nested lists recursively
        raise ConfigError(["the file is nested too deeply"], file=str(file)) from None
    settings = parse_settings(data if data is not None else {}, environ=environ, file=str(file))
    return _relative_to(settings, file.parent)


def _relative_to(settings: Settings, base: Path) -> Settings:
    """Resolve file paths in the settings against the config file's folder."""
    if settings.nlp.taxonomy_file and not settings.nlp.taxonomy_file.is_absolute():
        settings.nlp.taxonomy_file = base / settings.nlp.taxonomy_file
    if settings.nlp.topic_model and not settings.nlp.topic_model.is_absolute():
        settings.nlp.topic_model = base / settings.nlp.topic_model
    for source in settings.sources:
        path = source.options.get("path")
        if isinstance(path, str) and not path.startswith("demo:") and not Path(path).is_absolute():
            source.options["path"] = str(base / path)
    replay = settings.accounts.get("replay", {})
    if (
        isinstance(replay.get("replies_path"), str)
        and not Path(replay["replies_path"]).is_absolute()
    ):
        replay["replies_path"] = str(base / replay["replies_path"])
    url = settings.database.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        db_path = Path(url[len(prefix) :])
        if not db_path.is_absolute():
            settings.database.url = prefix + str(base / db_path)
    return settings


def packaged_text(name: str) -> str:
    """The text of a file shipped inside the ``config`` package (example and demo configs)."""
    return resources.files("config").joinpath(name).read_text(encoding="utf-8")


def demo_settings(out_dir: Path) -> Settings:
    """The example configuration as the demo runs it: a store and outputs inside ``out_dir``."""
    data = yaml.safe_load(packaged_text("example.yaml"))
    data["database"] = {"url": f"sqlite:///{out_dir / 'salon-demo.db'}"}
    data["digest"]["out_dir"] = str(out_dir)
    data["accounts"] = {"replay": {"replies_path": str(out_dir / "replies.jsonl")}}
    data["nlp"].pop("taxonomy_file", None)
    return parse_settings(data, environ={}, file="example.yaml")
