"""Reading the lineage a diagram draws out of a store: a networkx graph of runs, artifacts and agents.

Edges point the PROV way, from effect to cause (``entity -wasGeneratedBy-> activity``,
``activity -used-> entity``), so a node's lineage is what it reaches and its impact is what reaches it
along the *flow* relations (used, wasGeneratedBy, wasDerivedFrom). The other relations (associations,
attributions, delegation, specialization, invalidation, run nesting) decorate the nodes a scope keeps.
Details (labels, hashes, parameters, metrics) are fetched only for the nodes finally shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pyoxigraph import Literal, NamedNode

from ..query.derivations import transformations
from ..query.sparql import select, select_many
from ..store import Store
from ..vocab import PROVML, RDF, RDFS

#: The relations a diagram draws, by local name, with the PROV type of subject and object.
RELATIONS: dict[str, tuple[str, str]] = {
    "used": ("activity", "entity"),
    "wasGeneratedBy": ("entity", "activity"),
    "wasDerivedFrom": ("entity", "entity"),
    "wasAssociatedWith": ("activity", "agent"),
    "wasAttributedTo": ("entity", "agent"),
    "actedOnBehalfOf": ("agent", "agent"),
    "specializationOf": ("entity", "entity"),
    "wasInvalidatedBy": ("entity", "activity"),
    "partOfRun": ("activity", "activity"),
}
FLOW = ("used", "wasGeneratedBy", "wasDerivedFrom")


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


@dataclass
class Node:
    """One node of the diagram: its IRI, PROV kind (entity, activity, agent) and details."""

    iri: str
    kind: str
    types: set[str] = field(default_factory=set)
    props: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)

    def one(self, prop: NamedNode) -> Any:
        values = self.props.get(prop.value)
        return values[0] if values else None

    def has_type(self, cls: NamedNode) -> bool:
        return cls.value in self.types

    @property
    def is_run(self) -> bool:
        return self.has_type(PROVML.Run)

    @property
    def is_logical(self) -> bool:
        return self.has_type(PROVML.LogicalArtifact) or self.has_type(PROVML.Dataset)

    @property
    def name(self) -> str:
        return self.one(PROVML.stepName) or self.one(RDFS.label) or _local(self.iri)

    @property
    def artifact_kind(self) -> str | None:
        return self.one(PROVML.artifactKind)


class LineageGraph:
    """The drawable part of a store: ``graph`` (MultiDiGraph keyed by relation) and node ``kinds``.

    Read whole by default. With ``lazy``, it starts empty and reads a node's statements when they are
    first asked for (its types and outgoing edges by :meth:`kind` and :meth:`targets`, its incoming edges
    by :meth:`sources`), so a diagram of one run or one node's lineage reads what it draws and the paths
    it follows, not the store.
    """

    def __init__(self, store: Store, lazy: bool = False) -> None:
        self.store = store
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.kinds: dict[str, str] = {}
        self._types: dict[str, set[str]] = defaultdict(set)
        self.lazy = lazy
        self._typed: set[str] = set()
        self._out: set[str] = set()
        self._in: set[str] = set()
        if lazy:
            #: (derived, source) -> how it was derived (column lineage), drawn on the wasDerivedFrom edge
            self.transformations: dict[tuple[str, str], list[str]] = {}
            return
        for row in select(store, "render-types"):
            self._types[row["node"].value].add(_local(row["type"].value))
        self._add_kinds(self._types)
        self._add_edges(select(store, "render-edges").rows)
        self.transformations = transformations(store)

    def _add_kinds(self, nodes: Iterable[str]) -> None:
        for node in nodes:
            if "Activity" in self._types.get(node, ()):
                self.kinds[node] = "activity"
                self.graph.add_node(node)

    def _add_edges(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            s, p, o = row["s"].value, _local(row["p"].value), row["o"].value
            if p == "used" and not _drawable(self._types.get(o)):
                continue  # parameters, environments, code versions, scripts
            if p in ("wasGeneratedBy", "specializationOf") and not _drawable(self._types.get(s)):
                continue  # metric values, scripts
            subject_kind, object_kind = RELATIONS[p]
            self.kinds.setdefault(s, subject_kind)
            self.kinds.setdefault(o, object_kind)
            self.graph.add_edge(s, o, key=p)

    def _read_types(self, nodes: Iterable[str]) -> None:
        wanted = sorted(set(nodes) - self._typed)
        if not wanted:
            return
        self._typed.update(wanted)
        for row in select_many(self.store, "render-types", "node", [NamedNode(n) for n in wanted]):
            self._types[row["node"].value].add(_local(row["type"].value))
        self._add_kinds(wanted)

    def _read(self, nodes: Iterable[str], incoming: bool) -> None:
        """Read the edges from (or to) ``nodes`` not read yet, with the types of both ends (lazy only)."""
        done = self._in if incoming else self._out
        wanted = sorted(set(nodes) - done)
        if not self.lazy or not wanted:
            return
        done.update(wanted)
        rows = select_many(self.store, "render-edges", "o" if incoming else "s", [NamedNode(n) for n in wanted])
        self._read_types([*wanted, *(row["s" if incoming else "o"].value for row in rows)])
        self._add_edges(rows)
        if not incoming:
            self.transformations.update(transformations(self.store, [NamedNode(n) for n in wanted]))

    def load(self, nodes: Iterable[str]) -> None:
        """Make sure the types and outgoing edges of ``nodes`` are read (a no-op on a whole graph)."""
        self._read(nodes, incoming=False)

    def kind(self, node: str) -> str | None:
        """``"activity"``, ``"entity"``, ``"agent"`` or ``None`` (not something a diagram draws): from its
        types or the edges it has (outgoing first; incoming when those do not tell)."""
        self.load([node])
        if node not in self.kinds:
            self._read([node], incoming=True)
        return self.kinds.get(node)

    def edges_among(self, nodes: Iterable[str]) -> list[tuple[str, str, str]]:
        """The edges (tail, head, relation) between ``nodes``."""
        scope = set(nodes)
        self.load(scope)
        return list(self.graph.subgraph(scope).edges(keys=True))

    def targets(self, node: str, relation: str) -> list[str]:
        """Objects of ``node relation ?o``."""
        self.load([node])
        if node not in self.graph:
            return []
        return [v for _, v, k in self.graph.out_edges(node, keys=True) if k == relation]

    def sources(self, node: str, relation: str) -> list[str]:
        """Subjects of ``?s relation node``."""
        self._read([node], incoming=True)
        if node not in self.graph:
            return []
        return [u for u, _, k in self.graph.in_edges(node, keys=True) if k == relation]

    def lineage(self, seeds: Iterable[str], depth: int | None = None) -> dict[str, int]:
        """Nodes the seeds come from (flow edges followed forward), with their distance."""
        return self._reach(seeds, depth, incoming=False)

    def impact(self, seeds: Iterable[str], depth: int | None = None) -> dict[str, int]:
        """Nodes derived from the seeds (flow edges followed backward), with their distance."""
        return self._reach(seeds, depth, incoming=True)

    def _reach(self, seeds: Iterable[str], depth: int | None, incoming: bool) -> dict[str, int]:
        """Breadth first along the flow relations, a level at a time (read in one batch when lazy)."""
        step = self.sources if incoming else self.targets
        found = dict.fromkeys(seeds, 0)
        frontier = list(found)
        distance = 0
        while frontier and (depth is None or distance < depth):
            distance += 1
            self._read(frontier, incoming)
            reached = []
            for node in frontier:
                for relation in FLOW:
                    for other in step(node, relation):
                        if other not in found:
                            found[other] = distance
                            reached.append(other)
            frontier = reached
        return found

    def versions(self, logical: str) -> list[str]:
        """The artifact versions that are ``prov:specializationOf`` a logical artifact."""
        return self.sources(logical, "specializationOf")

    def details(self, iris: Iterable[str]) -> dict[str, Node]:
        """A :class:`Node` with types, literal properties, parameters and metrics for each IRI."""
        wanted = sorted(set(iris))
        nodes = {iri: Node(iri, self.kinds.get(iri, "entity")) for iri in wanted}
        runs = [iri for iri in wanted if self.kinds.get(iri) == "activity"]
        facts: dict[str, list[str]] = defaultdict(list)
        for row in select_many(self.store, "render-run-facts", "run", [NamedNode(r) for r in runs]):
            facts[row["run"].value].append(row["fact"].value)
        described = {iri: Node(iri, "entity") for found in facts.values() for iri in found}
        described.update(nodes)
        for row in select_many(self.store, "render-details", "node", [NamedNode(n) for n in sorted(described)]):
            node = described[row["node"].value]
            if row["p"].value == RDF.type.value:
                node.types.add(row["o"].value)
            else:
                node.props[row["p"].value].append(_python(row["o"]))
        for run, found in facts.items():
            _summarize(nodes[run], [described[iri] for iri in sorted(found)])
        return nodes


def _drawable(types: set[str] | None) -> bool:
    """Whether an entity is an artifact version or logical artifact a diagram draws (not a script)."""
    found = types or set()
    return "SourceCode" not in found and bool(found & {"Artifact", "LogicalArtifact", "Dataset"})


def _summarize(run: Node, facts: list[Node]) -> None:
    """Fill a run's parameters, final metrics and environment/code facts from the nodes describing it."""
    steps: dict[str, float] = {}
    for fact in facts:
        name, value = fact.one(PROVML.name), fact.one(PROVML.value)
        if fact.has_type(PROVML.HyperParameterSetting) and name is not None:
            run.params[name] = value
        elif fact.has_type(PROVML.MetricValue) and name is not None:
            step = fact.one(PROVML.step)
            rank = float(step) if step is not None else float("-inf")
            if rank >= steps.get(name, float("-inf")):
                steps[name] = rank
                run.metrics[name] = value
        elif fact.has_type(PROVML.Environment):
            for key, prop in (("python", PROVML.pythonVersion), ("host", PROVML.hostname),
                              ("platform", PROVML.platform), ("container", PROVML.containerImage)):
                if fact.one(prop) is not None:
                    run.facts[key] = str(fact.one(prop))
        elif fact.has_type(PROVML.CodeVersion):
            run.facts["commit"] = str(fact.one(PROVML.gitCommit))
            if fact.one(PROVML.gitDirty):
                run.facts["dirty"] = "yes"
        elif fact.has_type(PROVML.SourceCode):
            run.facts["script"] = str(fact.one(PROVML.location))


def _python(term: Any) -> Any:
    """A plain Python value for a literal (numbers and booleans typed), ``None`` when unbound."""
    if not isinstance(term, Literal):
        return None if term is None else term.value
    kind = _local(term.datatype.value)
    try:
        if kind in ("integer", "long", "int"):
            return int(term.value)
        if kind in ("double", "decimal", "float"):
            return float(term.value)
    except ValueError:
        return term.value
    if kind == "boolean":
        return term.value == "true"
    return term.value


