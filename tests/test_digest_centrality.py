"""The digest's betweenness centrality gives networkx's figures, to the last bit."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from bot.digest_centrality import betweenness


def shuffled_graph(seed: int) -> nx.Graph:
    """A random graph, sometimes in pieces, whose node order is not the order of its ids."""
    rng = random.Random(seed)
    n = rng.randint(1, 70)
    graph = nx.gnm_random_graph(n, rng.randint(0, 3 * n), seed=seed)
    labels = rng.sample(range(1000), n)
    return nx.relabel_nodes(graph, dict(zip(range(n), labels, strict=True)))


@pytest.mark.parametrize("seed", range(40))
def test_same_figures_as_networkx(seed: int) -> None:
    graph = shuffled_graph(seed)
    for k in {None, max(2, len(graph) // 3)} if len(graph) > 2 else {None}:
        expected = nx.betweenness_centrality(graph, k=k, seed=42)
        found = betweenness(graph, k, seed=42)
        assert list(found) == list(expected)
        assert found == expected  # exactly: the same sums in the same order


def test_a_star_and_a_path() -> None:
    star = nx.star_graph(4)  # the hub lies on every path between two leaves
    assert betweenness(star) == {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}
    path = nx.path_graph(4)
    assert betweenness(path) == {0: 0.0, 1: 2 / 3, 2: 2 / 3, 3: 0.0}
    assert betweenness(nx.Graph()) == {}


def test_hubs_and_many_shortest_paths() -> None:
    graph = nx.barabasi_albert_graph(600, 3, seed=7)
    graph.add_edges_from(nx.grid_2d_graph(12, 12).edges())  # many paths of equal length
    graph = nx.relabel_nodes(graph, {node: str(node) for node in graph})
    expected = nx.betweenness_centrality(graph, k=150, seed=3)
    assert betweenness(graph, 150, seed=3) == expected
