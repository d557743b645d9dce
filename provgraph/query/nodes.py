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
from .sparql import fill_values, load, select_numbered

_RUN_KINDS = {PROVML_IRI + cls: kind for kind, cls in RUN_CLASSES.items()}
_ARTIFACT_KINDS = {PROVML_IRI + cls: kind for kind, cls in ARTIFACT_CLASSES.items()}
_AGENT_KINDS = {cls.value: kind for kind, cls in AGENT_CLASSES.items()}
#: The fields of ``queries/describe.rq``, by the number it gives them (0 is rdf:type: the classes).
_FIELDS = ("classes", *DESCRIBED_FIELDS)


def describe_nodes(store: Store, iris: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A result row (see :func:`describe`) for each of ``iris`` that the store's lineage index or else
    ``queries/describe.rq`` finds a type, name or other field of; nodes it knows nothing of are left out."""
    index = store.lineage_index()
    records = index.describe(iris) if index is not None else None
    if records is None:
        records = _described(store, iris)
    return {iris[at]: describe(iris[at], record) for at, record in records.items()}


def _described(store: Store, iris: Sequence[str]) -> dict[int, dict[str, Any]]:
    """The classes and fields of ``iris`` by their position, as ``queries/describe.rq`` finds them."""
    text = fill_values(load("describe"), ("object", "class"),
                       ((NamedNode(cls), Literal(number)) for number, cls in enumerate(DESCRIBED_CLASSES)))
    records: dict[int, dict[str, Any]] = {}
    for at, row in select_numbered(store, "describe", "node", iris, text):
        field, value = _FIELDS[int(row["field"].value)], row["value"]
        if isinstance(value, Triple):  # a quoted triple names nothing (the index skips it too)
            continue
        record = records.setdefault(at, {"classes": set()})
        if field != "classes":  # of several values the least, as the lineage index keeps
            record[field] = min(record.get(field, value.value), value.value)
        elif isinstance(value, Literal):  # a class listed, by its number
            record["classes"].add(DESCRIBED_CLASSES[int(value.value)])
    return records


def describe(iri: str, record: dict[str, Any]) -> dict[str, Any]:
    """A result row for one node: iri, type, kind, label, id and the descriptive fields known."""
    node_type, class_kind = _typed(frozenset(record.get("classes", ())))
    kind = record.get("kind")
    if node_type in ("run", "agent") or (node_type == "artifact" and kind is None):
        kind = class_kind
    local = local_of(iri)
    if node_type in ("run", "invalidation", "activity"):
        ident = record.get("runId") or (local[1] if local else iri)
    elif record.get("sha256"):
        ident = str(record["sha256"])[:12]
    else:
        ident = local[1] if local else iri
    return {
        "iri": iri, "type": node_type, "kind": kind, "label": record.get("label") or ident, "id": ident,
        "location": record.get("location"), "sha256": record.get("sha256"), "status": record.get("status"),
        "started": record.get("started"), "ended": record.get("ended"),
    }


@cache
def _typed(classes: frozenset[str]) -> tuple[str, str | None]:
    """The node type ``classes`` make, and the kind they give a run, an artifact or an agent (the first
    in IRI order when several do)."""
    node_type = next((name for cls, name in NODE_TYPES if cls in classes), "entity")
    kinds = {"run": (_RUN_KINDS, None), "artifact": (_ARTIFACT_KINDS, "other"), "agent": (_AGENT_KINDS, None)}
    table, default = kinds.get(node_type, ({}, None))
    return node_type, next((table[c] for c in sorted(classes) if c in table), default)
