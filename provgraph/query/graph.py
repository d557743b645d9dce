"""Graph questions SPARQL answers poorly, answered with networkx: the shortest derivation path between
two artifacts, the layers of the pipeline DAG, cycles (which PROV forbids), and the critical path of a
pipeline by run durations."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from ..errors import QueryError
from ..events import parse_time
from ..store import Store
from .resolve import resolve
from .sparql import select, text_of
from .traverse import impact

if TYPE_CHECKING:  # networkx is imported where a graph is built: most commands never need it
    import networkx as nx


def derivation_graph(store: Store) -> nx.DiGraph:
    """Artifacts and runs as a directed graph (``queries/edges.rq``): entity -> run that used it,
    run -> entity it generated, entity -> entity derived from it. Runs carry ``run=True``,
    ``duration`` (seconds, when known) and ``parent`` (the pipeline run they are part of)."""
    import networkx as nx

    graph: nx.DiGraph = nx.DiGraph()
    for s in select(store, "edges"):
        source, target = text_of(s["from"]) or "", text_of(s["to"]) or ""
        graph.add_edge(source, target, relation=text_of(s["relation"]))
        run = text_of(s.get("run"))
        if run is not None:
            started, ended = text_of(s.get("run_started")), text_of(s.get("run_ended"))
            duration = (parse_time(ended) - parse_time(started)).total_seconds() if started and ended else 0.0
            graph.nodes[run].update(run=True, duration=duration, parent=text_of(s.get("parent")))
    return graph


def shortest_path(store: Store, a: str | NamedNode, b: str | NamedNode,
                  root: str | Path | None = None) -> list[NamedNode]:
    """The shortest derivation path between ``a`` and ``b`` (in whichever direction one was derived
    from the other), as the nodes along it: artifacts, and the runs between them where no direct
    derivation was recorded."""
    import networkx as nx

    node_a = a if isinstance(a, NamedNode) else resolve(store, a, root)
    node_b = b if isinstance(b, NamedNode) else resolve(store, b, root)
    for start, end in ((node_a, node_b), (node_b, node_a)):
        result = impact(store, start)
        graph: nx.DiGraph = nx.DiGraph(result.edge_iris)
        seeds = [start.value] + [r["iri"] for r in result.rows if r["depth"] == 0]
        ends = {end.value} | {r["iri"] for r in _versions(store, end)}
        graph.add_nodes_from(seeds)
        graph.add_edges_from((start.value, s) for s in seeds[1:])
        best: list[str] | None = None
        for target in ends & set(graph):
            path = nx.shortest_path(graph, start.value, target)
            if best is None or len(path) < len(best):
                best = path
        if best is not None:
            return [NamedNode(n) for n in best]
    raise QueryError(f"no derivation path between {a!s} and {b!s}")


def _versions(store: Store, node: NamedNode) -> list[dict[str, str]]:
    """The versions a logical artifact stands for (depth-0 rows of its impact)."""
    return [r for r in impact(store, node).rows if r["depth"] == 0]


def layers(store: Store) -> list[list[NamedNode]]:
    """The pipeline DAG in topological layers: every node comes after everything it depends on."""
    import networkx as nx

    graph = derivation_graph(store)
    try:
        return [sorted((NamedNode(n) for n in layer), key=lambda n: n.value)
                for layer in nx.topological_generations(graph)]
    except nx.NetworkXUnfeasible as exc:
        raise QueryError("the derivation graph has a cycle; see provgraph.query.graph.cycles") from exc


def cycles(store: Store, limit: int = 100) -> list[list[NamedNode]]:
    """Up to ``limit`` derivation cycles (an entity derived, through runs, from itself); PROV
    forbids them, so a healthy store has none."""
    import networkx as nx

    graph = derivation_graph(store)
    return [[NamedNode(n) for n in cycle] for cycle in islice(nx.simple_cycles(graph), limit)]


@dataclass
class CriticalPath:
    """The chain of runs that bounds a pipeline's duration, and that duration in seconds."""

    runs: list[NamedNode] = field(default_factory=list)
    seconds: float = 0.0


def critical_path(store: Store, pipeline: str | NamedNode | None = None,
                  root: str | Path | None = None) -> CriticalPath:
    """The longest chain of dependent runs by duration (a run depends on another when it used what
    the other generated); restricted to the runs that are part of ``pipeline`` when given."""
    import networkx as nx

    graph = derivation_graph(store)
    runs = {n for n, data in graph.nodes(data=True) if data.get("run")}
    if pipeline is not None:
        parent = pipeline if isinstance(pipeline, NamedNode) else resolve(store, pipeline, root)
        runs = {n for n in runs if graph.nodes[n].get("parent") == parent.value}
    deps: nx.DiGraph = nx.DiGraph()
    source = "\0start"
    for run in runs:
        deps.add_edge(source, run, weight=graph.nodes[run]["duration"])
        for output in graph.successors(run):
            for user in graph.successors(output):
                if user in runs and user != run:
                    deps.add_edge(run, user, weight=graph.nodes[user]["duration"])
    if not runs:
        return CriticalPath()
    try:
        path = nx.dag_longest_path(deps, weight="weight")
    except nx.NetworkXUnfeasible as exc:
        raise QueryError("the runs depend on each other in a cycle") from exc
    chain = [n for n in path if n != source]
    return CriticalPath([NamedNode(n) for n in chain], sum(graph.nodes[n]["duration"] for n in chain))
