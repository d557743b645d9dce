"""PROV statements as logic terms: constants, existential variables and the absent marker.

A ``prov`` record becomes a :class:`Statement` after the PROV-CONSTRAINTS definitions are applied:
a missing identifier becomes a fresh existential variable (Definition 1, optional-identifiers), and an
omitted optional argument (``-``) becomes one too (Definition 4, optional-placeholders), except where
the specification keeps ``-`` as "not given": the plan of an association, and the activity,
generation and usage of a derivation that names no activity. Records that lack a required argument
are malformed (PROV-DM) and reported, not interpreted.

One reading follows the reference validator (ProvToolbox) rather than the PROV-N grammar: a
delegation without its responsible agent (``actedOnBehalfOf(id; ag2, -, a)``) is read as naming an
unknown agent, as the W3C/ProvToolbox unification test cases expect, not rejected as malformed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import prov.model as pm

from .report import Violation

WELL_FORMED = "PROV-DM well-formedness"


@dataclass(frozen=True)
class Const:
    """A constant: an identifier (compared by IRI) or a time value. ``label`` is for messages only."""

    value: object
    label: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.label or str(self.value)


@dataclass(frozen=True)
class Var:
    """An existential variable introduced by a definition or an inference."""

    number: int

    def __str__(self) -> str:
        return f"_:v{self.number}"


Term = Const | Var

#: ``-`` where the specification forbids expanding it to a variable; unifies only with itself.
ABSENT = Const(object(), "-")

REQUIRED, EXPANDED, KEPT = "required", "expanded", "kept"

#: PROV-N name and argument modes of every relation, in the ``prov`` package's argument order.
RELATIONS: dict[type[pm.ProvRecord], tuple[str, tuple[str, ...]]] = {
    pm.ProvGeneration: ("wasGeneratedBy", (REQUIRED, EXPANDED, EXPANDED)),
    pm.ProvUsage: ("used", (REQUIRED, EXPANDED, EXPANDED)),
    pm.ProvCommunication: ("wasInformedBy", (REQUIRED, REQUIRED)),
    pm.ProvStart: ("wasStartedBy", (REQUIRED, EXPANDED, EXPANDED, EXPANDED)),
    pm.ProvEnd: ("wasEndedBy", (REQUIRED, EXPANDED, EXPANDED, EXPANDED)),
    pm.ProvInvalidation: ("wasInvalidatedBy", (REQUIRED, EXPANDED, EXPANDED)),
    pm.ProvDerivation: ("wasDerivedFrom", (REQUIRED, REQUIRED, EXPANDED, EXPANDED, EXPANDED)),
    pm.ProvAttribution: ("wasAttributedTo", (REQUIRED, REQUIRED)),
    pm.ProvAssociation: ("wasAssociatedWith", (REQUIRED, EXPANDED, KEPT)),
    pm.ProvDelegation: ("actedOnBehalfOf", (REQUIRED, EXPANDED, EXPANDED)),
    pm.ProvInfluence: ("wasInfluencedBy", (REQUIRED, REQUIRED)),
    pm.ProvSpecialization: ("specializationOf", (REQUIRED, REQUIRED)),
    pm.ProvAlternate: ("alternateOf", (REQUIRED, REQUIRED)),
    pm.ProvMention: ("mentionOf", (REQUIRED, REQUIRED, REQUIRED)),
    pm.ProvMembership: ("hadMember", (REQUIRED, REQUIRED)),
}
ELEMENTS: dict[type[pm.ProvRecord], str] = {
    pm.ProvEntity: "entity", pm.ProvActivity: "activity", pm.ProvAgent: "agent",
}
ARG_NAMES: dict[str, tuple[str, ...]] = {
    name: tuple(str(a).removeprefix("prov:") for a in cls.FORMAL_ATTRIBUTES)
    for cls, (name, _) in RELATIONS.items()
} | {"entity": (), "agent": (), "activity": ("startTime", "endTime")}
#: Relations without an identifier in PROV-N: they are neither keyed nor influences.
UNIDENTIFIED = frozenset({"specializationOf", "alternateOf", "mentionOf", "hadMember"})


@dataclass
class Statement:
    """One statement of the instance being normalized.

    ``args`` follow :data:`RELATIONS` (``activity`` has its start and end times); ``sources`` are the
    document records it stands for; ``inferred`` names the inference that made it.
    """

    kind: str
    ident: Term
    args: list[Term]
    attrs: set[tuple[str, str]]
    sources: tuple[pm.ProvRecord, ...]
    inferred: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The argument names, for messages."""
        return ARG_NAMES[self.kind]


