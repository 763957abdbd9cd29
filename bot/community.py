"""The community's groups and its key connectors, from the reply and mention graph (networkx).

- **Graph**: one node per person of the public (never our own accounts); an edge between two
  people when one replied to or ``@mentioned`` the other in the last :data:`GRAPH_WEEKS` weeks,
  weighted by how many times. Accounts on different platforms with the same handle (its local
  part, without ``_ . -``: ``sam`` in ``sam@mastodon.social``, ``sam.bsky.social``) *and* the
  same display name are taken for one person (``digest.link_accounts``; off: one node per
  account): that is how someone active on several platforms links the communities of each.
- **Groups**: Louvain communities of the weighted graph (a fixed seed: the same store gives
  the same groups); those of at least :data:`MIN_GROUP` people are reported, each with its size,
  platforms, best-connected members and the top topics of its members' posts.
- **Key connectors**: people who talk with members of two or more groups, with their ties
  spread over communities (participation coefficient at least :data:`MIN_PARTICIPATION`: no
  community holds much more than half of the people they talk with), ranked by betweenness
  centrality (the share of shortest paths between others that run through them). A group's
  member who talks with one outsider is not a connector; the person between two groups is.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import networkx as nx
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from bot.digest_centrality import betweenness
from bot.digest_people import Namer, mentions
from bot.models import Author, Classification, Post

GRAPH_WEEKS = 4  # the graph looks this far back from the digest's end
MIN_GROUP = 3  # smaller communities are not reported as groups
MIN_PARTICIPATION = 0.5  # a connector's ties are at least as spread as half and half
SEED = 42  # Louvain is randomised: a fixed seed gives the same groups for the same graph
EXACT_BETWEENNESS = 2000  # above this many people, betweenness is estimated from a sample
TOPICS_SHOWN = 3
MEMBERS_SHOWN = 5


@dataclass(slots=True)
class Group:
    """A group of people who talk with each other more than with the rest."""

    label: str  # "A", "B", … (largest first)
    size: int
    platforms: list[str]
    topics: list[tuple[str, int]]  # the top topics of its members' posts, with counts
    members: list[str]  # the best-connected few, as the digest names them


@dataclass(slots=True)
class KeyConnector:
    """Someone who links otherwise separate groups."""

    name: str
    platforms: list[str]  # where they are active (several if their accounts were linked)
    score: float  # betweenness centrality, 0-1
    links: dict[str, int] = field(default_factory=dict)  # group label -> people they talk with

    @property
    def groups(self) -> list[str]:
        """The labels of the groups they link."""
        return list(self.links)


@dataclass(slots=True)
class Community:
    """The graph's size, its groups and its key connectors."""

    people: int = 0
    ties: int = 0
    groups: list[Group] = field(default_factory=list)
    connectors: list[KeyConnector] = field(default_factory=list)


def interactions(session: Session, start: datetime, end: datetime) -> Counter[tuple[int, int]]:
    """How many replies and mentions passed between two public authors (ids, smaller first)
    in ``[start, end)``: three queries."""
    weights: Counter[tuple[int, int]] = Counter()
    parent, parent_author = aliased(Post), aliased(Author)
    replies = session.execute(
        select(col(Post.author_id), col(parent.author_id))
        .join(Author, col(Author.id) == col(Post.author_id))
        .join(parent, col(parent.key) == col(Post.in_reply_to_key))
        .join(parent_author, col(parent_author.id) == col(parent.author_id))
        .where(
            col(Post.created_at) >= start,
            col(Post.created_at) < end,
            ~col(Author.is_self),
            ~col(parent_author.is_self),
        )
    )
    for source, target in [*replies, *_mention_pairs(session, start, end)]:
        if target is not None and source != target:
            weights[(min(source, target), max(source, target))] += 1
    return weights


def person_key(author: Author) -> str:
    """Who an account belongs to: its handle's local part and display name, if it has one
    (``sam|sam okonjo``); else the account itself."""
    if not author.name or author.pseudonymised or author.erased:
        return f"{author.platform}:{author.platform_id}"
    local = author.handle.lower().lstrip("@").split("@")[0]
    if author.platform == "bluesky":
        local = local.split(".")[0]
    local = re.sub(r"[\W_]", "", local)  # peg_quill and pegquill
    return f"{local}|{' '.join(author.name.casefold().split())}"


def people_graph(
    weights: Counter[tuple[int, int]], authors: dict[int, Author], *, link_accounts: bool = True
) -> tuple[nx.Graph, dict[int, list[Author]]]:
    """The interaction graph between people, and each node's accounts (lowest id first: the
    node's id is its first account's)."""
    by_person: dict[str, list[Author]] = defaultdict(list)
    for author in sorted(authors.values(), key=lambda a: a.id or 0):
        key = person_key(author) if link_accounts else f"{author.platform}:{author.platform_id}"
        by_person[key].append(author)
    node_of: dict[int, int] = {}
    accounts: dict[int, list[Author]] = {}
    for group in by_person.values():
        node = group[0].id or 0
        accounts[node] = group
        node_of.update({a.id or 0: node for a in group})
    merged: Counter[tuple[int, int]] = Counter()
    for (a, b), weight in weights.items():
        x, y = node_of[a], node_of[b]
        if x != y:
            merged[(min(x, y), max(x, y))] += weight
    graph: nx.Graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in merged.items())
    return graph, {node: accounts[node] for node in graph}


