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
    """The drawable part of a store: ``graph`` (MultiDiGraph keyed by relation) and node ``kinds``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.kinds: dict[str, str] = {}
        types: dict[str, set[str]] = defaultdict(set)
        for row in select(store, "render-types"):
            types[row["node"].value].add(_local(row["type"].value))
        for node, found in types.items():
            if "Activity" in found:
                self.kinds[node] = "activity"
                self.graph.add_node(node)
        for row in select(store, "render-edges"):
            s, p, o = row["s"].value, _local(row["p"].value), row["o"].value
            if p == "used" and not _drawable(types.get(o)):
                continue  # parameters, environments, code versions, scripts
            if p in ("wasGeneratedBy", "specializationOf") and not _drawable(types.get(s)):
                continue  # metric values, scripts
            subject_kind, object_kind = RELATIONS[p]
            self.kinds.setdefault(s, subject_kind)
            self.kinds.setdefault(o, object_kind)
            self.graph.add_edge(s, o, key=p)
        #: (derived, source) -> how it was derived (column lineage), drawn on the wasDerivedFrom edge
        self.transformations = transformations(store)
        self.flow = self.graph.edge_subgraph(
            [(u, v, k) for u, v, k in self.graph.edges(keys=True) if k in FLOW]
        )

    def targets(self, node: str, relation: str) -> list[str]:
        """Objects of ``node relation ?o``."""
        if node not in self.graph:
            return []
        return [v for _, v, k in self.graph.out_edges(node, keys=True) if k == relation]

    def sources(self, node: str, relation: str) -> list[str]:
        """Subjects of ``?s relation node``."""
        if node not in self.graph:
            return []
        return [u for u, _, k in self.graph.in_edges(node, keys=True) if k == relation]

    def lineage(self, seeds: Iterable[str], depth: int | None = None) -> dict[str, int]:
        """Nodes the seeds come from (flow edges followed forward), with their distance."""
        return _reach(self.flow, seeds, depth)

    def impact(self, seeds: Iterable[str], depth: int | None = None) -> dict[str, int]:
        """Nodes derived from the seeds (flow edges followed backward), with their distance."""
        return _reach(self.flow.reverse(copy=False), seeds, depth)

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


def _reach(graph: nx.MultiDiGraph, seeds: Iterable[str], depth: int | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for seed in seeds:
        if seed not in graph:
            found.setdefault(seed, 0)
            continue
        for node, distance in nx.single_source_shortest_path_length(graph, seed, cutoff=depth).items():
            if distance < found.get(node, distance + 1):
                found[node] = distance
    return found


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


