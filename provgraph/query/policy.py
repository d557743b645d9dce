"""What needs attention because an artifact was invalidated, and label policy checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from ..store import Store
from ..vocab import local_of
from .resolve import resolve
from .results import InvalidatedResult, LabelFlowResult
from .sparql import select, text_of


def invalidated(store: Store, ref: str | NamedNode | None = None,
                root: str | Path | None = None) -> InvalidatedResult:
    """Every invalidated artifact (or only ``ref``) and the downstream models and deployments affected."""
    target = None
    if ref is not None:
        target = ref if isinstance(ref, NamedNode) else resolve(store, ref, root)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str | None, ...]] = set()
    solutions = select(store, "invalidated", target=target).rows
    with_affected = {text_of(s.get("invalidation")) for s in solutions if s.get("affected") is not None}
    for s in solutions:
        key = (text_of(s["target"]), text_of(s.get("invalidation")), text_of(s.get("affected")))
        if key in seen or (key[2] is None and key[1] in with_affected):
            continue
        seen.add(key)
        rows.append({
            "target": _short(text_of(s["target"])), "target_iri": text_of(s["target"]),
            "reason": text_of(s.get("reason")), "invalidated_at": text_of(s.get("invalidated_at")),
            "kind": text_of(s.get("kind")), "affected": text_of(s.get("label")),
            "affected_iri": text_of(s.get("affected")), "made_by": text_of(s.get("made_by")),
        })
    return InvalidatedResult(rows=rows)


def labels(store: Store, label: str = "sensitive", required: str = "approved") -> LabelFlowResult:
    """Where data labelled ``label`` flowed, and whether each run that used it has ``required``."""
    rows = []
    for s in select(store, "labels", label=label, required=required):
        rows.append({
            "source": text_of(s.get("source_label")) or _short(text_of(s["source"])),
            "source_iri": text_of(s["source"]), "via": _short(text_of(s["via"])),
            "via_iri": text_of(s["via"]), "run": text_of(s["run_id"]), "step": text_of(s.get("step")),
            "compliant": text_of(s["compliant"]) == "true",
        })
    return LabelFlowResult(rows=rows, label=label, required=required)


def _short(iri: str | None) -> str | None:
    local = local_of(iri) if iri else None
    if not local:
        return iri
    return local[1][:19] if local[1].startswith("sha256-") else local[1]
