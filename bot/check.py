"""`salon check`: everything wrong with a configuration, each problem with its path."""

from __future__ import annotations

from pydantic import ValidationError

from bot.app import to_source
from bot.errors import RuleError
from bot.replies import ReplyBook
from config.loader import format_validation_error
from config.settings import Settings
from config.taxonomy import Taxonomy
from connectors.base import Capability, Connector
from connectors.errors import Unsupported
from connectors.registry import connector_class


def check_settings(settings: Settings) -> list[str]:
    """Problems pydantic cannot see: platforms, feeds, credentials, taxonomy, templates."""
    problems: list[str] = []
    classes: dict[str, type[Connector]] = {}
    for index, spec in enumerate(settings.sources):
        where = f"sources[{index}]"
        try:
            cls = connector_class(spec.platform)
        except Unsupported as exc:
            problems.append(f"{where}.platform: {exc.message}")
            continue
        classes[spec.name] = cls
        problems += [f"{where}.{p}" for p in cls.validate_source(to_source(spec))]
        try:
            cls.Settings.model_validate(settings.accounts.get(spec.account_name, {}))
        except ValidationError as exc:
            problems += [f"accounts.{spec.account_name}.{p}" for p in format_validation_error(exc)]
    problems += _check_rules(settings, classes)
    problems += _check_taxonomy(settings)
    return list(dict.fromkeys(problems))


def _check_rules(settings: Settings, classes: dict[str, type[Connector]]) -> list[str]:
    problems: list[str] = []
    try:
        book = ReplyBook(settings.templates, settings.facts)
    except RuleError as exc:
        return [str(exc)]
    for name in settings.templates:
        missing = sorted(book.facts_used(name) - set(settings.facts))
        if missing:
            problems.append(f"templates.{name}: uses unknown facts {', '.join(missing)}")
    replying = [
        (i, rule)
        for i, rule in enumerate(settings.triage.rules)
        if rule.action in ("auto_reply", "draft_reply")
    ]
    for index, rule in replying:
        sources = rule.when.source
        names = [sources] if isinstance(sources, str) else sources or list(classes)
        for name in names:
            cls = classes.get(name)
            if cls is None and rule.when.source is not None:
                problems.append(f"triage.rules[{index}].when.source: no source named {name!r}")
            elif (
                cls is not None
                and rule.when.source is not None
                and (Capability.REPLY not in cls.capabilities)
            ):
                problems.append(
                    f"triage.rules[{index}].action: source {name!r} ({cls.platform}) cannot reply"
                )
    return problems


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
