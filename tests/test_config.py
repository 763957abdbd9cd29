"""Configuration: the example validates; every kind of bad input names its path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.check import check_settings
from config.errors import ConfigError, ConfigFileMissing
from config.loader import load_settings, packaged_text, parse_settings

EXAMPLE = yaml.safe_load(packaged_text("example.yaml"))


def problems_for(data: dict, environ: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_settings(data, environ=environ or {})
    return info.value.problems


def test_example_config_is_valid_and_checks_clean() -> None:
    settings = parse_settings(EXAMPLE, environ={})
    assert len(settings.sources) == 5
    assert check_settings(settings) == []


def test_interval_below_floor_names_the_source_index() -> None:
    data = {
        **EXAMPLE,
        "sources": [*EXAMPLE["sources"][:2], {**EXAMPLE["sources"][2], "interval": 5}],
    }
    assert problems_for(data) == ["sources[2].interval: must be at least 30 s"]


def test_unknown_key_is_an_error_not_ignored() -> None:
    data = {**EXAMPLE, "outbox": {"dry_rum": True}}
    (problem,) = problems_for(data)
    assert problem.startswith("outbox.dry_rum: unknown setting")


def test_rule_with_bad_intent_and_missing_template() -> None:
    rules = [
        {"name": "a", "when": {"intent": "quesiton"}, "action": "alert"},
        {"name": "b", "action": "auto_reply"},
    ]
    found = problems_for({**EXAMPLE, "triage": {"rules": rules}})
    assert "triage.rules[0] (name 'a').when.intent: unknown intent 'quesiton'" in found[0]
    assert any(p.startswith("triage.rules[1]") and "template: required" in p for p in found)


def test_rule_with_unknown_template_is_named() -> None:
    rules = [{"name": "a", "action": "draft_reply", "template": "nope"}]
    (problem,) = problems_for({**EXAMPLE, "triage": {"rules": rules}})
    assert problem.startswith("triage.rules[0] (name 'a').template:") and "'nope'" in problem


def test_missing_secret_names_variable_but_never_values(tmp_path: Path) -> None:
    data = {**EXAMPLE, "accounts": {"x": {"bearer_token": "${SALON_X_TOKEN}"}}}
    (problem,) = problems_for(data, {"OTHER": "s3cr3t"})
    assert problem.startswith("accounts.x.bearer_token: environment variable SALON_X_TOKEN")
    secrets = tmp_path / "secrets.env"
    secrets.write_text("# comment\nSALON_X_TOKEN=from-file\n")
    settings = parse_settings(data, environ={"SALON_SECRETS_FILE": str(secrets)})
    assert settings.accounts["x"]["bearer_token"] == "from-file"


def test_environment_overrides_database_url() -> None:
    settings = parse_settings(EXAMPLE, environ={"SALON_DATABASE_URL": "sqlite:///other.db"})
    assert settings.database.url == "sqlite:///other.db"


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileMissing) as info:
        load_settings(tmp_path / "nope.yaml")
    assert "salon init" in str(info.value) and "nope.yaml" in str(info.value)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("institution:\n  name: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "line" in info.value.problems[0]


def test_unknown_platform_and_feed_are_reported_by_check() -> None:
    sources = [
        {"name": "a", "platform": "myspace", "feed": "x"},
        {"name": "b", "platform": "replay", "feed": "firehose"},
        {"name": "c", "platform": "replay", "feed": "file", "options": {"pth": "x"}},
    ]
    settings = parse_settings({**EXAMPLE, "sources": sources, "triage": {"rules": []}}, environ={})
    found = check_settings(settings)
    assert any(p.startswith("sources[0].platform: unknown platform 'myspace'") for p in found)
    assert any(p.startswith("sources[1].feed: replay has no feed 'firehose'") for p in found)
    assert any(p.startswith("sources[2].options.path") for p in found)
    assert any(p.startswith("sources[2].options.pth") for p in found)


def test_empty_taxonomy_is_reported(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text("topics: {}\n")
    settings = parse_settings({**EXAMPLE, "nlp": {"taxonomy_file": str(taxonomy)}}, environ={})
    (problem,) = check_settings(settings)
    assert problem.startswith("nlp.taxonomy_file:") and "empty" in problem


def test_template_using_unknown_fact_is_reported() -> None:
    data = {**EXAMPLE, "templates": {**EXAMPLE["templates"], "x": {"text": "{{ facts.nope }}"}}}
    found = check_settings(parse_settings(data, environ={}))
    assert found == ["templates.x: uses unknown facts nope"]
