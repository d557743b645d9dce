"""Copying every quad from one store to another (``provgraph push`` and ``pull``)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import StoreError
from .base import Store

BATCH_QUADS = 20_000  # named graphs are packed into transactions of about this many quads


@dataclass(frozen=True)
class Copied:
    """What :func:`copy_store` wrote."""

    quads: int
    graphs: int
    transactions: int


def copy_store(source: Store, target: Store, replace: bool = False) -> Copied:
    """Add every quad of ``source`` to ``target``; with ``replace``, empty ``target`` first.

    A named graph (one run's bundle) is never split across transactions, so an interrupted copy leaves
    each run in ``target`` whole or absent; copying again is harmless (quads are a set).
    """
    try:
        quads = list(ox.parse(source.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise StoreError(f"cannot read the quads of {source.uri}: {exc}") from exc
    by_graph: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[ox.Quad]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(quad)
    if replace:
        target.clear()
    batch: list[ox.Quad] = []
    transactions = 0
    for graph_quads in by_graph.values():
        if batch and len(batch) + len(graph_quads) > BATCH_QUADS:
            target.add(batch)
            transactions += 1
            batch = []
        batch.extend(graph_quads)
    if batch:
        target.add(batch)
        transactions += 1
    named = sum(1 for g in by_graph if isinstance(g, ox.NamedNode))
    return Copied(len(quads), named, transactions)
