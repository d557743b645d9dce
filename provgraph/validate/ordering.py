"""Event ordering (PROV-CONSTRAINTS section 5.2): the precedence graph and its strict cycles.

Every activity has start and end events and every entity generation and invalidation events
(Inferences 7 and 8). An activity may have several starts (by different starters) and an entity
several generations (by different activities), but Constraints 31, 32, 39 and 40 order all of them
both ways, so for finding strict cycles they are one node, named by the object: ``("start", a)``,
``("end", a)``, ``("generation", e)``, ``("invalidation", e)``; usages are named by their identifier
``("usage", u)``. Constraints 30-49 add edges "precedes or equals" (non-strict) and
"strictly precedes" (Constraint 42). A cycle through a strict edge orders an event strictly before
itself: the instance is invalid.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from .impossibility import ACTIVITY, ENTITY, Types
from .report import Violation
from .statements import ABSENT, Statement, Term

Event = tuple[str, Term]


@dataclass(frozen=True)
class Edge:
    strict: bool
    constraint: str
    statement: Statement


class PrecedenceGraph:
    """Events and the orderings between them, each edge remembering the constraint and statement."""

    def __init__(self) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()

    def add(self, before: Event | None, after: Event | None, constraint: str, statement: Statement,
            strict: bool = False) -> None:
        if before is None or after is None:
            return
        existing = self.graph.get_edge_data(before, after)
        if existing is None or (strict and not existing["edge"].strict):
            self.graph.add_edge(before, after, edge=Edge(strict, constraint, statement))

    def strict_cycles(self) -> list[list[tuple[Event, Event, Edge]]]:
        """For each strongly connected set of events holding a strict edge, one shortest cycle through it."""
        cycles = []
        for component in nx.strongly_connected_components(self.graph):
            sub = self.graph.subgraph(component)
            strict = [(u, v) for u, v, data in sub.edges(data=True) if data["edge"].strict]
            if not strict:
                continue
            u, v = min(strict, key=str)
            nodes = [u, *nx.shortest_path(sub, v, u)]
            cycles.append([(a, b, self.graph[a][b]["edge"]) for a, b in itertools.pairwise(nodes)])
        return cycles


def _name(number: int, name: str) -> str:
    return f"Constraint {number} ({name})"


def build_graph(statements: list[Statement], find: Callable[[Term], Term], types: Types) -> PrecedenceGraph:
    """Constraints 30-49 as edges between the events of the unified statements."""
    graph = PrecedenceGraph()

    def event(kind: str, term: Term) -> Event | None:
        if term is ABSENT:
            return None
        root = find(term)
        needed = ACTIVITY if kind in ("start", "end") else ENTITY
        return (kind, root) if types.has(root, needed) else None

    def start(t: Term) -> Event | None:
        return event("start", t)

    def end(t: Term) -> Event | None:
        return event("end", t)

    def gen(t: Term) -> Event | None:
        return event("generation", t)

    def inv(t: Term) -> Event | None:
        return event("invalidation", t)

    for term, kinds in types.why.items():
        if ACTIVITY in kinds:
            graph.add(start(term), end(term), _name(30, "start-precedes-end"), kinds[ACTIVITY][0])
        if ENTITY in kinds:
            graph.add(gen(term), inv(term), _name(36, "generation-precedes-invalidation"), kinds[ENTITY][0])
    for s in statements:
        a = s.args
        if s.kind == "used":
            use: Event = ("usage", find(s.ident))
            graph.add(start(a[0]), use, _name(33, "usage-within-activity"), s)
            graph.add(use, end(a[0]), _name(33, "usage-within-activity"), s)
            graph.add(gen(a[1]), use, _name(37, "generation-precedes-usage"), s)
            graph.add(use, inv(a[1]), _name(38, "usage-precedes-invalidation"), s)
        elif s.kind == "wasGeneratedBy":
            graph.add(start(a[1]), gen(a[0]), _name(34, "generation-within-activity"), s)
            graph.add(gen(a[0]), end(a[1]), _name(34, "generation-within-activity"), s)
        elif s.kind == "wasInformedBy":
            graph.add(start(a[1]), end(a[0]), _name(35, "wasInformedBy-ordering"), s)
        elif s.kind == "wasDerivedFrom":
            if a[3] is not ABSENT and a[4] is not ABSENT:
                graph.add(("usage", find(a[4])), gen(a[0]), _name(41, "derivation-usage-generation-ordering"), s)
            graph.add(gen(a[1]), gen(a[0]), _name(42, "derivation-generation-generation-ordering"), s, strict=True)
        elif s.kind in ("wasStartedBy", "wasEndedBy"):
            number, name, own = (43, "wasStartedBy-ordering", start) if s.kind == "wasStartedBy" else \
                (44, "wasEndedBy-ordering", end)
            graph.add(gen(a[1]), own(a[0]), _name(number, name), s)
            graph.add(own(a[0]), inv(a[1]), _name(number, name), s)
        elif s.kind == "specializationOf":
            graph.add(gen(a[1]), gen(a[0]), _name(45, "specialization-generation-ordering"), s)
            graph.add(inv(a[0]), inv(a[1]), _name(46, "specialization-invalidation-ordering"), s)
        elif s.kind == "wasAssociatedWith":
            name = _name(47, "wasAssociatedWith-ordering")
            graph.add(start(a[0]), inv(a[1]), name, s)
            graph.add(gen(a[1]), end(a[0]), name, s)
            graph.add(start(a[0]), end(a[1]), name, s)
            graph.add(start(a[1]), end(a[0]), name, s)
        elif s.kind == "wasAttributedTo":
            name = _name(48, "wasAttributedTo-ordering")
            graph.add(gen(a[1]), gen(a[0]), name, s)
            graph.add(start(a[1]), gen(a[0]), name, s)
        elif s.kind == "actedOnBehalfOf":
            name = _name(49, "actedOnBehalfOf-ordering")
            graph.add(gen(a[1]), inv(a[0]), name, s)
            graph.add(start(a[1]), end(a[0]), name, s)
    return graph


def _show(event: Event) -> str:
    return f"{event[0]}({event[1]})"


def check_ordering(statements: list[Statement], find: Callable[[Term], Term], types: Types,
                   bundle: str | None) -> tuple[list[Violation], PrecedenceGraph]:
    """Strict cycles of the precedence graph, one violation per strict edge on a cycle."""
    graph = build_graph(statements, find, types)
    violations = []
    for cycle in graph.strict_cycles():
        strict = next(edge for _, _, edge in cycle if edge.strict)
        steps = " ; ".join(f"{_show(u)} {'<' if e.strict else '<='} {_show(v)} by {e.constraint}"
                           for u, v, e in cycle)
        records: list[str] = []
        for _, _, edge in cycle:
            records.extend(r for r in edge.statement.sources if r not in records)
        violations.append(Violation(strict.constraint, f"an event strictly precedes itself: {steps}",
                                    tuple(records), bundle))
    return violations, graph
