"""Impact (what was derived from X) and lineage (where X came from), now or as the graph stood then.

The walk starts from the reference and its versions. The store's lineage index
(:mod:`provgraph.store.lineage`) gives the reachable part of the graph, its nodes named in IRI order and
described, in one read, and says whether any derivation can have a transformation to ask about; a store
without one (a SPARQL endpoint) is asked by SPARQL (``queries/versions.rq``, then ``queries/impact.rq`` or
``queries/lineage.rq``, one query per step for the whole frontier, then ``queries/describe.rq``), which
names the nodes sent by their position in the list sent, not by IRI.
Either way the answer is worked out on the nodes' numbers (their positions in IRI order), so edges sort
as numbers and an IRI is compared only where the answer needs it.
The path length of each node is the shortest distance from the reference over those edges, counting
one step per run crossed: a run and the artifacts it generated share a depth in an impact answer, a
run and what it used share a depth in a lineage answer. The versions of a logical dataset, and the
outputs of a run given as the reference, are at depth 0.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Container, Iterable
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from ..store import Store
from .derivations import transformations
from .nodes import describe, describe_nodes
from .resolve import resolve
from .results import GraphResult
from .sparql import moment, select, select_numbered, text_of

_ACTIVITY_TYPES = frozenset({"run", "invalidation", "activity"})


def impact(store: Store, ref: str | NamedNode, as_of: str | datetime | None = None,
           root: str | Path | None = None) -> GraphResult:
    """Everything derived from ``ref``, transitively, with the runs that used or made it.

    ``ref`` is a reference :func:`resolve` understands (or a node). ``as_of`` answers as the graph
    stood at that time. ``result.models`` answers "which models used this dataset",
    ``result.deployments`` "which deployed models are affected".
    """
    return _traverse(store, ref, "impact", as_of, root)


def lineage(store: Store, ref: str | NamedNode, as_of: str | datetime | None = None,
            root: str | Path | None = None) -> GraphResult:
    """Everything ``ref`` came from, transitively: runs, inputs, parameters, code, agents."""
    return _traverse(store, ref, "lineage", as_of, root)


def _traverse(store: Store, ref: str | NamedNode, direction: str, as_of: str | datetime | None,
              root: str | Path | None) -> GraphResult:
    node = ref if isinstance(ref, NamedNode) else resolve(store, ref, root)
    when = moment(as_of, "as-of") if as_of is not None else None
    index = store.lineage_index()
    # the walk starts from the reference and its versions; its nodes are numbered by their position in
    # graph.names (IRI order); rows holds a row per node described, by number, in that order
    found = index.reach(node.value, direction) if index is not None else None
    if found is not None:
        graph = _Walk(found.names, found.edges)
        rows = {at: describe(graph.names[at], record) for at, record in found.records.items()}
        seeds = set(found.seeds)
    else:
        seed_iris = {node.value} | {text_of(s["node"]) or "" for s in select(store, "versions", ref=node)}
        graph = _Walk.of(seed_iris, _walked(store, seed_iris, direction))
        described = describe_nodes(store, graph.names)
        rows = {at: row for at, iri in enumerate(graph.names) if (row := described.get(iri)) is not None}
        seeds = {at for iri in seed_iris if (at := graph.find(iri)) is not None}
    if when is not None:
        _cut(store, graph, rows, when, direction)
    _drop_metric_history(graph, rows)
    # crossing a run costs one step: an edge leaving an activity weighs 0, any other edge 1
    depths = graph.depths(seeds, {at for at, row in rows.items() if row["type"] in _ACTIVITY_TYPES})
    made_by = _generators(graph, rows, direction)
    how = _transformations(store, graph, rows, direction) if found is None or found.transformations else {}
    result_rows = []
    ref_at = graph.find(node.value)
    for at, row in rows.items():  # in IRI order: the rows' order, after depth, type and label
        depth = depths.get(at)
        if depth is None or at == ref_at:
            continue
        # completed in place: one dict per node, however large the answer
        row["depth"], row["run"] = depth, made_by.get(at)
        if at in how:
            row["transformation"] = "; ".join(how[at])
        result_rows.append(row)
    for key in ("label", "type", "depth"):  # stable sorts, the last key first: cheaper than one of tuples
        result_rows.sort(key=itemgetter(key))
    # every edge whose ends are both reached (all of them, unless a node was cut off), named when asked for
    edges = graph.edges if len(depths) == len(graph.nodes) else \
        [(a, b) for a, b in graph.edges if a in depths and b in depths]
    return GraphResult(rows=result_rows, ref=ref.value if isinstance(ref, NamedNode) else ref,
                       ref_iri=node, direction=direction, node_iris=[node.value] + [r["iri"] for r in result_rows],
                       names=graph.names, edge_at=edges, as_of=when.isoformat() if when else None, store=store)


def _walked(store: Store, seeds: set[str], direction: str) -> list[tuple[str, str]]:
    """The edges ``direction`` reaches from ``seeds``, asked by SPARQL one step at a time for the whole frontier."""
    met, edges = set(seeds), []
    frontier = sorted(seeds)
    while frontier:
        # from IRI to IRI, as the index walks: a blank node, a literal or a quoted triple is no step
        found = [(frontier[at], row["node"].value) for at, row in select_numbered(store, direction, "from", frontier)
                 if isinstance(row["node"], NamedNode)]
        frontier = sorted({target for _, target in found if target not in met})
        met.update(frontier)
        edges += found
    return edges


def _generators(graph: _Walk, rows: dict[int, dict[str, Any]], direction: str) -> dict[int, str]:
    """Entity -> id of the run that generated it, the first in IRI order if several did (a run maps to its
    own id)."""
    runs = {at: row["id"] for at, row in rows.items() if row["type"] == "run"}
    entities = {at for at, row in rows.items() if row["type"] not in _ACTIVITY_TYPES}
    first: dict[int, int] = {}
    for a, b in graph.edges:
        run, entity = (a, b) if direction == "impact" else (b, a)
        if run in runs and entity in entities and run < first.get(entity, run + 1):
            first[entity] = run
    return {**{entity: runs[run] for entity, run in first.items()}, **runs}


def _transformations(store: Store, graph: _Walk, rows: dict[int, dict[str, Any]], direction: str
                     ) -> dict[int, list[str]]:
    """Node -> the transformations of the derivations that reached it (column lineage), in the order of the
    edges; only artifacts are asked about, as only they are derived."""
    known = transformations(store, (NamedNode(graph.names[at]) for at in graph.nodes
                                    if at in rows and rows[at]["type"] == "artifact"))
    edges = []  # the edges (from, to) of the derivations known, and the transformations of each
    walked = set(graph.edges) if known else set()
    for (derived, source), texts in known.items():
        ends = graph.find(source), graph.find(derived)
        edge = ends if direction == "impact" else ends[::-1]
        if edge in walked:
            edges.append((edge, texts))
    found: dict[int, list[str]] = {}
    for (_, b), texts in sorted(edges):
        for text in texts:
            if text not in found.setdefault(b, []):
                found[b].append(text)
    return found


def _cut(store: Store, graph: _Walk, rows: dict[int, dict[str, Any]], moment: datetime,
         direction: str) -> None:
    """Remove what was not yet in the graph at ``moment``: later activities and what only they made."""
    later = {graph.find(text_of(s["activity"]) or "") for s in select(store, "as-of", time=moment)
             if s.get("activity")}
    gone = [n for n in graph.nodes if n in later]
    made: dict[int, list[int]] = {}
    for a, b in graph.edges:
        source_type, target_type = rows.get(a, {}).get("type"), rows.get(b, {}).get("type")
        if direction == "impact" and source_type in _ACTIVITY_TYPES and target_type not in _ACTIVITY_TYPES:
            made.setdefault(b, []).append(a)
        if direction == "lineage" and target_type in _ACTIVITY_TYPES and source_type not in _ACTIVITY_TYPES:
            made.setdefault(a, []).append(b)
    gone += [entity for entity, makers in made.items() if all(m in later for m in makers)]
    graph.remove(gone)


def _drop_metric_history(graph: _Walk, rows: dict[int, dict[str, Any]]) -> None:
    """Keep a metric's final value, not every point of its history (``<final>.<step>``)."""
    metrics = {row["iri"]: at for at, row in rows.items() if row["type"] == "metric" and at in graph.nodes}
    graph.remove([at for iri, at in metrics.items() if iri.rpartition(".")[0] in metrics])


