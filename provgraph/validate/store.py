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

from pyoxigraph import BlankNode, NamedNode, Quad

from ..errors import ValidationError
from ..provdoc.decode import document_from_quads, shared_types
from ..query.sparql import ask
from ..store import Store
from ..vocab import RDF, SHARED_GRAPH, bundle_iri
from .constraints import check_document, check_records
from .report import Report
from .shapes import check_shapes
from .workers import in_order, pack, unpack

#: Run bundles decoded and validated at a time by the whole-store check.
BUNDLES = 500


def check_store(store: Store, *, run: str | None = None, shapes: bool = True, flatten: bool = False,
                chunk: int = BUNDLES, workers: int = 1) -> list[Report]:
    """PROV-CONSTRAINTS on the store (or one run's bundle) exported as a PROV document, then SHACL.

    Returns one report per check (``kind`` ``"prov-constraints"``, then ``"shacl"`` unless
    ``shapes`` is false); raises :class:`ValidationError` for an unknown run. Each run is a bundle
    and is validated on its own unless ``flatten`` (then all runs are one instance, so conflicts
    between runs show). The whole store is read ``chunk`` bundles at a time and checked in ``workers``
    processes (see :mod:`.workers`; more than one needs the ``if __name__ == "__main__":`` guard that
    :mod:`multiprocessing` asks of a script).
    """
    from ..export import prov_document
    from ..export.formats import all_named

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
    """PROV-CONSTRAINTS on the shared descriptions, then on each run bundle, ``chunk`` connected parts of the
    top level or ``chunk`` bundles per document."""
    from ..export.formats import graph_quads

    graphs = sorted(store.graphs(), key=lambda g: g.value)
    bundles = [g for g in graphs if g != SHARED_GRAPH]
    top = graph_quads(store, SHARED_GRAPH) if SHARED_GRAPH in graphs else []
    types = shared_types(top)
    connected = _connected(top)
    del top
    tasks = max(-(-len(connected) // chunk), 1) + -(-len(bundles) // chunk)
    parts = _parts(store, connected, types, bundles, chunk)
    del connected  # the parts hold it until the top level is sent
    report = Report()
    for part in in_order(_check_part, parts, min(workers, tasks)):
        report.extend(part)
    return report


def _parts(store: Store, connected: list[list[Quad]], types: dict[object, list[Quad]], bundles: list[NamedNode],
           chunk: int) -> Iterator[tuple[bool, bytes]]:
    """The top level (the shared descriptions) ``chunk`` connected parts at a time, then the bundles ``chunk``
    at a time, each with the shared typings of the nodes it mentions: ``(top level?, N-Quads text)``."""
    from ..export.formats import graph_quads

    for start in range(0, max(len(connected), 1), chunk):  # an empty top level is checked too, as before
        yield True, pack(q for part in connected[start:start + chunk] for q in part)
    del connected
    for start in range(0, len(bundles), chunk):
        quads = [q for graph in bundles[start:start + chunk] for q in graph_quads(store, graph)]
        mentioned = {t for q in quads for t in (q.subject, q.object)}
        quads += [typing for node in mentioned for typing in types.get(node, ())]
        yield False, pack(quads)


def _connected(quads: list[Quad]) -> list[list[Quad]]:
    """``quads`` in connected parts, in the order they first appear: two statements are connected when they
    share a node (a subject, or an object that is not a class). Every PROV-CONSTRAINTS rule relates
    statements through the identifiers they share, so parts that share none are valid or not on their own,
    and the top level (one instance, which grows with the store) is checked a few parts at a time."""
    from networkx.utils import UnionFind

    joined = UnionFind()
    for quad in quads:
        if quad.predicate != RDF.type and isinstance(quad.object, NamedNode | BlankNode):
            joined.union(quad.subject, quad.object)
    parts: dict[object, list[Quad]] = {}
    for quad in quads:
        parts.setdefault(joined[quad.subject], []).append(quad)
    return list(parts.values())


def _check_part(part: tuple[bool, bytes]) -> Report:
    """PROV-CONSTRAINTS on one part of :func:`_parts` (run in a worker process): a part of the top level is
    one instance, each bundle another."""
    top, text = part
    document = document_from_quads(unpack(text))
    if top:
        return check_records(list(document.get_records()))
    report = Report()
    for bundle in sorted(document.bundles, key=lambda b: str(b.identifier)):
        report.extend(check_records(list(bundle.get_records()), str(bundle.identifier)))
    return report
