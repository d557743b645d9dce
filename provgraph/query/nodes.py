"""Describing the nodes a traversal returns: what they are (run, artifact, metric, ...) and their name."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from ..store import Store
from ..vocab import (
    AGENT_CLASSES,
    ARTIFACT_CLASSES,
    DESCRIBED_CLASSES,
    DESCRIBED_FIELDS,
    NODE_TYPES,
    PROVML_IRI,
    RUN_CLASSES,
    local_of,
)
from .sparql import fill_values, load, select_numbered, text_of

_RUN_KINDS = {PROVML_IRI + cls: kind for kind, cls in RUN_CLASSES.items()}
_ARTIFACT_KINDS = {PROVML_IRI + cls: kind for kind, cls in ARTIFACT_CLASSES.items()}
_AGENT_KINDS = {cls.value: kind for kind, cls in AGENT_CLASSES.items()}
#: Where a :data:`Record` holds each field: the number ``queries/describe.rq`` gives it (0 is rdf:type: the
#: classes).
_AT = {name: at for at, name in enumerate(("classes", *DESCRIBED_FIELDS))}
_KIND, _LABEL, _SHA256, _RUN_ID, _LOCATION, _STATUS, _STARTED, _ENDED = (_AT[name] for name in (
    "kind", "label", "sha256", "runId", "location", "status", "started", "ended"))
#: A node's description: its classes of :data:`~provgraph.vocab.DESCRIBED_CLASSES` as bits (bit ``i`` for
#: ``DESCRIBED_CLASSES[i]``), then the value of each of ``DESCRIBED_FIELDS`` in order (None where it has none).
Record = tuple[Any, ...]
_UNKNOWN: Record = (0, *(None for _ in DESCRIBED_FIELDS))


def describe_nodes(store: Store, iris: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A result row (see :func:`describe`) for each of ``iris`` that the store's lineage index or else
    ``queries/describe.rq`` finds a type, name or other field of; nodes it knows nothing of are left out."""
    return {iris[at]: describe(iris[at], record) for at, record in _records(store, iris).items()}


def node_labels(store: Store, iris: Sequence[str]) -> dict[str, str]:
    """The label of each of ``iris`` that has one: the least of its ``rdfs:label`` values, as a description
    names it."""
    return {iris[at]: record[_LABEL] for at, record in _records(store, iris).items() if record[_LABEL] is not None}


def _records(store: Store, iris: Sequence[str]) -> dict[int, Record]:
    """The description of each of ``iris`` known, by position: from the lineage index if it is in step,
    else from ``queries/describe.rq``."""
    index = store.lineage_index(rebuild=False)  # a few nodes: describe.rq answers sooner than a rebuild
    records = index.describe(iris) if index is not None else None
    return _described(store, iris) if records is None else records


def _described(store: Store, iris: Sequence[str]) -> dict[int, Record]:
    """The classes and fields of ``iris`` by their position, as ``queries/describe.rq`` finds them."""
    text = fill_values(load("describe"), ("object", "class"),
                       ((NamedNode(cls), Literal(number)) for number, cls in enumerate(DESCRIBED_CLASSES)))
    found: dict[int, list[Any]] = {}
    for at, row in select_numbered(store, "describe", "node", iris, text):
        field, value = int(row["field"].value), row["value"]
        if isinstance(value, Triple):  # a quoted triple names nothing (the index skips it too)
            continue
        record = found.setdefault(at, [0, *(None for _ in DESCRIBED_FIELDS)])
        if field:  # of several values the least, as the lineage index keeps
            lexical = text_of(value) or value.value  # in canonical form, as the index holds it
            record[field] = lexical if record[field] is None else min(record[field], lexical)
        elif isinstance(value, Literal):  # a class listed, by its number
            record[0] |= 1 << int(value.value)
    return {at: tuple(record) for at, record in found.items()}


def describe(iri: str, record: Record = _UNKNOWN) -> dict[str, Any]:
    """A result row for one node described by ``record`` (nothing known, if not given): iri, type, kind,
    label, id and the descriptive fields known."""
    node_type, class_kind = _typed(record[0])
    kind = record[_KIND]
    if node_type in ("run", "agent") or (node_type == "artifact" and kind is None):
        kind = class_kind
    if node_type in ("run", "invalidation", "activity"):
        ident = record[_RUN_ID] or _local(iri)
    elif record[_SHA256]:
        ident = str(record[_SHA256])[:12]
    else:
        ident = _local(iri)
    return {
        "iri": iri, "type": node_type, "kind": kind, "label": record[_LABEL] or ident, "id": ident,
        "location": record[_LOCATION], "sha256": record[_SHA256], "status": record[_STATUS],
        "started": record[_STARTED], "ended": record[_ENDED],
    }


def _local(iri: str) -> str:
    """What names a node within its kind: its local part, or the whole IRI if it has none."""
    local = local_of(iri)
    return local[1] if local else iri


@cache
def _typed(bits: int) -> tuple[str, str | None]:
    """The node type the classes ``bits`` stand for make (see :data:`Record`), and the kind they give a run,
    an artifact or an agent (the first in IRI order when several do)."""
    classes = described_classes(bits)
    node_type = next((name for cls, name in NODE_TYPES if cls in classes), "entity")
    kinds = {"run": (_RUN_KINDS, None), "artifact": (_ARTIFACT_KINDS, "other"), "agent": (_AGENT_KINDS, None)}
    table, default = kinds.get(node_type, ({}, None))
    return node_type, _first_kind(classes, table, default)


@cache
def run_kind(bits: int) -> str | None:
    """A run's kind, from its class bits: that of its first run class in IRI order, as its description says."""
    return _first_kind(described_classes(bits), _RUN_KINDS, None)


def _first_kind(classes: frozenset[str], table: dict[str, str], default: str | None) -> str | None:
    """The kind ``table`` gives the first of ``classes`` in IRI order that it knows, else ``default``."""
    return next((table[c] for c in sorted(classes) if c in table), default)


@cache
def described_classes(bits: int) -> frozenset[str]:
    """The classes of :data:`~provgraph.vocab.DESCRIBED_CLASSES` a description's class bits stand for (see
    :data:`Record`)."""
    return frozenset(cls for number, cls in enumerate(DESCRIBED_CLASSES) if bits >> number & 1)