def _mention_pairs(session: Session, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(author, mentioned author) for each ``@mention`` of a known public author: two queries."""
    rows = session.execute(
        select(col(Post.author_id), col(Post.platform), col(Post.text))
        .join(Author, col(Author.id) == col(Post.author_id))
        .where(
            col(Post.created_at) >= start,
            col(Post.created_at) < end,
            ~col(Author.is_self),
            col(Post.text).contains("@"),
        )
    ).all()
    named = [(author_id, platform, mentions(text)) for author_id, platform, text in rows]
    wanted = {(platform, handle) for _, platform, handles in named for handle in handles}
    if not wanted:
        return []
    ids: dict[tuple[str, str], int] = {
        (platform, handle.lower()): author_id
        for author_id, platform, handle in session.execute(
            select(col(Author.id), col(Author.platform), col(Author.handle)).where(
                tuple_(col(Author.platform), func.lower(col(Author.handle))).in_(sorted(wanted)),
                ~col(Author.is_self),
            )
        )
        if author_id is not None
    }
    return [
        (author_id, ids[(platform, handle)])
        for author_id, platform, handles in named
        for handle in dict.fromkeys(handles)  # a post mentioning someone twice is one tie
        if (platform, handle) in ids and ids[(platform, handle)] != author_id
    ]


def communities(graph: nx.Graph, *, seed: int = SEED) -> list[set[int]]:
    """Louvain communities, largest first (ties broken by their smallest member)."""
    if graph.number_of_edges() == 0:
        return []
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def participation(ties: Counter[int]) -> float:
    """How evenly someone's ties spread over communities: 1 - sum of squared shares (0: all
    in one community; 0.5: half and half between two)."""
    total = sum(ties.values())
    return 1 - sum((n / total) ** 2 for n in ties.values()) if total else 0.0


def bridges(
    graph: nx.Graph,
    found: list[set[int]],
    *,
    min_group: int = MIN_GROUP,
    min_participation: float = MIN_PARTICIPATION,
    top: int = 5,
) -> list[tuple[int, float, dict[int, int]]]:
    """The key connectors: ``(node, betweenness, {group index: people they talk with})``.

    ``found`` are all the communities (largest first); the groups are those of ``min_group``
    people or more, indexed in that order. A connector talks with people in at least two
    groups, and no community holds most of their ties (participation ``min_participation`` or
    more). Ranked by betweenness, then by participation, then by node."""
    community_of = {node: index for index, members in enumerate(found) for node in members}
    reported = [index for index, members in enumerate(found) if len(members) >= min_group]
    position = {index: rank for rank, index in enumerate(reported)}
    candidates: dict[int, tuple[float, dict[int, int]]] = {}
    for node in graph:
        ties: Counter[int] = Counter(community_of[n] for n in graph.neighbors(node))
        links = {position[c]: n for c, n in sorted(ties.items()) if c in position}
        share = participation(ties)
        if len(links) >= 2 and share >= min_participation:
            candidates[node] = (share, links)
    if not candidates:
        return []
    sample = None if graph.number_of_nodes() <= EXACT_BETWEENNESS else EXACT_BETWEENNESS
    centrality = betweenness(graph, sample, seed=SEED)
    ranked = sorted(candidates, key=lambda n: (-round(centrality[n], 9), -candidates[n][0], n))
    return [(node, centrality[node], candidates[node][1]) for node in ranked[:top]]


def describe_community(
    session: Session,
    end: datetime,
    namer: Namer,
    *,
    top: int = 5,
    seed: int = SEED,
    link_accounts: bool = True,
) -> Community:
    """Groups and key connectors of the people who talked in the :data:`GRAPH_WEEKS` weeks up
    to ``end``."""
    since = end - timedelta(weeks=GRAPH_WEEKS)
    weights = interactions(session, since, end)
    ids = sorted({a for pair in weights for a in pair})
    authors = {
        a.id: a for a in session.scalars(select(Author).where(col(Author.id).in_(ids))) if a.id
    }
    graph, accounts = people_graph(weights, authors, link_accounts=link_accounts)
    community = Community(people=graph.number_of_nodes(), ties=graph.number_of_edges())
    found = communities(graph, seed=seed)
    groups = [g for g in found if len(g) >= MIN_GROUP]
    if not groups:
        return community
    topics = _topics_by_author(session, since, end)
    labels = [_label(i) for i in range(len(groups))]
    for label, group in zip(labels, groups, strict=True):
        counts: Counter[str] = Counter()
        for node in group:
            for account in accounts[node]:
                counts.update(topics.get(account.id or 0, {}))
        best = sorted(group, key=lambda n: (-graph.degree(n, weight="weight"), n))
        community.groups.append(
            Group(
                label=label,
                size=len(group),
                platforms=sorted({a.platform for n in group for a in accounts[n]}),
                topics=counts.most_common(TOPICS_SHOWN),
                members=[namer.name(accounts[n][0]) for n in best[:MEMBERS_SHOWN]],
            )
        )
    for node, score, links in bridges(graph, found, top=top):
        community.connectors.append(
            KeyConnector(
                name=namer.name(accounts[node][0]),
                platforms=sorted({a.platform for a in accounts[node]}),
                score=score,
                links={labels[g]: n for g, n in links.items()},
            )
        )
    return community


def _topics_by_author(session: Session, start: datetime, end: datetime) -> dict[int, Counter[str]]:
    """Topic counts of each public author's posts in the window (one grouped query)."""
    rows = session.execute(
        select(col(Post.author_id), col(Classification.top_topic), func.count())
        .join(Classification, col(Classification.post_id) == col(Post.id))
        .where(
            col(Post.created_at) >= start,
            col(Post.created_at) < end,
            ~col(Post.is_own),
            col(Classification.top_topic).is_not(None),
        )
        .group_by(col(Post.author_id), col(Classification.top_topic))
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for author_id, topic, count in rows:
        out[author_id][str(topic)] = count
    return out


def _label(index: int) -> str:
    """A, B, …, Z, AA, AB, …"""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(ord("A") + rest) + label
    return label
