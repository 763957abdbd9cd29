"""Hypothesis strategies for hostile input (no tests here).

- :data:`hostile_text`: huge strings, lone surrogates (what a JSON ``\\ud800`` escape decodes
  to), zero-width and bidi controls, HTML and Telegram markup, template syntax, SQL-looking
  text, control characters, emoji sequences, and random Unicode;
- :data:`hostile_value`: a value of any JSON type (wrong types for a field), including
  :class:`Deep` nesting that :func:`dumps` writes without recursing;
- :func:`mutations`: one to a few changes to a recorded payload (fields deleted, replaced by a
  wrong type or a hostile string, unknown fields added), made by :func:`apply`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: the settings of every property test in this folder: few examples (SALON_HOSTILE_EXAMPLES
#: asks for more, for a longer hunt), no deadline (CI machines are shared), no example database
#: written into the working tree
HOSTILE = settings(
    max_examples=int(os.environ.get("SALON_HOSTILE_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SURROGATES = ("\ud800", "\udfff", "\udc80")
HUGE = "Ünïcødé 🏛️ مرحبا " * 6000  # about 100,000 characters
TEMPLATE_SYNTAX = (
    "{{ facts }}",
    "{{ author }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{# comment #}",
    "{% raw %}",
    "{{",
    "}}",
    "{%",
)
MARKUP = (
    "<b>bold</b>",
    "<i>unclosed",
    "</pre>",
    "<a href='javascript:alert(1)'>x</a>",
    "<script>alert(1)</script>",
    "&amp; &lt; & &#x0; &bogus;",
    "*bold* _italic_ `code` ```pre``` [link](tg://user?id=1) ||spoiler||",
    "<tg-spoiler>s</tg-spoiler>",
    "@everyone @channel #hashtag",
)
SQL = (
    "'; DROP TABLE post; --",
    '" OR 1=1 --',
    "Robert'); DROP TABLE Students;--",
    "1; UPDATE outboxitem SET state='queued'",
    "%' AND 1=0 UNION SELECT token FROM secrets --",
)
CONTROL = ("\x00", "\x1b[31mred\x1b[0m", "\r\n", "\t", "\x7f", "\u0085", "\u2028\u2029")
EMOJI = ("👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "e\u0301\u0301\u0301", "ﷺ", "𒐫")
PIECES: tuple[str, ...] = (
    *SURROGATES,
    *TEMPLATE_SYNTAX,
    *MARKUP,
    *SQL,
    *CONTROL,
    *EMOJI,
    ZERO_WIDTH,
    BIDI,
    "\u202eevil.exe\u202c",
    "stop",
    "",
    " ",
    "@lumenmuseum",
)


def _huge(length: int) -> str:
    return HUGE[:length]


def texts(huge: int = len(HUGE)) -> st.SearchStrategy[str]:
    """Hostile strings; the huge one cut to ``huge`` characters."""
    return st.one_of(
        st.sampled_from(PIECES),
        st.text(max_size=40),
        st.lists(
            st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=6
        ).map("".join),
        st.just(huge).map(_huge),  # not st.just(HUGE): its repr would be 100 kB
    )


hostile_text = texts()
"""A string a platform (or a user of it) might send to break us."""


def valid(text: str) -> str:
    """``text`` with lone surrogates replaced: valid Unicode, what a store keeps as is."""
    return text.encode("utf-8", "replace").decode("utf-8")


valid_text: st.SearchStrategy[str] = hostile_text.map(valid)
"""Hostile text that is valid Unicode."""


@dataclass(frozen=True)
class Deep:
    """A ``depth``-deep nest of lists or objects, written by :func:`dumps` as plain text
    (a real ``json.dumps`` of 5,000 levels would itself fail)."""

    depth: int
    kind: str = "list"

    def json(self) -> str:
        """The nest as JSON text."""
        if self.kind == "list":
            return "[" * self.depth + "]" * self.depth
        return '{"a":' * self.depth + "null" + "}" * self.depth


scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    hostile_text,
)
hostile_value: st.SearchStrategy[Any] = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), scalars, max_size=3),
    st.builds(Deep, st.sampled_from([40, 300, 5000]), st.sampled_from(["list", "dict"])),
)
"""A value of any type, for a field that expects one particular type."""


def dumps(doc: Any) -> str:
    """``doc`` as JSON text (NaN and infinities as Python writes them, :class:`Deep` nests
    spliced in as text, lone surrogates as ``\\ud800`` escapes, as JSON allows)."""
    deep: list[Deep] = []

    def placeholder(value: Any) -> str:
        if not isinstance(value, Deep):
            raise TypeError(f"cannot write {type(value).__name__}")
        deep.append(value)
        return f"@@deep-{len(deep) - 1}@@"

    text = json.dumps(doc, default=placeholder)
    for index, nest in enumerate(deep):
        text = text.replace(f'"@@deep-{index}@@"', nest.json(), 1)
    return text


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``doc`` (dict keys and list indexes), the root ``()`` first."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from paths(value, (*prefix, index))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@dataclass(frozen=True)
class Mutation:
    """One hostile change at ``path``: ``delete`` it, ``set`` it to ``value``, or ``add`` the
    key ``value[0]`` with the value ``value[1]`` to the object there."""

    path: tuple[Any, ...]
    change: str
    value: Any = None

    def __repr__(self) -> str:  # short: a huge string would drown the failing example
        shown = repr(self.value)
        shown = shown if len(shown) <= 120 else f"{shown[:100]}... ({len(shown)} chars)"
        return f"Mutation({self.path!r}, {self.change!r}, {shown})"

    def apply(self, doc: Any) -> Any:
        """``doc`` changed in place (or the new document, when the root is replaced); a path
        that an earlier change removed (hypothesis shrinks changes one by one) is left out."""
        if not self.path:
            return self.value
        try:
            parent, key = _get(doc, self.path[:-1]), self.path[-1]
            if self.change == "delete":
                del parent[key]
            elif self.change == "add":
                parent[key][self.value[0]] = self.value[1]
            else:
                parent[key] = self.value
        except (KeyError, IndexError, TypeError):
            pass
        return doc


def apply(doc: Any, changes: list[Mutation]) -> Any:
    """A copy of ``doc`` with ``changes`` made in order."""
    doc = copy.deepcopy(doc)
    for change in changes:
        doc = change.apply(doc)
    return doc


@st.composite
def mutations(draw: st.DrawFn, doc: Any, *, most: int = 3, root: bool = False) -> list[Mutation]:
    """1 to ``most`` hostile changes to ``doc`` (``root``: the whole document may be
    replaced too); :func:`apply` makes them."""
    doc = copy.deepcopy(doc)
    out: list[Mutation] = []
    for _ in range(draw(st.integers(1, most))):
        where = [p for p in paths(doc) if p or root]
        if not where:
            break
        path = draw(st.sampled_from(where))
        current = _get(doc, path)
        change = draw(st.sampled_from(["delete", "set", "text", "add"]) if path else st.just("set"))
        if change == "delete":
            mutation = Mutation(path, "delete")
        elif change == "add" and isinstance(current, dict):
            key = draw(st.sampled_from(["extra", "id", "text", ""]))
            mutation = Mutation(path, "add", (key, draw(hostile_value)))
        elif change in ("text", "add") and isinstance(current, str):
            mutation = Mutation(path, "set", draw(hostile_text))
        else:
            mutation = Mutation(path, "set", draw(hostile_value))
        doc = mutation.apply(doc)
        out.append(mutation)
    return out
