"""Hostile configuration: random YAML-ish structures, and the example configuration mutated at
random, go through ``parse_settings`` (and ``salon check``'s deeper checks): the result is
valid settings or a ``ConfigError`` whose every problem says where it is, never a traceback;
and a secret substituted for a ``${VAR}`` anywhere never shows in a problem."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from bot.check import check_settings
from config.errors import ConfigError
from config.loader import load_settings, packaged_text, parse_settings
from config.settings import Settings
from tests.hostile.strategies import HOSTILE, apply, hostile_text, mutations, paths

EXAMPLE: dict[str, Any] = yaml.safe_load(packaged_text("example.yaml"))
SECRET = "s3cr3t-VALUE-4f9a2c"  # what a ${VAR} reference resolves to in these tests

# what YAML can produce: scalars of every type (dates too), keys that are not strings
yaml_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.dates(),
    hostile_text,
    st.sampled_from(["${SALON_FUZZ}", "${NOT_SET}", "10:00-18:00", ">= 0.5", "mon", "x"]),
)
yaml_key = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.dates())
yamlish = st.recursive(
    yaml_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_key, inner, max_size=4),
    max_leaves=12,
)
section = st.sampled_from(sorted(EXAMPLE))


def parse(data: Any) -> Settings | ConfigError:
    """Settings, or the ConfigError (any other exception fails the test)."""
    try:
        settings = parse_settings(data, environ={"SALON_FUZZ": SECRET})
    except ConfigError as exc:
        return exc
    return settings


WHOLE_FILE = {
    "the file must contain a mapping of settings",
    "the file is not UTF-8 text",
    "the file is nested too deeply",
    "the settings are nested too deeply",
}


def assert_clear(error: ConfigError) -> None:
    """Every problem is one readable line that names where it is (a setting's path, a line, or
    the whole file), and shows no secret."""
    assert error.problems, "a ConfigError must list its problems"
    for problem in error.problems:
        assert isinstance(problem, str) and problem.strip()
        assert "\n" not in problem and "Traceback" not in problem
        assert ": " in problem or problem in WHOLE_FILE, f"no path in {problem!r}"
        assert SECRET not in problem, f"secret shown in {problem!r}"
    assert SECRET not in str(error)


def assert_checked(settings: Settings) -> None:
    """``salon check``'s deeper checks list problems (with paths, without secrets) or none."""
    for problem in check_settings(settings):
        assert isinstance(problem, str) and ": " in problem, problem
        assert SECRET not in problem, f"secret shown in {problem!r}"


def test_the_example_configuration_is_valid() -> None:
    """The starting point of the mutations is a valid configuration."""
    settings = parse(EXAMPLE)
    assert isinstance(settings, Settings)
    assert check_settings(settings) == []


@HOSTILE
@given(data=yamlish)
def test_any_yaml_document_gives_settings_or_a_config_error(data: Any) -> None:
    outcome = parse(data)
    if not isinstance(data, dict):
        assert isinstance(outcome, ConfigError)
        assert outcome.problems == ["the file must contain a mapping of settings"]
    elif isinstance(outcome, ConfigError):
        assert_clear(outcome)


@HOSTILE
@given(name=section, value=yamlish)
def test_any_value_for_a_section_gives_settings_or_a_config_error(name: str, value: Any) -> None:
    outcome = parse({**EXAMPLE, name: value})
    if isinstance(outcome, ConfigError):
        assert_clear(outcome)
    else:
        assert_checked(outcome)


@HOSTILE
@given(data=st.data())
def test_the_example_mutated_gives_settings_or_a_config_error(data: st.DataObject) -> None:
    changes = data.draw(mutations(EXAMPLE, most=4), label="changes")
    outcome = parse(apply(EXAMPLE, changes))
    if isinstance(outcome, ConfigError):
        assert_clear(outcome)
    else:
        assert_checked(outcome)


