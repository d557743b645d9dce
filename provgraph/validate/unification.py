"""Uniqueness constraints (PROV-CONSTRAINTS section 5.1) by unification of terms.

Statements that the constraints say are the same (same kind and identifier; or two generations of
one entity by one activity, two invalidations likewise, two starts of one activity by one starter,
two ends likewise) are merged: their arguments are unified (a variable takes the other side's value),
their attributes are pooled. Two different constants cannot be unified: that is a violation, named
after the constraint that asked for the merge. Merging runs to a fixpoint, because binding a
variable can make two more statements share a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .report import Violation
from .statements import UNIDENTIFIED, Const, Statement, Term, records_of

KEY_OBJECT = "Constraint 22 (key-object)"
KEY_PROPERTIES = "Constraint 23 (key-properties)"
#: Relations with one event per pair of arguments, by constraint: the generation (invalidation) of
#: an entity by an activity, the start (end) of an activity by a starter (ender) activity.
UNIQUE_EVENT = {
    "wasGeneratedBy": ("Constraint 24 (unique-generation)", 1),
    "wasInvalidatedBy": ("Constraint 25 (unique-invalidation)", 1),
    "wasStartedBy": ("Constraint 26 (unique-wasStartedBy)", 2),
    "wasEndedBy": ("Constraint 27 (unique-wasEndedBy)", 2),
}
#: Constraints 28 and 29: an activity's start/end time is its start/end event's time.
UNIQUE_TIME = {
    "wasStartedBy": (0, "Constraint 28 (unique-startTime)"),
    "wasEndedBy": (1, "Constraint 29 (unique-endTime)"),
}
ELEMENT_KINDS = frozenset({"entity", "activity", "agent"})


class Unifier:
    """Union-find over terms; a class never holds two different constants."""

    def __init__(self) -> None:
        self._parent: dict[Term, Term] = {}

    def find(self, term: Term) -> Term:
        root = term
        while (parent := self._parent.get(root)) is not None:
            root = parent
        while term != root:  # path compression
            parent = self._parent[term]
            self._parent[term] = root
            term = parent
        return root

    def union(self, left: Term, right: Term) -> tuple[bool, bool]:
        """Unify two terms; return (possible, changed)."""
        a, b = self.find(left), self.find(right)
        if a == b:
            return True, False
        if isinstance(a, Const) and isinstance(b, Const):
            return False, False
        if isinstance(a, Const):
            a, b = b, a
        self._parent[a] = b
        return True, True


@dataclass
class Unification:
    """Outcome of the uniqueness pass."""

    unifier: Unifier
    violations: list[Violation] = field(default_factory=list)
    merges: int = 0


def _key_name(statement: Statement) -> str:
    return KEY_OBJECT if statement.kind in ELEMENT_KINDS else KEY_PROPERTIES


def _conflict(constraint: str, what: str, left: Term, right: Term, statements: list[Statement],
              bundle: str | None) -> Violation:
    records = records_of(statements)
    inferred = sorted({s.inferred for s in statements if s.inferred})
    why = f" (after {', '.join(inferred)})" if inferred else ""
    return Violation(constraint, f"{what}: {left} and {right} cannot be unified{why}", records, bundle)


class _Merger:
    def __init__(self, bundle: str | None) -> None:
        self.result = Unification(Unifier())
        self.bundle = bundle
        self._reported: set[tuple[str, ...]] = set()
        self.changed = False
        self.merged: set[tuple[int, int]] = set()

    def unify(self, constraint: str, what: str, left: Term, right: Term, statements: list[Statement]) -> bool:
        find = self.result.unifier.find
        shown = (find(left), find(right))
        possible, changed = self.result.unifier.union(left, right)
        self.changed |= changed
        if not possible:
            violation = _conflict(constraint, what, shown[0], shown[1], statements, self.bundle)
            if violation.records not in self._reported:  # the same clash, met again by another constraint
                self._reported.add(violation.records)
                self.result.violations.append(violation)
        return possible

    def merge(self, constraint: str, first: Statement, other: Statement) -> None:
        """Key constraints: same kind and identifier, so the arguments are equal too."""
        pair = [first, other]
        ok = True
        for name, a, b in zip(first.names, first.args, other.args, strict=True):
            ok &= self.unify(constraint, f"{first.kind} {first.ident} has two values for {name}", a, b, pair)
        if ok:
            first.attrs |= other.attrs
            self.merged.add((id(first), id(other)))


def unify_statements(statements: list[Statement], bundle: str | None = None) -> Unification:
    """Apply Constraints 22-29 to a fixpoint; return the substitution and the conflicts found."""
    merger = _Merger(bundle)
    find: Callable[[Term], Term] = merger.result.unifier.find
    keyed = [s for s in statements if s.kind not in UNIDENTIFIED]
    first_pass = True
    while first_pass or merger.changed:
        first_pass, merger.changed = False, False
        by_key: dict[tuple[str, Term], Statement] = {}
        by_pair: dict[tuple[str, Term, Term], Statement] = {}
        activities: dict[Term, Statement] = {}
        for statement in keyed:
            first = by_key.setdefault((statement.kind, find(statement.ident)), statement)
            if first is not statement:
                merger.merge(_key_name(statement), first, statement)
            if statement.kind == "activity":
                activities.setdefault(find(statement.ident), statement)
            if statement.kind in UNIQUE_EVENT:
                constraint, other = UNIQUE_EVENT[statement.kind]
                pair = (find(statement.args[0]), find(statement.args[other]))
                one = by_pair.setdefault((statement.kind, *pair), statement)
                what = f"{statement.kind}({pair[0]}, {statement.names[other]} {pair[1]}) has two identifiers"
                if one is not statement and merger.unify(constraint, what, one.ident, statement.ident,
                                                         [one, statement]):
                    merger.merge(constraint, one, statement)
        for statement in keyed:
            if statement.kind in UNIQUE_TIME and (activity := activities.get(find(statement.args[0]))):
                position, constraint = UNIQUE_TIME[statement.kind]
                merger.unify(constraint, f"activity {activity.ident} and its {statement.kind} disagree on the time",
                             activity.args[position], statement.args[3], [activity, statement])
    merger.result.merges = len(merger.merged)
    return merger.result