class _Walk:
    """The part of the graph a traversal reached: ``names``, the IRIs of its nodes in IRI order, each node
    being its position in that list; the nodes, in order; the edges (from, to), as found, one two relations
    make perhaps twice (sorted, they are in IRI order: an order that depends neither on the engine nor on
    the order statements were written in).

    Small on purpose: impact and lineage need no more than this and a 0-1 breadth-first search, and the
    command starts faster without networkx."""

    def __init__(self, names: list[str], edges: Iterable[tuple[int, int]]) -> None:
        self.names = names
        self.nodes: dict[int, None] = dict.fromkeys(range(len(names)))
        self.edges = list(edges)

    @classmethod
    def of(cls, seeds: Iterable[str], edges: list[tuple[str, str]]) -> _Walk:
        """The walk of ``edges`` from ``seeds``, given by IRI."""
        names = sorted({*seeds, *(iri for edge in edges for iri in edge)})
        at = {iri: number for number, iri in enumerate(names)}
        return cls(names, [(at[a], at[b]) for a, b in edges])

    def find(self, iri: str) -> int | None:
        """The node ``iri`` names, if it is one."""
        at = bisect_left(self.names, iri)
        return at if at < len(self.names) and self.names[at] == iri else None

    def remove(self, nodes: Iterable[int | None]) -> None:
        gone = set(nodes)
        if not gone:  # nothing to rebuild the lists for
            return
        self.nodes = {n: None for n in self.nodes if n not in gone}
        self.edges = [e for e in self.edges if e[0] not in gone and e[1] not in gone]

    def depths(self, seeds: Iterable[int], free: Container[int]) -> dict[int, int]:
        """Shortest distance from any seed, an edge weighing 0 if it leaves a node of ``free``, else 1."""
        onward: dict[int, list[int]] = {}
        for source, target in self.edges:
            onward.setdefault(source, []).append(target)
        depth = {seed: 0 for seed in seeds if seed in self.nodes}
        queue = deque(depth)
        while queue:
            here = queue.popleft()
            free_step = here in free
            there_at = depth[here] + (0 if free_step else 1)
            for there in onward.get(here, ()):
                if there not in depth or there_at < depth[there]:
                    depth[there] = there_at
                    if free_step:
                        queue.appendleft(there)
                    else:
                        queue.append(there)
        return depth
