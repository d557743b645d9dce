"""Describing the nodes a traversal returns: what they are (run, artifact, metric, ...) and their name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyoxigraph import Literal, NamedNode

from ..store import Store
from ..vocab import AGENT_CLASSES, ARTIFACT_CLASSES, PROV, PROVML, RUN_CLASSES, local_of
from .sparql import fill_values, load, select_numbered

_RUN_KINDS = {PROVML.base + cls: kind for kind, cls in RUN_CLASSES.items()}
_ARTIFACT_KINDS = {PROVML.base + cls: kind for kind, cls in ARTIFACT_CLASSES.items()}
_AGENT_KINDS = {cls.value: kind for kind, cls in AGENT_CLASSES.items()}
#: provml / prov class -> node type, checked in this order.
_TYPES = (
    (PROVML.Invalidation.value, "invalidation"),
    (PROVML.Run.value, "run"),
    (PROVML.MetricValue.value, "metric"),
    (PROVML.RandomSeed.value, "seed"),
    (PROVML.HyperParameterSetting.value, "parameter"),
    (PROVML.Environment.value, "environment"),
    (PROVML.CodeVersion.value, "code"),
    (PROVML.Artifact.value, "artifact"),
    (PROVML.Dataset.value, "dataset"),
    (PROVML.LogicalArtifact.value, "dataset"),
    (PROV.Agent.value, "agent"),
    (PROV.Activity.value, "activity"),
)
#: The fields of ``queries/describe.rq``, by the number it gives them (0 is rdf:type: the classes).
_FIELDS = ("classes", "label", "kind", "location", "sha256", "runId", "status", "started", "ended")
#: The classes :func:`describe` tells apart, numbered as ``describe.rq`` is told; with prov:Entity, which
#: it does not need but every entity has: a number costs the embedded store less to write out than an IRI.
_CLASSES = tuple(sorted({cls for cls, _ in _TYPES} | set(_RUN_KINDS) | set(_ARTIFACT_KINDS) | set(_AGENT_KINDS)
                        | {PROV.Entity.value}))


def describe_nodes(store: Store, iris: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A result row (see :func:`describe`) for each of ``iris`` that ``queries/describe.rq`` finds a
    type, name or other field of; nodes it knows nothing of are left out."""
    text = fill_values(load("describe"), ("object", "class"),
                       ((NamedNode(cls), Literal(number)) for number, cls in enumerate(_CLASSES)))
    records: dict[int, dict[str, Any]] = {}
    for at, row in select_numbered(store, "describe", "node", iris, text):
        record = records.setdefault(at, {"classes": set()})
        field, value = _FIELDS[int(row["field"].value)], row["value"]
        if field != "classes":
            record.setdefault(field, value.value)
        elif isinstance(value, Literal):  # a class listed, by its number
            record["classes"].add(_CLASSES[int(value.value)])
    return {iris[at]: describe(iris[at], record) for at, record in records.items()}


def describe(iri: str, record: dict[str, Any]) -> dict[str, Any]:
    """A result row for one node: iri, type, kind, label, id and the descriptive fields known."""
    classes: set[str] = record.get("classes", set())
    node_type = next((name for cls, name in _TYPES if cls in classes), "entity")
    kind = record.get("kind")
    if node_type == "run":
        kind = next((_RUN_KINDS[c] for c in classes if c in _RUN_KINDS), None)
    elif node_type == "artifact" and kind is None:
        kind = next((_ARTIFACT_KINDS[c] for c in classes if c in _ARTIFACT_KINDS), "other")
    elif node_type == "agent":
        kind = next((_AGENT_KINDS[c] for c in classes if c in _AGENT_KINDS), None)
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
