"""Outside text made safe to show: control and bidirectional-override characters removed,
shortened on a character budget. Shared by the staff bot and the digest renderings."""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]"
)


def clean(text: object) -> str:
    """``text`` without control characters (tabs and newlines kept) or bidi overrides."""
    return _UNSAFE.sub("", str(text))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with … if cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def one_line(text: object, limit: int) -> str:
    """``text`` cleaned, on one line (whitespace collapsed) and shortened (not escaped)."""
    return shorten(" ".join(clean(text).split()), limit)
