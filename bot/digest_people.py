"""How the digest names people: their handle, or a stable pseudonym ("Visitor 4F2A9C").

A pseudonym is an HMAC-SHA256 of the author's platform and account id (never the handle, which
can change) keyed with ``digest.pseudonym_secret``: the same person gets the same pseudonym
every week, and without the secret nobody can tell who it is by hashing known handles. When
pseudonymising, the ``@handles`` quoted in post texts are replaced too (by the pseudonym of
the author with that handle on that platform, else by ``@someone``); our own accounts keep
their handles (``institution.handles``). A link to a post is left out when it names its author
(``x.com/<handle>/status/…``, ``mastodon.social/@<handle>/…``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Author

#: ``@handle``, ``@user@instance.social`` (Mastodon) or ``@name.bsky.social`` (Bluesky)
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_](?:[\w.\-]*[\w])?(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
DIGITS = 6  # hex digits: 16.7 million pseudonyms, collisions unlikely in one community
UNKNOWN = "@someone"


def mentions(text: str) -> list[str]:
    """The handles ``@mentioned`` in ``text``, lower-cased, in order."""
    return [m.lower() for m in MENTION.findall(text)]


def pseudonym(platform: str, account_id: str, secret: str) -> str:
    """The stable pseudonym of the account ``account_id`` on ``platform``."""
    mac = hmac.new(secret.encode(), f"{platform}:{account_id}".encode(), hashlib.sha256)
    return f"Visitor {mac.hexdigest()[:DIGITS].upper()}"


class Namer:
    """Names authors in the digest as handles, or as pseudonyms if ``pseudonymise``."""

    def __init__(
        self, pseudonymise: bool = False, secret: str = "", own_handles: Iterable[str] = ()
    ) -> None:
        self.pseudonymise = pseudonymise
        self.secret = secret
        own = [h.lstrip("@").lower() for h in own_handles]
        self.own = {*own, *(h.split("@")[0] for h in own)}  # lumen@museum.social: also @lumen
        # (platform, lower-case handle) -> what replaces "@handle" in a quoted text
        self._by_handle: dict[tuple[str, str], str] = {}

    def name(self, author: Author) -> str:
        """How ``author`` appears in the digest."""
        if not self.pseudonymise or author.is_self:
            return author.handle
        return pseudonym(author.platform, author.platform_id, self.secret)

    def url(self, author: Author, url: str | None) -> str | None:
        """``url``, unless pseudonymising and it names the author (``x.com/<handle>/…``)."""
        if url is None or not self.pseudonymise or author.is_self:
            return url
        local = author.handle.lower().lstrip("@").split("@")[0]
        return None if local and local in url.lower() else url

    def learn_mentions(self, session: Session, posts: Iterable[tuple[str, str]]) -> None:
        """Look up, in one query, the authors ``@mentioned`` in ``posts`` (platform, text)."""
        if not self.pseudonymise:
            return
        wanted = {(platform, handle) for platform, text in posts for handle in mentions(text)}
        wanted -= set(self._by_handle)
        if not wanted:
            return
        rows = session.scalars(
            select(Author).where(
                tuple_(col(Author.platform), func.lower(col(Author.handle))).in_(sorted(wanted))
            )
        )
        for author in rows:
            shown = "@" + author.handle if author.is_self else self.name(author)
            self._by_handle[(author.platform, author.handle.lower())] = shown

    def text(self, platform: str, text: str) -> str:
        """``text`` with its ``@handles`` pseudonymised (unchanged unless pseudonymising)."""
        if not self.pseudonymise:
            return text

        def swap(match: re.Match[str]) -> str:
            handle = match.group(1).lower()
            if handle in self.own:
                return match.group(0)
            return self._by_handle.get((platform, handle), UNKNOWN)

        return MENTION.sub(swap, text)