class Fresh:
    """A supply of fresh existential variables."""

    def __init__(self) -> None:
        self._numbers = itertools.count()

    def __call__(self) -> Var:
        return Var(next(self._numbers))


def provn(record: pm.ProvRecord) -> str:
    """A record's PROV-N text, one line."""
    return " ".join(record.get_provn().split())


def records_of(statements: Iterable[Statement]) -> tuple[str, ...]:
    """The PROV-N texts of the records behind ``statements``, each once, in order of appearance."""
    texts: dict[str, None] = {}
    seen: set[int] = set()
    for statement in statements:
        for record in statement.sources:
            if id(record) not in seen:
                seen.add(id(record))
                texts.setdefault(provn(record))
    return tuple(texts)


def _const(value: object) -> Const:
    if isinstance(value, pm.QualifiedName):
        return Const(value.uri, str(value))
    if isinstance(value, pm.Identifier):
        return Const(value.uri, str(value))
    return Const(value, value.isoformat() if hasattr(value, "isoformat") else str(value))


def _attributes(record: pm.ProvRecord) -> set[tuple[str, str]]:
    """Attributes as (name, value) pairs, names and qualified-name values as full IRIs."""
    return {(name.uri, value.uri if isinstance(value, pm.QualifiedName) else str(value))
            for name, value in record.extra_attributes}


IMPOSSIBLE_DERIVATION = "Constraint 51 (impossible-unspecified-derivation-generation-use)"


def from_record(record: pm.ProvRecord, fresh: Fresh) -> tuple[Statement | None, Violation | None]:
    """The statement a record stands for after Definitions 1-4, and what is wrong with it if anything.

    A malformed record gives no statement; a derivation that names a generation or usage but no
    activity gives its statement and a Constraint 51 violation.
    """
    ident: Term = _const(record.identifier) if record.identifier is not None else fresh()
    cls = type(record)
    values = [value for _, value in record.formal_attributes]
    if cls in ELEMENTS:
        times: list[Term] = [_const(v) if v is not None else fresh() for v in values]
        return Statement(ELEMENTS[cls], ident, times, _attributes(record), (record,)), None
    if cls not in RELATIONS:
        return None, Violation(WELL_FORMED, f"unknown kind of record {cls.__name__}", (provn(record),))
    kind, modes = RELATIONS[cls]
    missing = [name for name, value, mode in zip(ARG_NAMES[kind], values, modes, strict=True)
               if mode == REQUIRED and value is None]
    if missing:
        return None, Violation(WELL_FORMED, f"{kind} lacks its required argument(s) {', '.join(missing)}",
                               (provn(record),))
    problem = None
    if kind == "wasDerivedFrom" and values[2] is None:
        modes = (REQUIRED, REQUIRED, KEPT, KEPT, KEPT)
        if values[3] is not None or values[4] is not None:
            problem = Violation(IMPOSSIBLE_DERIVATION, "a derivation names a generation or usage but no activity",
                                (provn(record),))
    args: list[Term] = []
    for value, mode in zip(values, modes, strict=True):
        if value is not None:
            args.append(_const(value))
        else:
            args.append(fresh() if mode == EXPANDED else ABSENT)
    return Statement(kind, ident, args, _attributes(record), (record,)), problem
