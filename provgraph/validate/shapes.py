"""SHACL shapes for the ML profile (``ontologies/shapes.ttl``), checked with pyshacl.

A shape reads a few statements around the node it targets (a model: its generating run, the data that
run used, that data's hash and types), so validation reads only those: every statement about the nodes
checked, then up to :data:`SHAPE_REACH` steps along the predicates of the shapes' paths (read from
``shapes.ttl``), in any graph, with the types of the nodes reached; ``provml.ttl`` is mixed in so class
constraints see the vocabulary's subclasses. With ``run=...`` the nodes checked are those of the run's
bundle and of the descriptions it mentions; for the whole store they are the nodes the shapes target,
in chunks, so memory holds one chunk's neighbourhood and never the store. Every node is judged on the
statements the shapes can read about it in the whole store, so the violations are the same.

>>> report = check_shapes(store)
>>> [(v.constraint, v.records) for v in report.violations]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyoxigraph import BlankNode, NamedNode, Quad, Triple
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from ..errors import ValidationError
from ..export.document import statements_about
from ..provdoc.decode import rdflib_term
from ..query.runinfo import run_statements
from ..query.sparql import ask, fill_values, load, select_many, solutions
from ..resources import ontology_path
from ..store import Store
from ..vocab import RDF as RDF_TERMS
from ..vocab import bundle_iri
from .report import Report, Violation
from .workers import in_order, pack, unpack

SH = Namespace("http://www.w3.org/ns/shacl#")
#: How many statements the longest path of ``shapes.ttl`` follows from a focus node (a model's
#: ``prov:wasGeneratedBy / prov:used``, then the data's ``provml:sha256``). Raise it with the shapes.
SHAPE_REACH = 3
#: Target nodes checked at a time by the whole-store check (a task for a worker process).
TARGETS = 500


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


def check_graph(data: Graph, keep: set[Any] | None = None, *, inplace: bool = False) -> Report:
    """Validate an RDF graph against the ML profile shapes; with ``keep``, report only the results about
    those nodes. With ``inplace``, ``provml.ttl`` is mixed into ``data`` itself rather than into a copy
    (for a graph made to be checked: copying a chunk's neighbourhood took about a tenth of pyshacl's time).

    Every target is validated and the results filtered, rather than passing pyshacl its ``focus_nodes``:
    pyshacl 0.40 applies that filter to the value nodes of ``sh:qualifiedValueShape`` too, so a model whose
    run used only non-data inputs outside the list would pass "training data". No inference, advanced
    features, SHACL-JS or meta-validation of the shapes: the shapes use none of them.
    """
    import pyshacl  # a runtime dependency, imported when needed (it is slow to import)

    shapes = _shapes_graph()
    ontology = _ontology()
    triples = len(data)
    try:
        _, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, allow_warnings=True,
                                         inference="none", advanced=False, js=False, meta_shacl=False,
                                         inplace=inplace)
    except Exception as exc:  # pyshacl raises its own ReportableRuntimeError and friends
        raise ValidationError(f"SHACL validation failed to run: {exc}") from exc
    report = Report(kind="shacl")
    top = [r for report_node in results.subjects(RDF.type, SH.ValidationReport)
           for r in results.objects(report_node, SH.result)]  # not the nested sh:detail results
    for result in top:
        focus = results.value(result, SH.focusNode)
        if keep is not None and focus not in keep:
            continue
        value = results.value(result, SH.value)
        records = tuple(str(t) for t in (focus, value) if t is not None and not isinstance(t, BNode))
        message = str(results.value(result, SH.resultMessage) or "does not conform")
        label = data.value(focus, RDFS.label) if focus is not None else None
        if label is not None:
            message = f"{label}: {message}"
        report.violations.append(Violation(_shape_name(shapes, results.value(result, SH.sourceShape)),
                                           message, records))
    report.violations.sort(key=lambda v: (v.records, v.constraint))
    report.stats = {"triples": triples}
    return report


def _ontology() -> Graph:
    return Graph().parse(ontology_path("provml.ttl"), format="turtle")


def _paths(shapes: Graph) -> tuple[frozenset[str], frozenset[str]]:
    """The predicates the shapes' property paths follow: forwards, and backwards (``sh:inversePath``)."""
    forward: set[str] = set()
    backward: set[str] = set()

    def walk(path: Any, inverse: bool) -> None:
        if isinstance(path, URIRef):
            (backward if inverse else forward).add(str(path))
        elif shapes.value(path, RDF.first) is not None:  # a sequence path, or the list of an alternative
            for step in Collection(shapes, path):
                walk(step, inverse)
        else:  # sh:inversePath, sh:alternativePath, sh:zeroOrMorePath, ...
            for key, inner in shapes.predicate_objects(path):
                walk(inner, inverse != (key == SH.inversePath))

    for path in shapes.objects(None, SH.path):
        walk(path, False)
    return frozenset(forward), frozenset(backward)


