"""Reply templates: sandboxed Jinja2 filled from the facts base; user text is only ever data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.errors import RuleError
from config.settings import Fact, TemplateSettings

_ENV = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
# what a template's own code can raise besides Jinja's errors: ``{{ 1/0 }}``, a ``range`` over
# the sandbox's limit (OverflowError), a macro that calls itself, a filter given the wrong type
RENDER_ERRORS = (TemplateError, ArithmeticError, RecursionError, TypeError, ValueError, LookupError)


@dataclass(frozen=True, slots=True)
class RenderedReply:
    """A reply text, and the facts it used that have expired (such a reply is not auto-sent)."""

    text: str
    language: str
    expired_facts: tuple[str, ...] = ()


class ReplyBook:
    """All templates, compiled once, with the facts they may quote."""

    def __init__(self, templates: dict[str, TemplateSettings], facts: dict[str, Fact]) -> None:
        self.facts = facts
        self._compiled: dict[tuple[str, str], tuple[Template, set[str]]] = {}
        for name, template in templates.items():
            for language, text in {"en": template.text, **template.languages}.items():
                try:
                    self._compiled[(name, language)] = (_ENV.from_string(text), _facts_used(text))
                except TemplateError as exc:
                    raise RuleError(f"templates.{name} ({language}): {exc}") from None

    def facts_used(self, name: str) -> set[str]:
        """Facts any language of template ``name`` reads."""
        return {f for (n, _), (_, used) in self._compiled.items() if n == name for f in used}

    def has(self, name: str, language: str) -> bool:
        """Whether template ``name`` exists in ``language``."""
        return (name, language) in self._compiled

    def render(self, name: str, language: str, *, author: str, today: date) -> RenderedReply:
        """Fill template ``name`` in ``language`` (falls back to English)."""
        lang = language if (name, language) in self._compiled else "en"
        if (name, lang) not in self._compiled:
            raise RuleError(f"no template {name!r}")
        template, used = self._compiled[(name, lang)]
        expired = tuple(
            key
            for key in sorted(used)
            if key in self.facts
            and self.facts[key].valid_until is not None
            and self.facts[key].valid_until < today  # type: ignore[operator]
        )
        facts = {key: fact.value for key, fact in self.facts.items()}
        try:
            text = template.render(facts=facts, author=author)
        except RENDER_ERRORS as exc:
            raise RuleError(f"templates.{name} ({lang}): {exc}") from None
        return RenderedReply(text.strip(), lang, expired)


def _facts_used(text: str) -> set[str]:
    """Names of facts a template reads as ``facts.NAME``."""
    ast = _ENV.parse(text)
    used: set[str] = set()
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "facts":
            used.add(node.attr)
    return used
