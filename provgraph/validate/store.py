"""Validate what the store holds: PROV-CONSTRAINTS on its PROV document, and the ML profile's shapes."""

from __future__ import annotations

from ..errors import ValidationError
from ..query.sparql import ask
from ..store import Store
from ..vocab import bundle_iri
from .constraints import check_document
from .report import Report
from .shapes import check_shapes


def check_store(store: Store, *, run: str | None = None, shapes: bool = True,
                flatten: bool = False) -> list[Report]:
    """PROV-CONSTRAINTS on the store (or one run's bundle) exported as a PROV document, then SHACL.

    Returns one report per check (``kind`` ``"prov-constraints"``, then ``"shacl"`` unless
    ``shapes`` is false); raises :class:`ValidationError` for an unknown run. Each run is a bundle
    and is validated on its own unless ``flatten`` (then all runs are one instance, so conflicts
    between runs show).
    """
    from ..export import prov_document

    if run is not None and not ask(store, "graph-exists", graph=bundle_iri(run)):
        raise ValidationError(f"no run {run!r} in the store")
    reports = [check_document(prov_document(store, run=run), flatten=flatten)]
    if shapes:
        reports.append(check_shapes(store, run=run))
    return reports
