"""Writing an export scope in one format: the W3C PROV serializations and plain RDF.

PROV-N, PROV-JSON, PROV-XML and PROV-JSONLD go through the ``prov`` package (3.2 writes all four),
from the document :func:`~provgraph.export.document.prov_document` builds, one bundle per run; the
whole store's PROV-JSON, PROV-N and PROV-XML are streamed instead, graph by graph (:func:`write`,
:mod:`provgraph.provdoc.stream`).
Turtle, TriG, N-Quads and JSON-LD are written by pyoxigraph straight from the quads in scope, so
they hold exactly what the store holds (Turtle, having no named graphs, holds their union).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, cast

import prov.model as pm
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from ..errors import ExportError, ProvgraphError
from ..provdoc import dictionary, stream
from ..provdoc.decode import document_from_quads
from ..provdoc.xmlnames import escape_local, to_xml_names
from ..query.sparql import load, sparql
from ..store import Solutions, Store
from ..vocab import PREFIXES, SHARED_GRAPH
from .document import scoped_quads


@dataclass(frozen=True)
class Format:
    """One export format: its name, usual file extension, media type and whether it is PROV-DM."""

    name: str
    extension: str
    media_type: str
    prov_dm: bool
    label: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("provn", ".provn", "text/provenance-notation", True, "PROV-N"),
        Format("prov-json", ".json", "application/json", True, "PROV-JSON"),
        Format("prov-xml", ".provx", "application/xml", True, "PROV-XML"),
        Format("prov-jsonld", ".prov.jsonld", "application/ld+json", True, "PROV-JSONLD"),
        Format("turtle", ".ttl", "text/turtle", False, "Turtle (PROV-O)"),
        Format("trig", ".trig", "application/trig", False, "TriG (PROV-O)"),
        Format("nquads", ".nq", "application/n-quads", False, "N-Quads (PROV-O)"),
        Format("jsonld", ".jsonld", "application/ld+json", False, "JSON-LD (PROV-O)"),
    )
}

_PROV_WRITERS = {"provn": "provn", "prov-json": "json", "prov-xml": "xml", "prov-jsonld": "jsonld"}
_RDF_FORMATS = {"turtle": RdfFormat.TURTLE, "trig": RdfFormat.TRIG, "nquads": RdfFormat.N_QUADS,
                "jsonld": RdfFormat.JSON_LD}


def get_format(name: str) -> Format:
    """The format called ``name``; an :class:`ExportError` listing the valid names otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ExportError(f"unknown export format {name!r}; choose one of: {', '.join(FORMATS)}") from None


def serialize_document(document: pm.ProvDocument, fmt: str) -> bytes:
    """``document`` in one of the PROV-DM formats (``provn``, ``prov-json``, ``prov-xml``, ``prov-jsonld``)."""
    if get_format(fmt).prov_dm is False:
        raise ExportError(f"{fmt} is an RDF format; export it from quads, not from a PROV document")
    records = [dictionary.rebase(r, document) for r in dictionary.of(document)]
    if records and fmt == "prov-jsonld":
        raise ExportError("PROV-JSONLD has no form for PROV-Dictionary relations; export PROV-N, PROV-JSON, "
                          "PROV-XML or an RDF format instead")
    buffer = io.BytesIO()
    try:
        (to_xml_names(document) if fmt == "prov-xml" else document).serialize(
            buffer, format=_PROV_WRITERS[fmt], **({"indent": 2} if fmt == "prov-json" else {}))
        data = buffer.getvalue()
        if records:
            data = _WITH_DICTIONARIES[fmt](data, records, document)
        data = _stable(data, fmt)
    except ProvgraphError:
        raise
    except Exception as exc:  # the prov package raises assorted errors; translate at the boundary
        raise ExportError(f"cannot write {get_format(fmt).label}: {exc}") from exc
    return data


