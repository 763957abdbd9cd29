"""`salon check`: everything wrong with a configuration, each problem with its path."""

from __future__ import annotations

import difflib
from datetime import date

from pydantic import ValidationError

from bot.app import to_source
from bot.errors import RuleError
from bot.replies import ReplyBook
from config.loader import format_validation_error, masked
from config.settings import Settings, as_list, rule_path
from config.taxonomy import Taxonomy
from connectors.base import Capability, Connector
from connectors.errors import Unsupported
from connectors.registry import CONNECTORS, connector_class


def check_settings(settings: Settings) -> list[str]:
    """Problems pydantic cannot see: platforms, feeds, credentials, taxonomy, templates."""
    problems: list[str] = []
    classes: dict[str, type[Connector]] = {}
    readers: dict[str, str] = {}  # single-reader resource -> the source that reads it
    for index, spec in enumerate(settings.sources):
        where = f"sources[{index}]"
        try:
            cls = connector_class(spec.platform)
        except Unsupported as exc:
            problems.append(f"{where}.platform: {exc.message}")
            continue
        classes[spec.name] = cls
        source = to_source(spec)
        problems += [f"{where}.{p}" for p in cls.validate_source(source)]
        try:
            account = cls.Settings.model_validate(settings.accounts.get(spec.account_name, {}))
        except ValidationError as exc:
            problems += [f"accounts.{spec.account_name}.{p}" for p in format_validation_error(exc)]
            continue
        resource = cls.exclusive_reader(account, source) if spec.enabled else None
        if resource is not None and resource in readers:
            problems.append(
                f"{where}: sources {readers[resource]} and {spec.name!r} both read {resource}, "
                "which allows one reader; give each its own account (a Telegram bot per source)"
                " or poll both chats from one source"
            )
        elif resource is not None:
            readers[resource] = f"{spec.name!r} ({where})"
    problems += _check_staff_bot(settings, readers)
    problems += _check_rules(settings, classes)
    problems += _check_taxonomy(settings)
    return masked(list(dict.fromkeys(problems)), settings.substituted_values)


def _check_staff_bot(settings: Settings, readers: dict[str, str]) -> list[str]:
    """The staff bot reads its own getUpdates queue: no source may read the same bot's."""
    token = settings.staff.telegram.token
    if not token:
        return []
    from connectors.telegram.settings import updates_queue

    resource = updates_queue(token)
    if resource is None or resource not in readers:
        return []
    return [
        f"staff.telegram.token: the staff bot and source {readers[resource]} both read "
        f"{resource}, which allows one reader; create a separate bot for staff with @BotFather"
    ]


def _check_rules(settings: Settings, classes: dict[str, type[Connector]]) -> list[str]:
    problems: list[str] = []
    try:
        book = ReplyBook(settings.templates, settings.facts)
    except RuleError as exc:
        return [str(exc)]
    for name, template in settings.templates.items():
        missing = sorted(book.facts_used(name) - set(settings.facts))
        if missing:
            problems.append(f"templates.{name}: uses unknown facts {', '.join(missing)}")
            continue
        for language in ("en", *template.languages):  # fails for every post: say so now
            try:
                book.render(name, language, author="someone", today=date.today())
            except RuleError as exc:
                problems.append(f"{exc} (filled in for a sample post)")
    platforms = sorted(CONNECTORS)
    topics = _topic_keys(settings)
    for index, rule in enumerate(settings.triage.rules):
        where = rule_path(index, rule.name)
        for path, cond in rule.when.walk():
            for name in as_list(cond.source):
                if name not in {s.name for s in settings.sources}:
                    known = ", ".join(s.name for s in settings.sources) or "none configured"
                    problems.append(
                        f"{where}.{path}.source: unknown source {name!r}; allowed: {known}"
                    )
            for name in as_list(cond.platform):
                if name not in platforms:
                    problems.append(
                        f"{where}.{path}.platform: unknown platform {name!r};"
                        f" allowed: {', '.join(platforms)}"
                    )
            if topics is not None:
                for field, names in (
                    ("topic", as_list(cond.topic)),
                    ("topic_score", cond.topic_score or {}),
                ):
                    problems += [
                        f"{where}.{path}.{field}: {_unknown_topic(name, topics)}"
                        for name in names
                        if name not in topics
                    ]
        if rule.action in ("auto_reply", "draft_reply") and rule.when.source is not None:
            for name in as_list(rule.when.source):
                cls = classes.get(name)
                if cls is not None and Capability.REPLY not in cls.capabilities:
                    problems.append(
                        f"{where}.action: source {name!r} ({cls.platform}) cannot reply;"
                        " use alert to tell staff instead"
                    )
    return problems


def _topic_keys(settings: Settings) -> set[str] | None:
    """Topic keys and groups rules may name; None if the taxonomy cannot be read (reported
    under nlp.taxonomy_file)."""
    from config.errors import ConfigError
    from config.taxonomy import default_taxonomy, load_taxonomy

    path = settings.nlp.taxonomy_file
    try:
        taxonomy = load_taxonomy(path) if path else default_taxonomy()
    except (ConfigError, ValueError, OSError):
        return None
    return set(taxonomy.topics) | set(taxonomy.groups())


def _unknown_topic(name: str, topics: set[str]) -> str:
    close = difflib.get_close_matches(name, topics, n=3)
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    groups = ", ".join(sorted(t for t in topics if "." not in t))
    return (
        f"unknown topic {name!r}; {hint}allowed: a topic of the taxonomy"
        f" (nlp.taxonomy_file) or a group: {groups}"
    )


def _check_taxonomy(settings: Settings) -> list[str]:
    path = settings.nlp.taxonomy_file
    if path is None:
        return _check_topic_model(settings, None)
    from config.errors import ConfigError
    from config.taxonomy import load_taxonomy

    if not path.is_file():
        return [f"nlp.taxonomy_file: no file at {path}"]
    try:
        taxonomy = load_taxonomy(path)
    except ConfigError as exc:
        return [f"nlp.taxonomy_file: {p}" for p in exc.problems]
    except (ValueError, OSError) as exc:
        return [f"nlp.taxonomy_file: {exc}"]
    return _check_topic_model(settings, taxonomy)


def _check_topic_model(settings: Settings, taxonomy: Taxonomy | None) -> list[str]:
    folder = settings.nlp.topic_model
    if folder is None:
        return []
    from config.taxonomy import default_taxonomy
    from nlp.errors import NlpError
    from nlp.topic_model import TopicModel

    try:
        model = TopicModel.load(folder)
    except (NlpError, OSError, ValueError, KeyError) as exc:
        return [f"nlp.topic_model: {exc}"]
    keys = (taxonomy or default_taxonomy()).topics
    unknown = sorted(set(model.topics) - set(keys))
    if unknown:
        return [
            f"nlp.topic_model: the model knows topic(s) {', '.join(unknown)} that the taxonomy "
            "no longer has; retrain it with `salon nlp train --task topics`"
        ]
    return []
