"""Reading PROV documents in any format into the ``prov`` package's record model.

PROV-N, PROV-JSON, PROV-XML and PROV-JSONLD are read by the ``prov`` package (3.2 reads PROV-N too);
PROV-XML local names are then decoded with the rule in :mod:`provgraph.provdoc.xmlnames`. Turtle,
TriG, N-Quads, RDF/XML and JSON-LD are parsed by pyoxigraph and decoded from PROV-O by the same path
the exporter uses, so a document reads the same whichever serialization it came in.
Every failure is an :class:`ExportError` that names the format and the problem.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import prov
import prov.model as pm
from pyoxigraph import Quad, RdfFormat, parse

from ..errors import ExportError, ProvgraphError
from . import dictionary
from .decode import document_from_quads
from .xmlnames import from_xml_names

#: Import formats: name -> (label, reader).
READ_FORMATS = {
    "provn": "PROV-N",
    "prov-json": "PROV-JSON",
    "prov-xml": "PROV-XML",
    "prov-jsonld": "PROV-JSONLD",
    "turtle": "Turtle",
    "trig": "TriG",
    "nquads": "N-Quads",
    "rdfxml": "RDF/XML",
    "jsonld": "JSON-LD",
}
_PROV_READERS = {"provn": "provn", "prov-json": "json", "prov-xml": "xml", "prov-jsonld": "jsonld"}
_RDF_READERS = {"turtle": RdfFormat.TURTLE, "trig": RdfFormat.TRIG, "nquads": RdfFormat.N_QUADS,
                "rdfxml": RdfFormat.RDF_XML, "jsonld": RdfFormat.JSON_LD}
_EXTENSIONS = {
    ".provn": "provn", ".pn": "provn", ".json": "prov-json", ".provjson": "prov-json", ".provx": "prov-xml",
    ".provxml": "prov-xml", ".xml": "prov-xml", ".ttl": "turtle", ".trig": "trig", ".nq": "nquads",
    ".nt": "nquads", ".rdf": "rdfxml", ".owl": "rdfxml", ".jsonld": "jsonld",
}
_PROV_JSONLD_CONTEXT = "openprovenance.org/prov-jsonld"
#: ProvToolbox declares ``prefix xsd <http://www.w3.org/2001/XMLSchema>`` (no ``#``); PROV-N predefines xsd, and
#: the prov package rejects any redeclaration, so this one (same meaning) is dropped before parsing.
_XSD_REDECLARED = re.compile(r"(?m)^\s*prefix\s+xsd\s+<http://www\.w3\.org/2001/XMLSchema#?>")


def guess_format(path: str | Path, data: bytes) -> str:
    """The format of a file from its name (and, for ``.jsonld``, whether it uses the PROV-JSONLD context)."""
    name = Path(path).name.lower()
    if name.endswith(".prov.jsonld"):
        return "prov-jsonld"
    suffix = Path(name).suffix
    if suffix not in _EXTENSIONS:
        raise ExportError(f"cannot tell the format of {path} from its extension ({suffix or 'none'}); "
                          f"give --format ({', '.join(READ_FORMATS)})")
    fmt = _EXTENSIONS[suffix]
    if fmt == "jsonld" and _PROV_JSONLD_CONTEXT.encode() in data[:65536]:
        return "prov-jsonld"
    return fmt


def read_document(data: bytes, fmt: str, source: str = "the document") -> pm.ProvDocument:
    """Parse ``data`` in ``fmt`` (see ``READ_FORMATS``) into a ``ProvDocument``.

    Raises :class:`ExportError` naming the problem when the bytes are not a PROV document in that
    format, including a well-formed file that holds no PROV statement at all.
    """
    if fmt not in READ_FORMATS:
        raise ExportError(f"unknown import format {fmt!r}; choose one of: {', '.join(READ_FORMATS)}")
    label = READ_FORMATS[fmt]
    if not data.strip():
        raise ExportError(f"{source} is empty; a {label} document needs at least one statement")
    try:
        document = _read_prov(data, fmt, source) if fmt in _PROV_READERS else _read_rdf(data, fmt)
    except ProvgraphError as exc:
        raise ExportError(f"{source} is not a valid {label} document: {exc}") from exc
    except Exception as exc:  # prov, lxml, json and rdflib raise assorted errors: translate them here
        raise ExportError(f"{source} is not a valid {label} document: {_describe(exc)}") from exc
    if not document.records and not document.bundles and not dictionary.of(document):
        raise ExportError(f"{source} holds no PROV statements (read as {label})")
    return document


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _read_prov(data: bytes, fmt: str, source: str) -> pm.ProvDocument:
    """Read with the ``prov`` package after taking out the PROV-Dictionary statements it cannot read."""
    records: list[dictionary.DictionaryRecord] = []
    if fmt == "prov-xml":
        from lxml import etree

        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        if root.tag != "{http://www.w3.org/ns/prov#}document":
            raise ExportError(f"the root element is {root.tag!r}, not prov:document")
        _normalise_xml_values(root)
        records = dictionary.pop_xml_document(root)
        data = etree.tostring(root)
    elif fmt == "prov-json":
        obj = json.loads(data)
        if isinstance(obj, dict):
            records = dictionary.pop_json_document(obj)
            data = json.dumps(obj).encode()
    elif fmt == "provn":
        text = _XSD_REDECLARED.sub(lambda m: " " * len(m.group(0)), data.decode("utf-8"))
        text, records = dictionary.pop_provn(text)
        data = text.encode("utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = prov.read(io.BytesIO(data), format=_PROV_READERS[fmt])
    if document is None:  # pragma: no cover - prov returns None only for unknown formats
        raise ExportError(f"the prov package cannot read {fmt}")
    if fmt == "prov-xml":
        document = from_xml_names(document)
    return dictionary.attach(document, records)


def _normalise_xml_values(root: Any) -> None:
    """Two value spellings the prov package misreads, put in the form it reads.

    ``xsi:type="prov:InternationalizedString"`` beside ``xml:lang`` is dropped (the language implies the
    type; prov would keep the type and lose the language), and the content of an ``rdf:XMLLiteral``
    value is turned into its text (prov would read only the whitespace before the first child).
    """

    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    for element in root.iter():
        if xsi_type not in element.attrib:
            continue
        prefix, _, local = element.get(xsi_type).partition(":")
        namespace = element.nsmap.get(prefix or None)
        if local == "InternationalizedString" and namespace == "http://www.w3.org/ns/prov#" \
                and "{http://www.w3.org/XML/1998/namespace}lang" in element.attrib:
            del element.attrib[xsi_type]
        elif local == "XMLLiteral" and namespace == "http://www.w3.org/1999/02/22-rdf-syntax-ns#" and len(element):
            text = "".join(_standalone_xml(child) for child in element)
            for child in list(element):
                element.remove(child)
            element.text = text


def _standalone_xml(element: Any) -> str:
    """``element`` serialized with only the namespace declarations it uses and without the
    whitespace-only text that pretty-printing put between its children."""
    from copy import deepcopy

    from lxml import etree

    copy = deepcopy(element)
    copy.tail = None
    for node in copy.iter():
        if node.text is not None and not node.text.strip() and len(node):
            node.text = None
        if node is not copy and node.tail is not None and not node.tail.strip():
            node.tail = None
    etree.cleanup_namespaces(copy)
    return str(etree.tostring(copy).decode())


def _read_rdf(data: bytes, fmt: str) -> pm.ProvDocument:
    parser = parse(data, _RDF_READERS[fmt])
    quads = [q for q in parser if isinstance(q, Quad)]
    if not quads:
        raise ExportError("no RDF statements")
    prefixes = {k: v for k, v in parser.prefixes.items() if k}
    return document_from_quads(quads, prefixes)