def neighbourhood(store: Store, nodes: Iterable[NamedNode | BlankNode]) -> Graph:
    """The statements the shapes can read about ``nodes`` (see :func:`reach`), as an rdflib graph."""
    return _graph(reach(store, nodes))


def _graph(triples: Iterable[Triple | Quad]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add((rdflib_term(triple.subject), URIRef(triple.predicate.value), rdflib_term(triple.object)))
    return graph


def reach(store: Store, nodes: Iterable[NamedNode | BlankNode]) -> set[Triple]:
    """The statements the shapes can read about ``nodes``, in any graph: every statement about the nodes,
    then up to :data:`SHAPE_REACH` steps along the predicates of the shapes' paths (backwards for an
    inverse path, from IRIs), with the types of every node reached (for ``sh:class``).

    The predicates come from ``shapes.ttl`` itself, so a new path is followed without a second list; what
    the shapes cannot read (a run's parameters, its environment's packages) is left out."""
    forward, backward = _paths(_shapes_graph())
    focus: set[NamedNode | BlankNode] = set(nodes)
    frontier, seen = set(focus), set(focus)
    triples: set[Triple] = set()
    for _ in range(SHAPE_REACH):
        reached: set[NamedNode | BlankNode] = set()
        for quads in statements_about(store, frontier).values():
            for quad in quads:
                followed = quad.predicate.value in forward
                if followed or quad.predicate == RDF_TERMS.type or quad.subject in focus:
                    triples.add(quad.triple)
                if followed and isinstance(quad.object, NamedNode | BlankNode):
                    reached.add(quad.object)
        iris = sorted((n for n in frontier if isinstance(n, NamedNode)), key=lambda n: n.value)
        for predicate in sorted(backward):
            for row in select_many(store, "statements-into", "o", iris, bindings={"p": NamedNode(predicate)}):
                triples.add(Triple(row["s"], NamedNode(predicate), row["o"]))  # type: ignore[arg-type]
                reached.add(row["s"])  # type: ignore[arg-type]
        frontier = reached - seen
        seen |= frontier
    return triples


def shape_targets(store: Store) -> list[NamedNode | BlankNode]:
    """The nodes of the store the shapes target: instances of each ``sh:targetClass`` (or of one of its
    subclasses in ``provml.ttl``) and subjects of each ``sh:targetSubjectsOf``."""
    shapes, ontology = _shapes_graph(), _ontology()
    classes = {str(c) for target in shapes.objects(None, SH.targetClass)
               for c in ontology.transitive_subjects(RDFS.subClassOf, target)}
    properties = {str(p) for p in shapes.objects(None, SH.targetSubjectsOf)}
    text = fill_values(load("shape-targets"), ["class"], [[NamedNode(c)] for c in sorted(classes)])
    text = fill_values(text, ["property"], [[NamedNode(p)] for p in sorted(properties)])
    return [row["node"] for row in solutions(store.query(text), "shape-targets").rows]  # type: ignore[misc]


def check_shapes(store: Store, *, run: str | None = None, nodes: Iterable[NamedNode] | None = None,
                 chunk: int = TARGETS, workers: int = 1) -> Report:
    """Validate the store (or the nodes of one run's bundle, or ``nodes``) against ``ontologies/shapes.ttl``;
    the whole store ``chunk`` target nodes at a time, in ``workers`` processes (see
    :func:`~.store.check_store`)."""
    if run is not None and nodes is not None:
        raise ValidationError("choose one scope for the shapes: a run or a set of nodes, not both")
    if run is not None:
        if not ask(store, "graph-exists", graph=bundle_iri(run)):
            raise ValidationError(f"no run {run!r} in the store")
        statements = run_statements(store, run)  # the bundle and the descriptions of what it mentions
        nodes = [q.subject for q in statements if isinstance(q.subject, NamedNode)]
    if nodes is not None:
        focus = sorted(set(nodes), key=lambda n: n.value)
        return check_graph(neighbourhood(store, focus), keep={URIRef(n.value) for n in focus}, inplace=True)
    targets = shape_targets(store)
    chunks = ((pack(reach(store, batch)), [(n.value, isinstance(n, BlankNode)) for n in batch])
              for batch in (targets[start:start + chunk] for start in range(0, len(targets), chunk)))
    report = Report(kind="shacl")
    for part in in_order(_check_chunk, chunks, min(workers, max(-(-len(targets) // chunk), 1))):
        report.extend(part)
    report.violations.sort(key=lambda v: (v.records, v.constraint))
    return report


def _check_chunk(chunk: tuple[bytes, list[tuple[str, bool]]]) -> Report:
    """The shapes on one chunk of target nodes, as :func:`check_shapes` packs it: the nodes' neighbourhood,
    and each node as (IRI or blank node id, blank?) (run in a worker process)."""
    statements, nodes = chunk
    return check_graph(_graph(unpack(statements)), keep={BNode(v) if blank else URIRef(v) for v, blank in nodes},
                       inplace=True)
