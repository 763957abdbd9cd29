"""Mastodon status HTML to the plain text the author typed.

Mastodon serves ``content`` as sanitised HTML: paragraphs (``<p>``), line breaks (``<br>``),
links whose visible text is split into ``invisible``/``ellipsis`` spans, mention and hashtag
links, and (4.4+) a ``quote-inline`` fallback paragraph that the server adds to quote posts.
This module turns that back into text: paragraphs become blank-line separated, ``<br>`` a line
break, links their full text, entities are unescaped, and every other character (emoji,
right-to-left marks, zero-width joiners) passes through untouched.
"""

from __future__ import annotations

import html
import re

_PARAGRAPHS = frozenset(
    {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
)
_LINES = frozenset({"li", "div", "tr", "dt", "dd"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "col"})
_DROP_CLASSES = frozenset({"quote-inline"})  # server-added fallback, not the author's words
# One token of sanitised HTML: a tag (attribute values may hold ">"), a comment or declaration,
# a run of text, or a "<" that starts no tag (text, as browsers read it).
_TOKEN = re.compile(r"""<(/?)([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|<![^>]*>|([^<]+)|<""")
_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


def _dropped(attrs: str) -> bool:
    """Whether a tag's attributes give it a class whose content is not the author's."""
    for found in _CLASS.finditer(attrs):
        value = next(group for group in found.groups() if group is not None)
        if _DROP_CLASSES.intersection(value.split()):
            return True
    return False


def html_to_text(content: str) -> str:
    """Plain text of a Mastodon ``content`` HTML string (see the module docstring)."""
    if not content:
        return ""
    if "<" not in content and "&" not in content:
        return content
    may_drop = any(name in content for name in _DROP_CLASSES)
    parts: list[str] = []
    pending = 0  # newlines owed before the next text (block boundaries)
    skip = 0  # > 0 while inside an element we drop
    for token in _TOKEN.finditer(content):
        closing, tag, attrs, text = token.groups()
        if tag is None:  # text, a stray "<", or a comment / declaration
            data = token.group() if text is None else text
            if skip or data.startswith("<!"):
                continue
            if "&" in data:
                data = html.unescape(data)
            if pending:
                parts.append("\n" * pending)
                pending = 0
            parts.append(data)
            continue
        tag = tag.lower()
        opens = not closing and tag not in _VOID and not attrs.endswith("/")  # <p/> is empty
        if skip:
            skip += 1 if opens else -1 if closing else 0
            continue
        if opens and may_drop and _dropped(attrs):
            skip = 1
            continue
        if tag == "br":  # a line break is content in its own right, even at the very start
            if not closing:
                parts.append("\n" * pending + "\n")
                pending = 0
            continue
        owed = 2 if tag in _PARAGRAPHS else 1 if tag in _LINES else 0
        if owed and parts:
            pending = max(pending, owed)
    return "".join(parts)
