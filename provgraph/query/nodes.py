"""Describing the nodes a traversal returns: what they are (run, artifact, metric, ...) and their name."""

from __future__ import annotations

from typing import Any

from ..vocab import AGENT_CLASSES, ARTIFACT_CLASSES, PROV, PROVML, RDF, RDFS, RUN_CLASSES, local_of
from .sparql import text_of

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
#: Describing property (as ``queries/describe.rq`` returns it) -> field name.
_FIELDS = {
    RDFS.label.value: "label", PROVML.artifactKind.value: "kind", PROVML.location.value: "location",
    PROVML.sha256.value: "sha256", PROVML.runId.value: "runId", PROVML.status.value: "status",
    PROV.startedAtTime.value: "started", PROV.endedAtTime.value: "ended",
}


def collect(rows: Any) -> dict[str, dict[str, Any]]:
    """Fold ``?node ?property ?value`` rows (several per node) into one record per node."""
    records: dict[str, dict[str, Any]] = {}
    for row in rows:
        node = row.get("node")
        if node is None:
            continue
        record = records.setdefault(node.value, {"classes": set()})
        prop, value = text_of(row.get("property")), text_of(row.get("value"))
        if prop is None or value is None:
            continue
        if prop == RDF.type.value:
            record["classes"].add(value)
        elif prop in _FIELDS:
            record.setdefault(_FIELDS[prop], value)
    return records


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
