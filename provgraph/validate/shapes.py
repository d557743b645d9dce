"""SHACL shapes for the ML profile (``ontologies/shapes.ttl``), checked with pyshacl.

The data graph is the union of the store's named graphs with ``provml.ttl`` mixed in, so class
constraints see the vocabulary's subclasses. With ``run=...`` only the nodes of that run's bundle are
checked (against the whole store, so links into other runs still resolve).

>>> report = check_shapes(store)
>>> [(v.constraint, v.records) for v in report.violations]
"""

from __future__ import annotations

from typing import Any

from pyoxigraph import NamedNode, RdfFormat
from rdflib import BNode, Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from ..errors import ProvgraphError, ValidationError
from ..query.runinfo import run_statements
from ..resources import ontology_path
from ..store import Store
from ..vocab import bundle_iri
from .report import Report, Violation

SH = Namespace("http://www.w3.org/ns/shacl#")


def store_graph(store: Store) -> Graph:
    """The union of the store's named graphs (and its default graph) as one rdflib graph."""
    try:
        data = store.dump(RdfFormat.N_QUADS)
        dataset = Dataset()
        dataset.parse(data=data, format="nquads")
    except ProvgraphError:
        raise
    except Exception as exc:  # rdflib parse errors have no common base
        raise ValidationError(f"cannot read the store for SHACL validation: {exc}") from exc
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _shapes_graph() -> Graph:
    return Graph().parse(ontology_path("shapes.ttl"), format="turtle")


def _shape_name(shapes: Graph, shape: Any) -> str:
    """``shapes:ModelShape`` or ``shapes:ModelShape / training data`` for a property shape."""
    if isinstance(shape, BNode):
        owner = next(shapes.subjects(SH.property, shape), None)
        name = shapes.value(shape, SH.name)
        if isinstance(owner, URIRef):
            return f"{shapes.namespace_manager.normalizeUri(owner)} / {name or 'property'}"
    return str(shapes.namespace_manager.normalizeUri(shape)) if isinstance(shape, URIRef) else str(shape)


def check_graph(data: Graph, focus_nodes: list[str | URIRef] | None = None) -> Report:
    """Validate an RDF graph against the ML profile shapes."""
    import pyshacl  # a runtime dependency, imported when needed (it is slow to import)

    shapes = _shapes_graph()
    ontology = Graph().parse(ontology_path("provml.ttl"), format="turtle")
    try:
        _, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology,
                                         focus_nodes=focus_nodes, allow_warnings=True)
    except Exception as exc:  # pyshacl raises its own ReportableRuntimeError and friends
        raise ValidationError(f"SHACL validation failed to run: {exc}") from exc
    report = Report(kind="shacl")
    top = [r for report_node in results.subjects(RDF.type, SH.ValidationReport)
           for r in results.objects(report_node, SH.result)]  # not the nested sh:detail results
    for result in top:
        focus = results.value(result, SH.focusNode)
        value = results.value(result, SH.value)
        records = tuple(str(t) for t in (focus, value) if t is not None and not isinstance(t, BNode))
        message = str(results.value(result, SH.resultMessage) or "does not conform")
        label = data.value(focus, RDFS.label) if focus is not None else None
        if label is not None:
            message = f"{label}: {message}"
        report.violations.append(Violation(_shape_name(shapes, results.value(result, SH.sourceShape)),
                                           message, records))
    report.violations.sort(key=lambda v: (v.records, v.constraint))
    report.stats = {"triples": len(data)}
    return report


def check_shapes(store: Store, *, run: str | None = None) -> Report:
    """Validate the store (or the nodes of one run's bundle) against ``ontologies/shapes.ttl``."""
    data = store_graph(store)
    focus: list[str | URIRef] | None = None
    if run is not None:
        graph = bundle_iri(run)
        if graph not in store.graphs():
            raise ValidationError(f"no run {run!r} in the store")
        statements = run_statements(store, run)  # the bundle and the descriptions of what it mentions
        focus = sorted({URIRef(q.subject.value) for q in statements if isinstance(q.subject, NamedNode)}, key=str)
    return check_graph(data, focus)
