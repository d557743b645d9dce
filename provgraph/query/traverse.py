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
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from ..store import Store
from .derivations import transformations
from .nodes import describe_nodes
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
    graph = _Walk(seeds)
    index = store.lineage_index()
    walked = index.reach(sorted(seeds), direction) if index is not None else None
    if walked is not None:
        graph.add_edges(walked)
    frontier = sorted(seeds) if walked is None else []
    while frontier:
        # from IRI to IRI, as the index walks: a blank node, a literal or a quoted triple is no step
        found = [(frontier[at], row["node"].value) for at, row in select_numbered(store, direction, "from", frontier)
                 if isinstance(row["node"], NamedNode)]
        frontier = sorted({target for _, target in found if target not in graph.nodes})
        graph.add_edges(found)
    graph.sort()  # an order that depends neither on the engine nor on the order statements were written in
    rows = describe_nodes(store, list(graph.nodes))
    if when is not None:
        _cut(store, graph, rows, when, direction)
        seeds &= set(graph.nodes)
    _drop_metric_history(graph, rows)
    # crossing a run costs one step: an edge leaving an activity weighs 0, any other edge 1
    depths = graph.depths(seeds, lambda source: 0 if rows.get(source, {}).get("type") in _ACTIVITY_TYPES else 1)
    made_by = _generators(graph, rows, direction)
    how = _transformations(store, graph, rows, direction)
    result_rows = []
    for iri, depth in sorted(depths.items(), key=lambda item: (item[1], _order(rows.get(item[0])))):
        if iri == node.value or iri not in rows:
            continue
        row = rows[iri]  # completed in place: one dict per node, however large the answer
        row.update(depth=depth, run=made_by.get(iri))
        if iri in how:
            row["transformation"] = "; ".join(how[iri])
        result_rows.append(row)
    reached = set(depths) | {node.value}
    edges = [(a, b) for a, b in graph.edges if a in reached and b in reached]
    nodes = [node.value] + [r["iri"] for r in result_rows]
    return GraphResult(rows=result_rows, ref=ref.value if isinstance(ref, NamedNode) else ref,
                       ref_iri=node, direction=direction, node_iris=nodes, edge_iris=edges,
                       as_of=when.isoformat() if when else None, store=store)


def _order(row: dict[str, Any] | None) -> tuple[str, str, str]:
    row = row or {}
    return (str(row.get("type")), str(row.get("label")), str(row.get("iri")))


def _generators(graph: _Walk, rows: dict[str, dict[str, Any]], direction: str) -> dict[str, str]:
    """Entity IRI -> id of the run that generated it (a run maps to its own id)."""
    made_by: dict[str, str] = {}
    for a, b in graph.edges:
        run, entity = (a, b) if direction == "impact" else (b, a)
        run_row, entity_row = rows.get(run), rows.get(entity)
        if run_row and entity_row and run_row["type"] == "run" and entity_row["type"] not in _ACTIVITY_TYPES:
            made_by.setdefault(entity, run_row["id"])
    for iri, row in rows.items():
        if row["type"] == "run":
            made_by[iri] = row["id"]
    return made_by


def _transformations(store: Store, graph: _Walk, rows: dict[str, dict[str, Any]], direction: str
                     ) -> dict[str, list[str]]:
    """Node IRI -> the transformations of the derivations that reached it (column lineage); only artifacts
    are asked about, as only they are derived."""
    artifacts = [NamedNode(iri) for iri in graph.nodes if rows.get(iri, {}).get("type") == "artifact"]
    known = transformations(store, artifacts)
    found: dict[str, list[str]] = {}
    for a, b in graph.edges:
        for text in known.get((b, a) if direction == "impact" else (a, b), ()):
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
    metrics = {iri for iri in graph.nodes if rows.get(iri, {}).get("type") == "metric"}
    graph.remove([iri for iri in metrics if iri.rpartition(".")[0] in metrics])


class _Walk:
    """The part of the graph a traversal reached: nodes in the order met, edges (from, to) in order.

    Small on purpose: impact and lineage need no more than this and a 0-1 breadth-first search, and the
    command starts faster without networkx."""

    def __init__(self, seeds: Iterable[str]) -> None:
        self.nodes: dict[str, None] = dict.fromkeys(seeds)
        self.edges: dict[tuple[str, str], None] = {}

    def add_edges(self, edges: Iterable[tuple[str, str]]) -> None:
        for source, target in edges:
            self.nodes.setdefault(source)
            self.nodes.setdefault(target)
            self.edges.setdefault((source, target))

    def sort(self) -> None:
        self.edges = dict.fromkeys(sorted(self.edges))

    def remove(self, nodes: Iterable[str]) -> None:
        gone = set(nodes)
        self.nodes = {n: None for n in self.nodes if n not in gone}
        self.edges = {e: None for e in self.edges if e[0] not in gone and e[1] not in gone}

    def depths(self, seeds: Iterable[str], weight: Callable[[str], int]) -> dict[str, int]:
        """Shortest distance from any seed, each edge weighing ``weight(source)`` (0 or 1)."""
        onward: dict[str, list[str]] = {}
        for source, target in self.edges:
            onward.setdefault(source, []).append(target)
        depth = {seed: 0 for seed in seeds if seed in self.nodes}
        queue = deque(depth)
        while queue:
            here = queue.popleft()
            cost = weight(here)
            for there in onward.get(here, ()):
                if there not in depth or depth[here] + cost < depth[there]:
                    depth[there] = depth[here] + cost
                    if cost == 0:
                        queue.appendleft(there)
                    else:
                        queue.append(there)
        return depth
