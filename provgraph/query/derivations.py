"""How derived entities were computed from their sources (``queries/transformations.rq``): the
transformations of qualified derivations, as column lineage states them, for answers and diagrams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import NamedNode

from ..store import Store
from .sparql import ask, select, select_many, text_of


def transformations(store: Store, derived: Iterable[NamedNode] | None = None) -> dict[tuple[str, str], list[str]]:
    """``(derived IRI, source IRI)`` -> its transformations as text, ``TYPE/SUBTYPE``, then ``masking``
    when it masks and ``: description`` when it has one; for the ``derived`` nodes, or every derivation."""
    if not ask(store, "any-transformation"):
        return {}
    rows = select(store, "transformations").rows if derived is None else \
        select_many(store, "transformations", "derived", sorted(derived, key=lambda n: n.value))
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        text = "/".join(t for t in (text_of(row.get("type")), text_of(row.get("subtype"))) if t)
        if text_of(row.get("masking")) == "true":
            text += " masking"
        if row.get("description") is not None:
            text += f": {text_of(row['description'])}"
        found[(text_of(row["derived"]) or "", text_of(row["source"]) or "")].add(text)
    return {key: sorted(texts) for key, texts in found.items()}
