"""The ``context`` feed's thread bookkeeping: which descendants are new, and watermarks.

Each watched own status keeps a watermark (the newest descendant id already returned). Watched
statuses can nest (our reply inside our own thread), so a descendant is new only if it is newer
than the watermark of *every* watched status whose subtree holds it; and reading a status's
context moves the watermarks of the watched statuses below it too, since it saw their subtrees.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Post, PostKind
from connectors.errors import MalformedResponse
from connectors.mastodon.cursors import Thread
from connectors.mastodon.faults import PLATFORM
from connectors.mastodon.normalize import (
    Identity,
    id_key,
    kind_of,
    newest,
    status_id,
    status_to_post,
)


def replies_count(status: dict[str, Any]) -> int:
    """A Status's ``replies_count`` (0 when absent)."""
    value = status.get("replies_count")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def absorb_context(
    status: dict[str, Any],
    body: Any,
    threads: dict[str, Thread],
    posts: dict[str, Post],
    identity: Identity,
    source: str,
) -> None:
    """Take the new descendants of one watched status and move its watermarks."""
    sid = str(status["id"])
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"context of {sid}: expected an object", platform=PLATFORM, source=source
        )
    ancestors = body.get("ancestors")
    descendants = body.get("descendants")
    if not isinstance(ancestors, list) or not isinstance(descendants, list):
        raise MalformedResponse(
            f"context of {sid}: ancestors/descendants missing", platform=PLATFORM, source=source
        )
    anc_ids = [status_id(a, source=source, where="ancestor") for a in ancestors]
    root = anc_ids[0] if anc_ids else sid
    watched_above = [a for a in anc_ids if a in threads]
    parent: dict[str, str | None] = {}
    for item in descendants:
        did = status_id(item, source=source, where="descendant")
        reply_to = item.get("in_reply_to_id")
        parent[did] = None if reply_to is None else str(reply_to)

    def watched_between(did: str) -> list[str]:
        """Watched own statuses on the path from ``did`` up to ``sid`` (exclusive)."""
        found: list[str] = []
        seen: set[str] = set()
        step = parent.get(did)
        while step is not None and step != sid and step in parent and step not in seen:
            seen.add(step)
            if step in threads:
                found.append(step)
            step = parent.get(step)
        return found

    mark = threads[sid].watermark
    inner_marks: dict[str, str] = {}
    for item in descendants:
        did = str(item["id"])
        inside = watched_between(did)
        covering = [sid, *watched_above, *inside]
        if did not in posts and all(id_key(did) > id_key(threads[t].watermark) for t in covering):
            posts[did] = status_to_post(
                item,
                identity=identity,
                source=source,
                kind=kind_of(item, PostKind.REPLY),
                conversation_id=root,
            )
        mark = newest(mark, did) or mark
        for inner in inside:
            inner_marks[inner] = newest(inner_marks.get(inner), did) or did
    threads[sid] = Thread(mark, replies_count(status))
    # This scan saw the whole subtree of any watched status below ``sid``.
    for item in descendants:
        did = str(item["id"])
        if did in threads and did != sid:
            threads[did] = Thread(
                newest(threads[did].watermark, inner_marks.get(did)) or did, replies_count(item)
            )
    if sid in posts:
        posts[sid].conversation_id = root
