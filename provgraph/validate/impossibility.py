"""Typing (Constraint 50) and the impossibility constraints (Constraints 51-56 of PROV-CONSTRAINTS).

Constraint 51 is checked as records are read (:mod:`.statements`); the rest here, on the unified
statements.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

import networkx as nx

from .report import Violation
from .statements import ABSENT, UNIDENTIFIED, Statement, Term, records_of

SPECIALIZATION_REFLEXIVE = "Constraint 52 (impossible-specialization-reflexive)"
PROPERTY_OVERLAP = "Constraint 53 (impossible-property-overlap)"
OBJECT_PROPERTY_OVERLAP = "Constraint 54 (impossible-object-property-overlap)"
DISJOINT = "Constraint 55 (entity-activity-disjoint)"
EMPTY_COLLECTION = "Constraint 56 (membership-empty-collection)"

ENTITY, ACTIVITY, AGENT = "entity", "activity", "agent"
COLLECTION, EMPTY = "prov:Collection", "prov:EmptyCollection"
_PROV = "http://www.w3.org/ns/prov#"
_TYPED_EMPTY, _TYPED_COLLECTION = (_PROV + "type", _PROV + "EmptyCollection"), (_PROV + "type", _PROV + "Collection")

#: Constraint 50: the type each argument position gives its term, per statement kind.
ARGUMENT_TYPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "entity": (), "activity": (), "agent": (),
    "used": ((ACTIVITY,), (ENTITY,), ()),
    "wasGeneratedBy": ((ENTITY,), (ACTIVITY,), ()),
    "wasInvalidatedBy": ((ENTITY,), (ACTIVITY,), ()),
    "wasStartedBy": ((ACTIVITY,), (ENTITY,), (ACTIVITY,), ()),
    "wasEndedBy": ((ACTIVITY,), (ENTITY,), (ACTIVITY,), ()),
    "wasInformedBy": ((ACTIVITY,), (ACTIVITY,)),
    "wasDerivedFrom": ((ENTITY,), (ENTITY,), (ACTIVITY,), (), ()),
    "wasAttributedTo": ((ENTITY,), (AGENT,)),
    "wasAssociatedWith": ((ACTIVITY,), (AGENT,), (ENTITY,)),
    "actedOnBehalfOf": ((AGENT,), (AGENT,), (ACTIVITY,)),
    "wasInfluencedBy": ((), ()),
    "alternateOf": ((ENTITY,), (ENTITY,)),
    "specializationOf": ((ENTITY,), (ENTITY,)),
    "mentionOf": ((ENTITY,), (ENTITY,), ()),
    "hadMember": ((ENTITY, COLLECTION), (ENTITY,)),
}
#: Relations whose identifiers must not be shared between two of them (Constraint 53), nor with an
#: entity, activity or agent (Constraint 54). Derivation and influence are not among them: every
#: relation is an influence with its own identifier (Inference 15).
OVERLAP_RELATIONS = frozenset({
    "used", "wasGeneratedBy", "wasInvalidatedBy", "wasStartedBy", "wasEndedBy", "wasInformedBy",
    "wasAttributedTo", "wasAssociatedWith", "actedOnBehalfOf",
})


class Types:
    """``typeOf`` of Constraint 50, with the statements each type came from."""

    def __init__(self, statements: list[Statement], find: Callable[[Term], Term]) -> None:
        self.why: dict[Term, dict[str, list[Statement]]] = defaultdict(lambda: defaultdict(list))
        for statement in statements:
            if statement.kind in ("entity", "activity", "agent"):
                self._add(find(statement.ident), statement.kind, statement)
                if statement.kind == "entity" and _TYPED_EMPTY in statement.attrs:
                    self._add(find(statement.ident), COLLECTION, statement)
                    self._add(find(statement.ident), EMPTY, statement)
                elif statement.kind == "entity" and _TYPED_COLLECTION in statement.attrs:
                    self._add(find(statement.ident), COLLECTION, statement)
            for term, kinds in zip(statement.args, ARGUMENT_TYPES[statement.kind], strict=False):
                if term is not ABSENT:
                    for kind in kinds:
                        self._add(find(term), kind, statement)

    def _add(self, term: Term, kind: str, statement: Statement) -> None:
        reasons = self.why[term][kind]
        if len(reasons) < 3:
            reasons.append(statement)

    def has(self, term: Term, kind: str) -> bool:
        return term in self.why and kind in self.why[term]


def _sources(*groups: list[Statement]) -> tuple[str, ...]:
    return records_of(itertools.chain(*groups))


def check_impossible(statements: list[Statement], find: Callable[[Term], Term], types: Types,
                     bundle: str | None) -> list[Violation]:
    """Constraints 52-56 on unified statements."""
    violations: list[Violation] = []
    for term, kinds in types.why.items():
        if ENTITY in kinds and ACTIVITY in kinds:
            violations.append(Violation(DISJOINT, f"{term} is both an entity and an activity",
                                        _sources(kinds[ENTITY], kinds[ACTIVITY]), bundle))
    for statement in statements:
        if statement.kind == "hadMember" and types.has(find(statement.args[0]), EMPTY):
            collection = find(statement.args[0])
            violations.append(Violation(EMPTY_COLLECTION, f"{collection} is an empty collection with a member",
                                        _sources(types.why[collection][EMPTY], [statement]), bundle))
    relation_ids: dict[Term, dict[str, list[Statement]]] = defaultdict(lambda: defaultdict(list))
    element_ids: dict[Term, list[Statement]] = defaultdict(list)
    for statement in statements:
        if statement.kind in ("entity", "activity", "agent"):
            element_ids[find(statement.ident)].append(statement)
        elif statement.kind not in UNIDENTIFIED and not statement.inferred:
            relation_ids[find(statement.ident)][statement.kind].append(statement)
    for ident, by_kind in relation_ids.items():
        overlapping = sorted(k for k in by_kind if k in OVERLAP_RELATIONS)
        if len(overlapping) > 1:
            violations.append(Violation(PROPERTY_OVERLAP,
                                        f"{ident} identifies both {' and '.join(overlapping)}",
                                        _sources(*(by_kind[k] for k in overlapping)), bundle))
        if ident in element_ids and overlapping:
            elements = sorted({s.kind for s in element_ids[ident]})
            violations.append(Violation(OBJECT_PROPERTY_OVERLAP,
                                        f"{ident} identifies both an {' and '.join(elements)} and "
                                        f"a {' and a '.join(overlapping)}",
                                        _sources(element_ids[ident], *(by_kind[k] for k in overlapping)), bundle))
    violations.extend(_reflexive_specializations(statements, find, bundle))
    return violations


def _reflexive_specializations(statements: list[Statement], find: Callable[[Term], Term],
                               bundle: str | None) -> list[Violation]:
    """Constraint 52 after Inference 19 (specialization-transitive): no entity specializes itself."""
    graph: nx.DiGraph = nx.DiGraph()
    for statement in statements:
        if statement.kind == "specializationOf":
            specific, general = find(statement.args[0]), find(statement.args[1])
            graph.add_edge(specific, general, statement=statement)
    violations = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            involved = [data["statement"] for u, v, data in graph.edges(data=True)
                        if u in component and v in component]
            names = ", ".join(sorted(str(n) for n in component))
            violations.append(Violation(SPECIALIZATION_REFLEXIVE,
                                        f"{names} would be a specialization of itself",
                                        _sources(involved), bundle))
    return violations
