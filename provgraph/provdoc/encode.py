"""From a PROV document to PROV-O quads: pure translation, no store.

The document is encoded as PROV-O by the ``prov`` package. Statements outside any bundle go to the
named graph ``bundle/import-<first 16 hex digits of the document's sha256>`` (typed ``prov:Bundle``), so
the same document gives the same quads; each bundle is its own named graph. A relation stated only in
qualified form also gets its unqualified statement (PROV-O's qualification pattern), so questions that
read ``prov:used`` or ``prov:wasGeneratedBy`` see it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import prov.model as pm
from prov.serializers.provrdf import ProvRDFSerializer
from pyoxigraph import BlankNode, Literal, NamedNode, Quad
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from ..errors import ExportError
from ..vocab import PROV, RDF, implied_by_qualified, iri
from . import dictionary
from .read import read_document


def document_graph(data: bytes) -> NamedNode:
    """The named graph that holds a document's statements outside its bundles."""
    return iri("bundle", f"import-{hashlib.sha256(data).hexdigest()[:16]}")


_PROVN_ESCAPE = re.compile(r"\\([='(),\-:;\[\].])")
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\[\]]')


def _iri(text: str) -> NamedNode:
    """An IRI from the prov package, which keeps PROV-N escapes (``ex:a\\=b``) in the IRI: the escapes
    are removed and characters an IRI cannot hold are percent-encoded."""
    cleaned = _NOT_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), _PROVN_ESCAPE.sub(r"\1", text))
    try:
        return NamedNode(cleaned)
    except ValueError as exc:
        raise ExportError(f"{text!r} is not an IRI: {exc}") from exc


def _term(term: object, blanks: dict[str, BlankNode]) -> NamedNode | BlankNode | Literal:
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, BNode):
        return blanks.setdefault(str(term), BlankNode())
    if isinstance(term, RdfLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        return Literal(str(term), datatype=NamedNode(str(term.datatype)) if term.datatype else None)
    raise ExportError(f"cannot store the RDF term {term!r}")


def document_quads(document: pm.ProvDocument, graph: NamedNode) -> list[Quad]:
    """``document`` as PROV-O quads: each bundle in its own named graph, the rest in ``graph``."""
    try:
        dataset = ProvRDFSerializer(document).encode_document(document)
    except Exception as exc:  # the prov package raises assorted errors; translate at the boundary
        raise ExportError(f"cannot encode the document as PROV-O: {exc}") from exc
    blanks: dict[str, BlankNode] = {}
    quads = [Quad(graph, RDF.type, PROV.Bundle, graph)]
    for s, p, o, g in dataset.quads():
        graph_id = getattr(g, "identifier", g)  # rdflib yields graphs or their names, by version
        name = graph if graph_id is None or graph_id == DATASET_DEFAULT_GRAPH_ID else _term(graph_id, blanks)
        if not isinstance(name, NamedNode):
            name = graph
        quads.append(Quad(_term(s, blanks), _term(p, blanks), _term(o, blanks), name))  # type: ignore[arg-type]
    for record in dictionary.of(document):
        quads += dictionary.to_quads(record, NamedNode(record.bundle.uri) if record.bundle is not None else graph)
    # a relation stated only in qualified form also gets its unqualified statement, so the shipped
    # questions (which read prov:used, prov:wasGeneratedBy, ...) see it; export leaves it out again
    unqualified = [Quad(*statement) for statement in implied_by_qualified(quads)]
    return _stable_blanks(list(dict.fromkeys(quads + unqualified)))


def _stable_blanks(quads: list[Quad]) -> list[Quad]:
    """Quads whose blank nodes are named by what they say and what points at them, so that importing
    a document twice into an embedded store adds nothing (anonymous relations and key-entity pairs are
    blank nodes in PROV-O). A SPARQL endpoint scopes blank nodes to one update, so there a second
    import repeats them."""
    outgoing: dict[BlankNode, list[Quad]] = {}
    incoming: dict[BlankNode, list[Quad]] = {}
    for quad in quads:
        if isinstance(quad.subject, BlankNode):
            outgoing.setdefault(quad.subject, []).append(quad)
        if isinstance(quad.object, BlankNode):
            incoming.setdefault(quad.object, []).append(quad)
    content: dict[BlankNode, str] = {}

    def say(node: BlankNode, seen: frozenset[BlankNode] = frozenset()) -> str:
        """A hash of the node's own statements (nested blank nodes by their own content)."""
        if node not in content:
            parts = sorted(f"{q.graph_name} {q.predicate} {_inner(q.object, seen | {node})}"
                           for q in outgoing.get(node, []))
            content[node] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return content[node]

    def _inner(term: Any, seen: frozenset[BlankNode]) -> str:
        return say(term, seen) if isinstance(term, BlankNode) and term not in seen else str(term)

    def name(node: BlankNode) -> str:
        parents = sorted(f"{_inner(q.subject, frozenset())} {q.predicate}" for q in incoming.get(node, []))
        return hashlib.sha256("\n".join([say(node), *parents]).encode()).hexdigest()[:32]

    names: dict[BlankNode, BlankNode] = {}

    def fix(term: Any) -> Any:
        if not isinstance(term, BlankNode):
            return term
        return names.setdefault(term, BlankNode("b" + name(term)))

    return list(dict.fromkeys(Quad(fix(q.subject), q.predicate, fix(q.object), q.graph_name) for q in quads))


def record_count(document: pm.ProvDocument) -> int:
    """How many records (dictionary statements included) a document holds."""
    return len(document.records) + sum(len(b.records) for b in document.bundles) + len(dictionary.of(document))


def read_with_quads(data: bytes, fmt: str, source: str) -> tuple[pm.ProvDocument, list[Quad]]:
    """The document ``data`` in ``fmt`` and its quads."""
    document = read_document(data, fmt, source)
    return document, document_quads(document, document_graph(data))


def document_quads_from_bytes(data: bytes, fmt: str, source: str = "the document") -> list[Quad]:
    """The quads of the PROV document ``data`` in ``fmt`` (what a ``document.import`` event maps to)."""
    return read_with_quads(data, fmt, source)[1]
