"""Mastodon status HTML to the plain text the author typed.

Mastodon serves ``content`` as sanitised HTML: paragraphs (``<p>``), line breaks (``<br>``),
links whose visible text is split into ``invisible``/``ellipsis`` spans, mention and hashtag
links, and (4.4+) a ``quote-inline`` fallback paragraph that the server adds to quote posts.
This module turns that back into text: paragraphs become blank-line separated, ``<br>`` a line
break, links their full text, entities are unescaped, and every other character (emoji,
right-to-left marks, zero-width joiners) passes through untouched.
"""

from __future__ import annotations

from html.parser import HTMLParser

_PARAGRAPHS = frozenset(
    {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
)
_LINES = frozenset({"li", "div", "tr", "dt", "dd"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "col"})
_DROP_CLASSES = frozenset({"quote-inline"})  # server-added fallback, not the author's words


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pending = 0  # newlines owed before the next text (block boundaries)
        self._skip_depth = 0  # > 0 while inside an element we drop

    def _owe(self, newlines: int) -> None:
        if self.parts:
            self._pending = max(self._pending, newlines)

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._pending:
            self.parts.append("\n" * self._pending)
            self._pending = 0
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        classes = set()
        for name, value in attrs:
            if name == "class" and value:
                classes.update(value.split())
        if classes & _DROP_CLASSES and tag not in _VOID:
            self._skip_depth = 1
            return
        if tag == "br":
            # A line break is content in its own right, even at the very start.
            if self._pending:
                self.parts.append("\n" * self._pending)
                self._pending = 0
            self.parts.append("\n")
        elif tag in _PARAGRAPHS:
            self._owe(2)
        elif tag in _LINES:
            self._owe(1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)
        else:  # <p/> and friends: an empty element
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= 1
            return
        if tag in _PARAGRAPHS:
            self._owe(2)
        elif tag in _LINES:
            self._owe(1)

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._emit(data)


def html_to_text(content: str) -> str:
    """Plain text of a Mastodon ``content`` HTML string (see the module docstring)."""
    if not content:
        return ""
    if "<" not in content and "&" not in content:
        return content
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)
