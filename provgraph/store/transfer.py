"""Copying every quad from one store to another (``provgraph push`` and ``pull``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
    transactions = 0
    for batch in packed(by_graph.values(), BATCH_QUADS):
        target.add(batch)
        transactions += 1
    named = sum(1 for g in by_graph if isinstance(g, ox.NamedNode))
    return Copied(len(quads), named, transactions)


def packed(groups: Iterable[list[ox.Quad]], size: int) -> Iterator[list[ox.Quad]]:
    """``groups`` of quads packed in order into lists of about ``size`` quads, a group never split: a list
    is full when the next group would take it past ``size`` (a group larger than ``size`` is a list alone)."""
    batch: list[ox.Quad] = []
    for group in groups:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch
