"""Betweenness centrality for the digest's key connectors, computed with numpy.

The same figures as ``networkx.betweenness_centrality(graph, k, seed=seed)`` (networkx 3.6:
unweighted, normalised, endpoints excluded; with ``k``, the ``k`` sources drawn by
``random.Random(seed).sample(list(graph), k)`` and its sampled rescaling), to the last bit:
Brandes' algorithm, each source's breadth-first search one level at a time over arrays, path
counts and dependencies added up in the order networkx adds them. On a graph of 10,000 people
it takes about 1 ms per source where networkx takes about 20 ms.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable

import networkx as nx
import numpy as np
from numpy.typing import NDArray

RADIX = 2**16  # levels up to this size sort their 16-bit keys by radix

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


def betweenness(graph: nx.Graph, k: int | None = None, *, seed: int = 0) -> dict[Hashable, float]:
    """Betweenness of every node of ``graph`` (undirected, unweighted): exact, or estimated
    from ``k`` sources drawn with ``seed``; see the module docstring."""
    nodes = list(graph)
    n = len(nodes)
    sources = nodes if k is None else random.Random(seed).sample(nodes, k)
    index = {node: i for i, node in enumerate(nodes)}
    degrees = np.fromiter((len(graph[node]) for node in nodes), dtype=np.int64, count=n)
    indptr = np.concatenate(([0], np.cumsum(degrees)))
    indices = np.fromiter(
        (index[w] for node in nodes for w in graph[node]), dtype=np.int64, count=int(indptr[-1])
    )
    raw = np.zeros(n)
    for source in sources:
        raw += _dependencies(indptr, indices, index[source])  # in networkx's order
    scale = _scales(n, k, [index[s] for s in sources])
    return {node: float(value) for node, value in zip(nodes, raw * scale, strict=True)}


def _dependencies(indptr: Ints, indices: Ints, source: int) -> Floats:
    """Brandes' dependencies of every node on ``source`` (zero at the source itself): a
    breadth-first search level by level, then the accumulation from the farthest level up."""
    n = len(indptr) - 1
    dist = np.full(n, -1, dtype=np.int64)
    sigma = np.zeros(n)  # shortest paths from the source
    rank = np.zeros(n, dtype=np.int64)  # position in the search order (networkx's S)
    dist[source], sigma[source] = 0, 1.0
    where_first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    levels, paths = [np.array([source], dtype=np.int64)], []
    while True:
        parent, child = _edges(indptr, indices, levels[-1])
        fresh = dist[child] == -1
        parent, child = parent[fresh], child[fresh]
        where = np.arange(len(child))
        np.minimum.at(where_first, child, where)
        found = child[where_first[child] == where]  # in order of discovery, as networkx's
        if not len(found):
            break
        dist[found] = len(levels)
        base = int(rank[levels[-1][-1]]) + 1
        rank[found] = np.arange(base, base + len(found))
        slot = rank[child] - base
        sigma[found] = np.bincount(slot, weights=sigma[parent], minlength=len(found))
        if len(found) <= RADIX:
            slot = slot.astype(np.uint16)
        order = np.argsort(slot, kind="stable")[::-1]  # the last found first, as networkx
        paths.append((parent[order], child[order]))
        levels.append(found)
    delta = np.zeros(n)
    for depth in range(len(paths), 0, -1):
        parent, child = paths[depth - 1]
        coeff = (1 + delta[child]) / sigma[child]
        upper = levels[depth - 1]
        slot = rank[parent] - rank[upper[0]]
        delta[upper] = np.bincount(slot, weights=sigma[parent] * coeff, minlength=len(upper))
    delta[source] = 0.0
    return delta


def _edges(indptr: Ints, indices: Ints, nodes: Ints) -> tuple[Ints, Ints]:
    """``(node, neighbour)`` for every neighbour of each of ``nodes``, in the order of
    ``nodes`` and of each node's neighbours."""
    begin, count = indptr[nodes], indptr[nodes + 1] - indptr[nodes]
    total = int(count.sum())
    offsets = np.repeat(begin - np.cumsum(count) + count, count) + np.arange(total)
    return np.repeat(nodes, count), indices[offsets]


def _scales(n: int, k: int | None, sources: list[int]) -> Floats:
    """networkx's normalisation (endpoints excluded, undirected): by the pairs that could
    pass through a node, sampled sources counting one source fewer."""
    scale = np.ones(n)
    pairs = n - 1
    if pairs < 2:
        return scale
    if k is None:
        scale[:] = 1 / (pairs * (pairs - 1))
        return scale
    scale[:] = 1 / (k * (pairs - 1))
    scale[sources] = 1 / ((k - 1) * (pairs - 1)) if k > 1 else math.nan
    return scale
