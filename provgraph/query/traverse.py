"""Impact (what was derived from X) and lineage (where X came from), now or as the graph stood then.

The store's lineage index (:mod:`provgraph.store.lineage`) gives the edges of the reachable part of the
graph in one query and then describes its nodes; a store without one (a SPARQL endpoint) is asked by
SPARQL (``queries/impact.rq``, ``queries/lineage.rq``, one query per step for the whole frontier, then
``queries/describe.rq``), which names the nodes sent by their position in the list sent, not by IRI.
The path length of each node is the shortest distance from the reference over those edges, counting
one step per run crossed: a run and the artifacts it generated share a depth in an impact answer, a
run and what it used share a depth in a lineage answer. The versions of a logical dataset, and the
outputs of a run given as the reference, are at depth 0.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterable
from datetime import datetime
from itertools import groupby
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
    seeds = {node.value} | {text_of(s["node"]) or "" for s in select(store, "versions", ref=node)}
    index = store.lineage_index()
    found = index.reach(sorted(seeds), direction) if index is not None else None
    if found is not None:
        graph = _Walk(seeds, found[0])
        rows = {iri: describe(iri, record) for iri, record in found[1].items()}
    else:
        graph = _Walk(seeds, _walked(store, seeds, direction))
        rows = describe_nodes(store, list(graph.nodes))
    if when is not None:
        _cut(store, graph, rows, when, direction)
        seeds &= set(graph.nodes)
    _drop_metric_history(graph, rows)
    # crossing a run costs one step: an edge leaving an activity weighs 0, any other edge 1
    depths = graph.depths(seeds, {iri for iri, row in rows.items() if row["type"] in _ACTIVITY_TYPES})
    made_by = _generators(graph, rows, direction)
    how = _transformations(store, graph, rows, direction)
    result_rows = []
    for iri, depth in depths.items():
        row = rows.get(iri)
        if row is None or iri == node.value:
            continue
        # completed in place: one dict per node, however large the answer
        row["depth"], row["run"] = depth, made_by.get(iri)
        if iri in how:
            row["transformation"] = "; ".join(how[iri])
        result_rows.append(row)
    result_rows.sort(key=itemgetter("depth", "type", "label", "iri"))
    # every edge whose ends are both reached (all of them, unless a node was cut off)
    edges = list(graph.edges) if len(depths) == len(graph.nodes) else \
        [(a, b) for a, b in graph.edges if a in depths and b in depths]
    nodes = [node.value] + [r["iri"] for r in result_rows]
    return GraphResult(rows=result_rows, ref=ref.value if isinstance(ref, NamedNode) else ref,
                       ref_iri=node, direction=direction, node_iris=nodes, edge_iris=edges,
                       as_of=when.isoformat() if when else None, store=store)


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


def _generators(graph: _Walk, rows: dict[str, dict[str, Any]], direction: str) -> dict[str, str]:
    """Entity IRI -> id of the run that generated it (a run maps to its own id)."""
    runs = {iri: row["id"] for iri, row in rows.items() if row["type"] == "run"}
    entities = {iri for iri, row in rows.items() if row["type"] not in _ACTIVITY_TYPES}
    made_by: dict[str, str] = {}
    for a, b in graph.edges:
        run, entity = (a, b) if direction == "impact" else (b, a)
        if run in runs and entity in entities and entity not in made_by:
            made_by[entity] = runs[run]
    made_by.update(runs)
    return made_by


def _transformations(store: Store, graph: _Walk, rows: dict[str, dict[str, Any]], direction: str
                     ) -> dict[str, list[str]]:
    """Node IRI -> the transformations of the derivations that reached it (column lineage), in the order of
    the edges; only artifacts are asked about, as only they are derived."""
    known = transformations(store, (NamedNode(iri) for iri in graph.nodes
                                    if iri in rows and rows[iri]["type"] == "artifact"))
    # the edges (from, to) the derivations known are, from their (derived, source)
    edges = sorted(edge for derived, source in known
                   if (edge := (source, derived) if direction == "impact" else (derived, source)) in graph.edges)
    found: dict[str, list[str]] = {}
    for a, b in edges:
        for text in known[(b, a) if direction == "impact" else (a, b)]:
            if text not in found.setdefault(b, []):
                found[b].append(text)
    return found


def _cut(store: Store, graph: _Walk, rows: dict[str, dict[str, Any]], moment: datetime,
         direction: str) -> None:
    """Remove what was not yet in the graph at ``moment``: later activities and what only they made."""
    later = {text_of(s["activity"]) for s in select(store, "as-of", time=moment) if s.get("activity")}
    gone = [n for n in graph.nodes if n in later]
    made: dict[str, list[str]] = {}
    for a, b in graph.edges:
        source_type, target_type = rows.get(a, {}).get("type"), rows.get(b, {}).get("type")
        if direction == "impact" and source_type in _ACTIVITY_TYPES and target_type not in _ACTIVITY_TYPES:
            made.setdefault(b, []).append(a)
        if direction == "lineage" and target_type in _ACTIVITY_TYPES and source_type not in _ACTIVITY_TYPES:
            made.setdefault(a, []).append(b)
    gone += [entity for entity, makers in made.items() if all(m in later for m in makers)]
    graph.remove(gone)


def _drop_metric_history(graph: _Walk, rows: dict[str, dict[str, Any]]) -> None:
    """Keep a metric's final value, not every point of its history (``<final>.<step>``)."""
    metrics = {iri for iri, row in rows.items() if row["type"] == "metric" and iri in graph.nodes}
    history = [iri for iri in metrics if iri.rpartition(".")[0] in metrics]
    if history:
        graph.remove(history)


class _Walk:
    """The part of the graph a traversal reached: nodes in the order met, edges (from, to) in order.

    Small on purpose: impact and lineage need no more than this and a 0-1 breadth-first search, and the
    command starts faster without networkx."""

    def __init__(self, seeds: Iterable[str], edges: Iterable[tuple[str, str]]) -> None:
        # edges in IRI order: an order that depends neither on the engine nor on the order statements were
        # written in
        self.edges: dict[tuple[str, str], None] = dict.fromkeys(sorted(set(edges)))
        self.nodes: dict[str, None] = dict.fromkeys(seeds)
        for source, target in self.edges:
            self.nodes[source] = self.nodes[target] = None

    def remove(self, nodes: Iterable[str]) -> None:
        gone = set(nodes)
        self.nodes = {n: None for n in self.nodes if n not in gone}
        self.edges = {e: None for e in self.edges if e[0] not in gone and e[1] not in gone}

    def depths(self, seeds: Iterable[str], free: Container[str]) -> dict[str, int]:
        """Shortest distance from any seed, an edge weighing 0 if it leaves a node of ``free``, else 1."""
        onward = {source: [target for _, target in group] for source, group in groupby(self.edges, itemgetter(0))}
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