def _strings(doc: Any) -> list[tuple[Any, ...]]:
    return [p for p in paths(doc) if p and isinstance(_at(doc, p), str)]


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


STRING_PATHS = _strings(EXAMPLE)


@HOSTILE
@given(where=st.lists(st.sampled_from(STRING_PATHS), min_size=1, max_size=3, unique=True))
def test_a_secret_anywhere_in_the_file_never_shows_in_a_problem(
    where: list[tuple[Any, ...]],
) -> None:
    """``${SALON_FUZZ}`` put in place of any string setting: whatever the validators say about
    the value, they never repeat it."""
    doc = apply(EXAMPLE, [])
    for path in where:
        parent = _at(doc, path[:-1])
        parent[path[-1]] = "${SALON_FUZZ}"
    outcome = parse(doc)
    if isinstance(outcome, ConfigError):
        assert_clear(outcome)
    else:
        assert SECRET in outcome.substituted_values
        assert_checked(outcome)


def test_a_secret_in_a_setting_that_rejects_it_is_not_repeated() -> None:
    """The time zone validator names the value it rejects; a secret is masked."""
    outcome = parse({**EXAMPLE, "institution": {"name": "M", "timezone": "${SALON_FUZZ}"}})
    assert isinstance(outcome, ConfigError)
    assert_clear(outcome)
    assert any(p.startswith("institution.timezone: unknown time zone") for p in outcome.problems)


def test_yaml_dates_and_odd_keys_are_config_errors() -> None:
    """Keys YAML reads as numbers, nulls or dates name their place in the file."""
    odd: dict[Any, Any] = {**EXAMPLE, 7: "x", None: [], date(2026, 1, 1): datetime(2026, 1, 1)}
    outcome = parse(odd)
    assert isinstance(outcome, ConfigError)
    assert_clear(outcome)


YAML_PIECES = (
    "institution:\n  name: M\n",
    "sources:\n  - {name: a, platform: replay, feed: file}\n",
    "a: &x [1, 2]\nb: *x\n",
    "? [complex, key]\n: value\n",
    "!!python/object:os.system ['id']\n",
    "key: !!binary aGVsbG8=\n",
    "%YAML 1.1\n---\n",
    "\t- tab\n",
    "a: 1\na: 2\n",
    "x: 2026-13-45\n",
    "x: 0o777\ny: 1e400\n",
    "'unclosed\n",
    "{[}]\n",
    "\ufeff",
    "\x00",
)


@HOSTILE
@given(parts=st.lists(st.one_of(st.sampled_from(YAML_PIECES), hostile_text), max_size=5))
@example(parts=["x: 2026-13-45\n"])  # PyYAML raises a plain ValueError for this date
@example(parts=["\x00"])  # a character YAML refuses: no line, but where in the file
def test_any_file_gives_settings_or_a_config_error(tmp_path_factory: Any, parts: list[str]) -> None:
    path = tmp_path_factory.mktemp("yaml") / "salon.yaml"
    path.write_bytes("".join(parts).encode("utf-8", "surrogatepass"))
    try:
        load_settings(path, environ={})
    except ConfigError as exc:
        assert_clear(exc)


def _alias_bomb(levels: int) -> str:
    """``levels`` lists of nine aliases of the list before: 9**levels strings when expanded."""
    lines = ["institution: {name: M}", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\naccounts: {{bomb: {{x: *a{levels - 1}}}}}\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (_alias_bomb(9), "the settings expand to"),  # 387 million values: refused at once
        ("a: " + "[" * 1000 + "]" * 1000, "the file is nested too deeply"),
        ("institution: {name: M}\nloop: &x [*x]\n", "the settings are nested too deeply"),
    ],
    ids=["alias-bomb", "deep-nesting", "alias-cycle"],
)
def test_files_built_to_exhaust_the_loader_are_refused(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "salon.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert_clear(caught.value)
    assert caught.value.problems[0].startswith(problem)
