"""Key connectors and groups: on hand-built graphs, and from replies and mentions in the store."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import networkx as nx
import pytest
from sqlalchemy.orm import Session

from bot.community import (
    bridges,
    communities,
    describe_community,
    interactions,
    participation,
    people_graph,
    person_key,
)
from bot.digest_people import Namer
from bot.models import Author
from tests.test_digest import END, START, Week, at


def two_cliques(bridge_ties: int) -> nx.Graph:
    """Two groups of four who all talk with each other (1-4 and 11-14), and person 99 who
    talks with ``bridge_ties`` people in each group."""
    graph: nx.Graph = nx.Graph()
    for group in ((1, 2, 3, 4), (11, 12, 13, 14)):
        graph.add_edges_from(combinations(group, 2), weight=1)
    for n in range(bridge_ties):
        graph.add_edge(99, 1 + n, weight=1)
        graph.add_edge(99, 11 + n, weight=1)
    return graph


@pytest.mark.parametrize("ties", [1, 2])
def test_two_groups_joined_by_one_person(ties: int) -> None:
    graph = two_cliques(ties)
    found = communities(graph)
    assert {frozenset(c - {99}) for c in found} == {
        frozenset({1, 2, 3, 4}),
        frozenset({11, 12, 13, 14}),
    }
    [(node, score, links)] = bridges(graph, found)
    assert node == 99  # not 1 or 11, who talk with them from inside their group
    assert links == {0: ties, 1: ties}
    assert score == pytest.approx(max(nx.betweenness_centrality(graph).values()))


def test_groups_are_the_same_every_time() -> None:
    graph = nx.connected_caveman_graph(5, 4)
    assert communities(graph) == communities(graph) == communities(graph.copy())


def test_no_connector_inside_a_single_group() -> None:
    graph: nx.Graph = nx.complete_graph(5)
    assert bridges(graph, communities(graph)) == []


def test_small_communities_are_not_groups() -> None:
    graph = two_cliques(2)
    graph.add_edge(99, 50)  # a pair: too small to be a group, but part of 99's spread
    found = communities(graph)
    [(node, _, links)] = bridges(graph, found)
    assert node == 99 and sorted(links.values()) == [2, 2]


def test_participation() -> None:
    assert participation(Counter({0: 2, 1: 2})) == pytest.approx(0.5)
    assert participation(Counter({0: 3, 1: 1})) == pytest.approx(0.375)
    assert participation(Counter({0: 4})) == 0.0
    assert participation(Counter()) == 0.0


def person(platform: str, handle: str, name: str | None) -> Author:
    return Author(platform=platform, platform_id=handle, handle=handle, name=name)


def test_accounts_of_one_person() -> None:
    sam = [
        person("x", "sam_okonjo", "Sam Okonjo"),
        person("mastodon", "samokonjo@mastodon.social", "Sam  Okonjo"),
        person("bluesky", "sam.okonjo.bsky.social", "sam okonjo"),
    ]
    assert person_key(sam[0]) == person_key(sam[1])
    assert len({person_key(a) for a in sam}) == 2  # bluesky: only "sam" before the first dot
    assert person_key(person("x", "sam_okonjo", "Sam O.")) != person_key(sam[0])
    assert person_key(person("x", "sam", None)) != person_key(person("reddit", "sam", None))


def museum_week(session: Session) -> Week:
    """Two groups, one on X and one on Mastodon, and Sam, who is on both."""
    w = Week(session)
    groups = {"x": ["ann", "ben", "cat", "dan"], "mastodon": ["eli", "fay", "gus", "hal"]}
    topics = {"x": "exhibitions", "mastodon": "events"}
    for platform, people in groups.items():
        for n, who in enumerate(people):
            w.post(f"{platform}-{who}", who, f"{who} says hi", at(1, 8 + n), platform=platform,
                   topic=topics[platform], mentions_self=False)  # fmt: skip
        for n, (a, b) in enumerate(combinations(people, 2)):
            w.post(f"{platform}-{a}-{b}", a, "agreed", at(2, 8, n), platform=platform,
                   reply_to=f"{platform}-{b}", topic=topics[platform])  # fmt: skip
    sam = {"x": "samokonjo", "mastodon": "samokonjo@mastodon.social"}
    for platform, people in groups.items():
        for who in people[:2]:
            w.post(f"{platform}-sam-{who}", sam[platform], "nice one", at(3, 9), platform=platform,
                   reply_to=f"{platform}-{who}", name="Sam Okonjo")  # fmt: skip
    # mentions: a person, ourselves (never a node), someone unknown, a repeated one (one tie)
    w.post("x-ann-m", "ann", "@ben @lumenmuseum @nobody see @ben", at(4, 9), mentions_self=False)
    w.post("x-own", "lumenmuseum", "@ann thanks", at(4, 10), reply_to="x-ann")
    session.commit()
    return w


def test_interactions_from_replies_and_mentions(session: Session) -> None:
    w = museum_week(session)
    weights = interactions(session, START, END)
    ann, ben = w.authors["x:ann"].id, w.authors["x:ben"].id
    assert ann is not None and ben is not None
    assert weights[(min(ann, ben), max(ann, ben))] == 2  # a reply and a mention
    own = w.authors["x:lumenmuseum"].id
    assert not any(own in pair for pair in weights)
    assert len(weights) == 6 + 6 + 4  # two cliques of four, Sam's four replies


def test_describe_community_links_accounts_and_names_groups(session: Session) -> None:
    museum_week(session)
    community = describe_community(session, END, Namer())
    assert (community.people, community.ties) == (9, 16)
    assert sorted(g.size for g in community.groups) == [4, 5]  # Sam joins one of the two
    assert {g.topics[0][0] for g in community.groups} == {"exhibitions", "events"}
    [sam] = community.connectors
    assert (sam.name, sam.platforms, sam.links) == (
        "samokonjo",
        ["mastodon", "x"],
        {"A": 2, "B": 2},
    )


def test_accounts_left_apart_link_nothing(session: Session) -> None:
    museum_week(session)
    community = describe_community(session, END, Namer(), link_accounts=False)
    assert community.people == 10 and community.connectors == []


def test_connectors_are_pseudonymised(session: Session) -> None:
    w = museum_week(session)
    namer = Namer(True, "a-secret-of-16-chars")
    [sam] = describe_community(session, END, namer).connectors
    assert sam.name == namer.name(w.authors["x:samokonjo"]) and sam.name.startswith("Visitor ")


def test_people_graph_merges_weights() -> None:
    a, b, c = person("x", "sam", "Sam"), person("reddit", "sam", "Sam"), person("x", "jo", "Jo")
    a.id, b.id, c.id = 1, 2, 3
    graph, accounts = people_graph(Counter({(1, 3): 2, (2, 3): 1, (1, 2): 5}), {1: a, 2: b, 3: c})
    assert list(graph.edges(data="weight")) == [(1, 3, 3)]  # Sam talking to Sam is no tie
    assert [x.platform for x in accounts[1]] == ["x", "reddit"]
