"""Validate what the store holds: PROV-CONSTRAINTS on its PROV document, and the ML profile's shapes.

The whole store is read graph by graph when every statement sits in a named graph: the shared
descriptions are the document's top level, validated as one instance; the run bundles are decoded and
validated a chunk at a time, each with the shared typings of the nodes it mentions, as the whole
document decodes them. PROV-CONSTRAINTS validates the top level and each bundle as separate instances,
so no constraint spans two bundles and streaming finds what the whole document does; ``flatten`` (all
runs as one instance, to find conflicts between runs) reads the store as one document.
"""

from __future__ import annotations

from ..errors import ValidationError
from ..provdoc.decode import document_from_quads, shared_types
from ..query.sparql import ask
from ..store import Store
from ..vocab import SHARED_GRAPH, bundle_iri
from .constraints import check_document, check_records
from .report import Report
from .shapes import check_shapes

#: Run bundles decoded and validated at a time by the whole-store check.
BUNDLES = 500


def check_store(store: Store, *, run: str | None = None, shapes: bool = True,
                flatten: bool = False, chunk: int = BUNDLES) -> list[Report]:
    """PROV-CONSTRAINTS on the store (or one run's bundle) exported as a PROV document, then SHACL.

    Returns one report per check (``kind`` ``"prov-constraints"``, then ``"shacl"`` unless
    ``shapes`` is false); raises :class:`ValidationError` for an unknown run. Each run is a bundle
    and is validated on its own unless ``flatten`` (then all runs are one instance, so conflicts
    between runs show). The whole store is read ``chunk`` bundles at a time.
    """
    from ..export import prov_document
    from ..export.formats import all_named

    if run is not None and not ask(store, "graph-exists", graph=bundle_iri(run)):
        raise ValidationError(f"no run {run!r} in the store")
    if run is None and not flatten and all_named(store):
        reports = [_bundle_by_bundle(store, chunk)]
    else:
        reports = [check_document(prov_document(store, run=run), flatten=flatten)]
    if shapes:
        reports.append(check_shapes(store, run=run))
    return reports


def _bundle_by_bundle(store: Store, chunk: int) -> Report:
    """PROV-CONSTRAINTS on the shared descriptions, then on each run bundle, ``chunk`` bundles per document."""
    from ..export.formats import graph_quads

    graphs = sorted(store.graphs(), key=lambda g: g.value)
    top = graph_quads(store, SHARED_GRAPH) if SHARED_GRAPH in graphs else []
    report = check_records(list(document_from_quads(top).get_records()))
    types = shared_types(top)
    del top
    bundles = [g for g in graphs if g != SHARED_GRAPH]
    for start in range(0, len(bundles), chunk):
        quads = [q for graph in bundles[start:start + chunk] for q in graph_quads(store, graph)]
        mentioned = {t for q in quads for t in (q.subject, q.object)}
        quads += [typing for node in mentioned for typing in types.get(node, ())]
        document = document_from_quads(quads)
        for bundle in sorted(document.bundles, key=lambda b: str(b.identifier)):
            report.extend(check_records(list(bundle.get_records()), str(bundle.identifier)))
    return report
