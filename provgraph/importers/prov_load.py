"""Loading a PROV document into the store: each bundle a named graph, the rest in one graph per document.

The document is encoded as PROV-O by the ``prov`` package. Statements outside any bundle go to the
named graph ``bundle/import-<first 16 hex digits of the file's sha256>`` (itself typed
``prov:Bundle``), so importing the same file twice changes nothing and ``provgraph export`` shows
the document as one bundle. Everything is added in one store transaction: a document is imported
whole or not at all.

A project records an import as a ``document.import`` event holding the document's text
(:func:`import_event`), so the journal stays the source of truth and ``provgraph rebuild`` restores
imported documents too; :func:`import_bytes` and :func:`import_file` write to a bare store.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import prov.model as pm
from prov.serializers.provrdf import ProvRDFSerializer
from pyoxigraph import BlankNode, Literal, NamedNode, Quad
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from ..errors import ExportError
from ..events import Event, new_event
from ..export import dictionary
from ..store import Store
from ..vocab import PROV, RDF, iri
from .prov_read import READ_FORMATS, guess_format, read_document


@dataclass(frozen=True)
class ImportResult:
    """What an import added: the named graphs (document graph first), records and quads."""

    source: str
    format: str
    graphs: list[NamedNode]
    records: int
    quads: int

    def summary(self) -> str:
        names = ", ".join(g.value for g in self.graphs)
        return (f"imported {self.source} ({READ_FORMATS[self.format]}): {self.records} records, "
                f"{self.quads} quads in {len(self.graphs)} named graph(s): {names}")


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
    return _stable_blanks(list(dict.fromkeys(quads + unqualified(quads))))


#: PROV-O qualification patterns: qualifying property -> (property naming the influencer, unqualified property).
QUALIFIED = {
    PROV[q]: (PROV[who], PROV[short]) for q, who, short in (
        ("qualifiedUsage", "entity", "used"), ("qualifiedGeneration", "activity", "wasGeneratedBy"),
        ("qualifiedAssociation", "agent", "wasAssociatedWith"), ("qualifiedAttribution", "agent", "wasAttributedTo"),
        ("qualifiedDerivation", "entity", "wasDerivedFrom"), ("qualifiedDelegation", "agent", "actedOnBehalfOf"),
        ("qualifiedStart", "entity", "wasStartedBy"), ("qualifiedEnd", "entity", "wasEndedBy"),
        ("qualifiedInvalidation", "activity", "wasInvalidatedBy"),
        ("qualifiedCommunication", "activity", "wasInformedBy"),
        ("qualifiedInfluence", "influencer", "wasInfluencedBy"),
        ("qualifiedQuotation", "entity", "wasQuotedFrom"), ("qualifiedRevision", "entity", "wasRevisionOf"),
        ("qualifiedPrimarySource", "entity", "hadPrimarySource"),
    )
}


def unqualified(quads: list[Quad]) -> list[Quad]:
    """The unqualified triple of every relation stated in qualified form (PROV-O's qualification
    pattern), in the same graph, so queries that read ``prov:wasGeneratedBy`` see a relation a document
    gave only with an id, a time or a role."""
    statements: dict[tuple[Any, Any], list[Quad]] = {}
    for quad in quads:
        statements.setdefault((quad.subject, quad.graph_name), []).append(quad)
    added = []
    for quad in quads:
        pattern = QUALIFIED.get(quad.predicate)
        if pattern is None:
            continue
        link, short = pattern
        for about in statements.get((quad.object, quad.graph_name), ()):
            if about.predicate == link:
                added.append(Quad(quad.subject, short, about.object, quad.graph_name))
    return added


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


def _count(document: pm.ProvDocument) -> int:
    return len(document.records) + sum(len(b.records) for b in document.bundles) + len(dictionary.of(document))


def _read(data: bytes, fmt: str, source: str) -> tuple[pm.ProvDocument, list[Quad]]:
    document = read_document(data, fmt, source)
    return document, document_quads(document, document_graph(data))


def document_quads_from_bytes(data: bytes, fmt: str, source: str = "the document") -> list[Quad]:
    """The quads of the PROV document ``data`` in ``fmt`` (what a ``document.import`` event maps to)."""
    return _read(data, fmt, source)[1]


def _result(data: bytes, fmt: str, source: str, document: pm.ProvDocument, quads: list[Quad]) -> ImportResult:
    graph = document_graph(data)
    graphs = [graph, *sorted({q.graph_name for q in quads if q.graph_name != graph}, key=_value)]
    return ImportResult(source, fmt, graphs, _count(document), len(quads))  # type: ignore[arg-type]


def import_bytes(store: Store, data: bytes, fmt: str, source: str = "the document") -> ImportResult:
    """Read ``data`` as a PROV document in ``fmt`` and add it to ``store`` in one transaction.

    This writes to a bare store; :func:`import_event` makes the journal event a project records."""
    document, quads = _read(data, fmt, source)
    store.add(quads)
    return _result(data, fmt, source, document, quads)


def import_event(data: bytes, fmt: str, source: str = "the document") -> tuple[Event, ImportResult]:
    """A ``document.import`` event for ``data``, after checking that it parses (so a malformed
    document is rejected before anything is recorded), with what recording it will add."""
    document, quads = _read(data, fmt, source)
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{source} is not UTF-8 text: {exc}") from exc
    event = new_event("document.import", document={
        "source": source[:4096], "format": fmt, "sha256": hashlib.sha256(data).hexdigest(), "content": content})
    return event, _result(data, fmt, source, document, quads)


def _value(node: object) -> str:
    return str(getattr(node, "value", node))


def import_file(store: Store, path: str | Path, fmt: str | None = None) -> ImportResult:
    """Import the PROV document at ``path``; its format comes from ``fmt`` or the file name."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return import_bytes(store, data, fmt or guess_format(path, data), str(path))


