"""Validate what the store holds: PROV-CONSTRAINTS on its PROV document, and the ML profile's shapes.

The whole store is read graph by graph when every statement sits in a named graph: the shared
descriptions are the document's top level, validated as one instance; the run bundles are decoded and
validated a chunk at a time, each with the shared typings of the nodes it mentions, as the whole
document decodes them. PROV-CONSTRAINTS validates the top level and each bundle as separate instances,
so no constraint spans two bundles and streaming finds what the whole document does; ``flatten`` (all
runs as one instance, to find conflicts between runs) reads the store as one document. The chunks are
checked in worker processes (:mod:`.workers`) while this one reads the next.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import NamedNode

from ..errors import ValidationError
from ..provdoc.decode import document_from_quads, shared_types
from ..query.sparql import ask
from ..store import Store
from ..vocab import SHARED_GRAPH, bundle_iri
from .constraints import check_document, check_records
from .report import Report
from .shapes import check_shapes
from .workers import cores, in_order, pack, unpack

#: Run bundles decoded and validated at a time by the whole-store check.
BUNDLES = 500


def check_store(store: Store, *, run: str | None = None, shapes: bool = True, flatten: bool = False,
                chunk: int = BUNDLES, workers: int | None = None) -> list[Report]:
    """PROV-CONSTRAINTS on the store (or one run's bundle) exported as a PROV document, then SHACL.

    Returns one report per check (``kind`` ``"prov-constraints"``, then ``"shacl"`` unless
    ``shapes`` is false); raises :class:`ValidationError` for an unknown run. Each run is a bundle
    and is validated on its own unless ``flatten`` (then all runs are one instance, so conflicts
    between runs show). The whole store is read ``chunk`` bundles at a time and checked in ``workers``
    processes (default: one per processor).
    """
    from ..export import prov_document
    from ..export.formats import all_named

    workers = cores() if workers is None else workers
    if run is not None and not ask(store, "graph-exists", graph=bundle_iri(run)):
        raise ValidationError(f"no run {run!r} in the store")
    if run is None and not flatten and all_named(store):
        reports = [_bundle_by_bundle(store, chunk, workers)]
    else:
        reports = [check_document(prov_document(store, run=run), flatten=flatten)]
    if shapes:
        reports.append(check_shapes(store, run=run, workers=workers))
    return reports


def _bundle_by_bundle(store: Store, chunk: int, workers: int) -> Report:
    """PROV-CONSTRAINTS on the shared descriptions, then on each run bundle, ``chunk`` bundles per document."""
    graphs = sorted(store.graphs(), key=lambda g: g.value)
    bundles = [g for g in graphs if g != SHARED_GRAPH]
    parts = 1 + -(-len(bundles) // chunk)
    report = Report()
    for part in in_order(_check_part, _parts(store, SHARED_GRAPH in graphs, bundles, chunk), min(workers, parts)):
        report.extend(part)
    return report


def _parts(store: Store, shared: bool, bundles: list[NamedNode], chunk: int) -> Iterator[tuple[bool, bytes]]:
    """The top level (the shared descriptions), then the bundles ``chunk`` at a time, each with the shared
    typings of the nodes it mentions: ``(top level?, N-Quads text)``."""
    from ..export.formats import graph_quads

    top = graph_quads(store, SHARED_GRAPH) if shared else []
    types = shared_types(top)
    yield True, pack(top)
    del top
    for start in range(0, len(bundles), chunk):
        quads = [q for graph in bundles[start:start + chunk] for q in graph_quads(store, graph)]
        mentioned = {t for q in quads for t in (q.subject, q.object)}
        quads += [typing for node in mentioned for typing in types.get(node, ())]
        yield False, pack(quads)


def _check_part(part: tuple[bool, bytes]) -> Report:
    """PROV-CONSTRAINTS on one part of :func:`_parts` (run in a worker process)."""
    top, text = part
    document = document_from_quads(unpack(text))
    if top:
        return check_records(list(document.get_records()))
    report = Report()
    for bundle in sorted(document.bundles, key=lambda b: str(b.identifier)):
        report.extend(check_records(list(bundle.get_records()), str(bundle.identifier)))
    return report
