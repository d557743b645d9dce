"""Event ordering (PROV-CONSTRAINTS section 5.2): the precedence graph and its strict cycles.

Every activity has start and end events and every entity generation and invalidation events
(Inferences 7 and 8). An activity may have several starts (by different starters) and an entity
several generations (by different activities), but Constraints 31, 32, 39 and 40 order all of them
both ways, so for finding strict cycles they are one node, named by the object: ``("start", a)``,
``("end", a)``, ``("generation", e)``, ``("invalidation", e)``; usages are named by their identifier
``("usage", u)``. Events exist for every term typed entity or activity (Constraint 50), not only
for those declared by an ``entity``/``activity`` statement, as every entity is generated and every
activity started in PROV's semantics: ``wasDerivedFrom(e, e)`` alone is a strict cycle.

Constraints 30-49 add edges "precedes or equals" (non-strict) and "strictly precedes"
(Constraint 42). A cycle through a strict edge orders an event strictly before itself: the
instance is invalid.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from .impossibility import ACTIVITY, ENTITY, Types
from .report import Violation
from .statements import ABSENT, Statement, Term, records_of

Event = tuple[str, Term]
#: Steps of a cycle spelt out in a violation's message (its records list every statement involved).
SHOWN_STEPS = 12


@dataclass(frozen=True)
class Edge:
    strict: bool
    constraint: str
    statement: Statement


class PrecedenceGraph:
    """Events and the orderings between them, each edge remembering the constraint and statement."""

    def __init__(self) -> None:
        self.edges: dict[tuple[Event, Event], Edge] = {}

    def add(self, before: Event | None, after: Event | None, constraint: str, statement: Statement,
            strict: bool = False) -> None:
        if before is None or after is None:
            return
        existing = self.edges.get((before, after))
        if existing is None or (strict and not existing.strict):
            self.edges[(before, after)] = Edge(strict, constraint, statement)

    @property
    def events(self) -> int:
        return len({event for pair in self.edges for event in pair})

    def strict_cycles(self) -> list[list[tuple[Event, Event, Edge]]]:
        """For each strongly connected set of events holding a strict edge, one shortest cycle through it."""
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_edges_from(self.edges)
        component: dict[Event, int] = {}
        for number, events in enumerate(nx.strongly_connected_components(graph)):
            component.update(dict.fromkeys(events, number))
        inside: dict[int, list[tuple[Event, Event]]] = {}
        for (u, v), edge in self.edges.items():
            if edge.strict and component[u] == component[v]:
                inside.setdefault(component[u], []).append((u, v))
        cycles = []
        for number, strict in sorted(inside.items()):
            u, v = min(strict, key=str)
            sub = graph.subgraph([e for e, n in component.items() if n == number])
            nodes = [u, *nx.shortest_path(sub, v, u)]
            cycles.append([(a, b, self.edges[(a, b)]) for a, b in itertools.pairwise(nodes)])
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
        shown = cycle if len(cycle) <= SHOWN_STEPS else cycle[:SHOWN_STEPS]
        steps = " ; ".join(f"{_show(u)} {'<' if e.strict else '<='} {_show(v)} by {e.constraint}"
                           for u, v, e in shown)
        if len(shown) < len(cycle):
            steps += f" ; ... ({len(cycle) - len(shown)} more steps back to {_show(cycle[0][0])})"
        violations.append(Violation(strict.constraint, f"an event strictly precedes itself: {steps}",
                                    records_of(edge.statement for _, _, edge in cycle), bundle))
    return violations, graph