def _stable(data: bytes, fmt: str) -> bytes:
    """``data`` with the prefixes (which the prov package keeps in sets) in a fixed order, so the same
    store always exports to the same bytes and an audit can be repeated checksum for checksum."""
    if fmt in ("prov-json", "prov-jsonld"):
        return json.dumps(json.loads(data), indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    if fmt == "prov-xml":
        return _TAG.sub(_sorted_declarations, data.decode("utf-8")).encode("utf-8")
    lines, out, block = data.decode("utf-8").split("\n"), [], []
    for line in lines:
        if line.lstrip().startswith(("prefix ", "default ")):
            block.append(line)
            continue
        out += sorted(block)
        block = []
        out.append(line)
    return "\n".join(out + sorted(block)).encode("utf-8")


_TAG = re.compile(r"<[A-Za-z][^<>]*>")  # lxml escapes < and > inside attribute values
_DECLARATION = re.compile(r'\s+xmlns(?::[\w.-]+)?="[^"]*"')


def _sorted_declarations(match: re.Match[str]) -> str:
    tag = match.group(0)
    declarations = _DECLARATION.findall(tag)
    if len(declarations) < 2:
        return tag
    rest = _DECLARATION.sub("", tag)
    name_end = re.match(r"<[^\s/>]+", rest)
    assert name_end is not None  # _TAG only matches start tags
    cut = name_end.end()
    return rest[:cut] + "".join(sorted(declarations)) + rest[cut:]


def _provn_with(data: bytes, records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> bytes:
    lines = data.decode("utf-8").split("\n")
    by_bundle: dict[object, list[str]] = {}
    for record in records:
        by_bundle.setdefault(record.bundle, []).append(dictionary.provn_statement(record, document))
    out: list[str] = []
    current = None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("bundle ") or stripped == "endDocument":
            out += [f"  {s}" for s in by_bundle.pop(None, [])]
        if stripped.startswith("bundle "):
            current = stripped.split()[1]
        if stripped == "endBundle":
            match = next((b for b in by_bundle if b is not None and str(b) == current), None)
            out += [f"    {s}" for s in by_bundle.pop(match, [])] if match is not None else []
        out.append(line)
    return "\n".join(out).encode("utf-8")


def _json_with(data: bytes, records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> bytes:
    obj = json.loads(data)
    for bundle, sections in dictionary.to_json(records, document).items():
        target = obj if bundle is None else obj.setdefault("bundle", {}).setdefault(str(bundle), {})
        for kind, entries in sections.items():
            target.setdefault(kind, {}).update(entries)
        for namespace in {n for r in records for n in _namespaces(r)}:
            obj.setdefault("prefix", {}).setdefault(namespace.prefix, namespace.uri)
    return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8")


def _xml_with(data: bytes, records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    for bundle, elements in dictionary.to_xml(records, document).items():
        parent = root
        if bundle is not None:
            parent = next((c for c in root.iter("{http://www.w3.org/ns/prov#}bundleContent")
                           if c.get("{http://www.w3.org/ns/prov#}id") == str(to_xml_qname(bundle))), root)
        index = next((i for i, c in enumerate(parent) if c.tag == "{http://www.w3.org/ns/prov#}bundleContent"),
                     len(parent))
        for offset, element in enumerate(elements):
            parent.insert(index + offset, element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _namespaces(record: dictionary.DictionaryRecord) -> list[pm.Namespace]:
    names = [record.identifier, record.dictionary, record.before, *(e for _, e in record.pairs),
             *(k for k, _ in record.pairs), *record.keys, *(k for k, _ in record.attributes),
             *(v for _, v in record.attributes)]
    return [n.namespace for n in names if isinstance(n, pm.QualifiedName)]


_WITH_DICTIONARIES = {"provn": _provn_with, "prov-json": _json_with, "prov-xml": _xml_with}


def to_xml_qname(name: pm.QualifiedName) -> str:
    """How ``name`` is spelt in PROV-XML."""
    return f"{name.namespace.prefix}:{escape_local(name.localpart)}"


def serialize_quads(quads: Iterable[Quad], fmt: str) -> bytes:
    """``quads`` in one of the RDF formats (``turtle``, ``trig``, ``nquads``, ``jsonld``)."""
    rdf_format = _RDF_FORMATS.get(get_format(fmt).name)
    if rdf_format is None:
        raise ExportError(f"{fmt} is a PROV-DM format; export it from a PROV document")
    prefixes = _prefixes(rdf_format)
    items: Iterable[Quad] | list[Triple] = quads
    if not rdf_format.supports_datasets:
        items = list(dict.fromkeys(q.triple for q in quads))
    try:
        data = serialize(items, format=rdf_format, prefixes=prefixes)
    except (ValueError, OSError) as exc:
        raise ExportError(f"cannot write {get_format(fmt).label}: {exc}") from exc
    return data if data is not None else b""


def _prefixes(rdf_format: RdfFormat) -> dict[str, str]:
    """The prefixes an RDF export declares (none in N-Quads, which has no way to)."""
    return {} if rdf_format == RdfFormat.N_QUADS else dict(PREFIXES)


def export(
    store: Store,
    fmt: str,
    *,
    run: str | None = None,
    nodes: Iterable[NamedNode] | None = None,
) -> bytes:
    """The store, one run (``run``) or the subgraph around ``nodes`` in format ``fmt`` (see ``FORMATS``).

    >>> data = export(store, "prov-xml", run="train-1")
    """
    buffer = io.BytesIO()
    write(store, fmt, buffer, run=run, nodes=nodes)
    return buffer.getvalue()


def write(
    store: Store,
    fmt: str,
    out: IO[bytes],
    *,
    run: str | None = None,
    nodes: Iterable[NamedNode] | None = None,
) -> None:
    """Write what :func:`export` returns to ``out``; the whole store's RDF formats, PROV-JSON, PROV-N and
    PROV-XML as it is read.

    The whole store in an RDF format is written by the store itself (:meth:`Store.write`). PROV-JSON,
    PROV-N and PROV-XML of the whole store (:func:`_streams`) or of the statements about some nodes (an
    impact or lineage), every statement in a named graph, are written graph by graph by the streaming
    writer. Everything else decodes its scope into one ``prov`` document first.
    """
    spec = get_format(fmt)
    if run is None and nodes is None and spec.name in _RDF_FORMATS:
        rdf_format = _RDF_FORMATS[spec.name]
        store.write(out, rdf_format, _prefixes(rdf_format))
        return
    if run is None and nodes is None and _streams(store, spec):
        _by_graph(out, spec.name, store.graphs(), lambda graph: graph_quads(store, graph))
        return
    quads = scoped_quads(store, run=run, nodes=nodes)
    if nodes is not None and spec.name in stream.FORMATS and all(isinstance(q.graph_name, NamedNode) for q in quads):
        grouped: dict[NamedNode, list[Quad]] = {}
        for quad in quads:
            grouped.setdefault(cast(NamedNode, quad.graph_name), []).append(quad)
        _by_graph(out, spec.name, list(grouped), grouped.__getitem__)
        return
    out.write(serialize_document(document_from_quads(quads), fmt) if spec.prov_dm else serialize_quads(quads, fmt))


def _by_graph(out: IO[bytes], fmt: str, graphs: Iterable[NamedNode], quads_of: Callable[[NamedNode], list[Quad]]
              ) -> None:
    """``graphs`` written by the streaming writer: the shared descriptions as the top level, then each other
    graph as a bundle, in IRI order, its quads read (``quads_of``) only when it is written."""
    ordered = sorted(graphs, key=lambda g: g.value)
    top = quads_of(SHARED_GRAPH) if SHARED_GRAPH in ordered else []
    stream.write(out, fmt, top, ((g, quads_of(g)) for g in ordered if g != SHARED_GRAPH))


def _streams(store: Store, spec: Format) -> bool:
    """Whether the whole store's export is streamed: PROV-JSON, PROV-N or PROV-XML, with no statement in the
    default graph (whose statements would join the shared descriptions at the top level: read at once, by
    the prov path). PROV-JSONLD is written by the prov package from one document."""
    return spec.name in stream.FORMATS and all_named(store)


def all_named(store: Store) -> bool:
    """Whether every statement of the store sits in a named graph (a run's bundle or the shared
    descriptions), so the store can be read graph by graph."""
    found = sparql(store, load("named-quads"))
    count = found.rows[0].get("n") if isinstance(found, Solutions) and found.rows else None
    return isinstance(count, Literal) and int(count.value) == len(store)


def graph_quads(store: Store, graph: NamedNode) -> list[Quad]:
    """The statements of one named graph."""
    try:
        return [Quad(t.subject, t.predicate, t.object, graph)
                for t in parse(store.dump(RdfFormat.N_TRIPLES, graph=graph), RdfFormat.N_TRIPLES)]
    except (SyntaxError, ValueError) as exc:
        raise ExportError(f"cannot read {graph.value} for export: {exc}") from exc
