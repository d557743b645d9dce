"""PROV-JSON, PROV-N and PROV-XML written graph by graph from PROV-O quads: a whole store without its
document.

:func:`write` takes the top level (the shared descriptions) and then one bundle's quads at a time,
decodes each by the rules of :mod:`.decode` (structural typings left out, types borrowed from the shared
descriptions, relations a qualified one implies left out, entity shortcuts expanded, redundant anonymous
relations dropped) and writes it at once; memory is one bundle, the shared graph's typings and the
prefixes. Values are read and written by the ``prov`` package's own PROV-O decoder, record coercion and
PROV-JSON encoder, and relations by its PROV-O tables, so the output parses to the ``ProvDocument``
that :func:`~.decode.document_from_quads` builds.

A graph is decoded here when each of its statements has one reading (:func:`_rows` says which do
not); otherwise that graph alone goes through :func:`~.decode.document_from_quads` (the ``prov``
package's decoder) and is written by the same writer. Left to the ``prov`` package: blank nodes and
RDF-star terms; PROV-Dictionary patterns; a subject with two PROV base classes or a derivation subtype
(``prov:Revision``, ``prov:Quotation``, ``prov:PrimarySource``); a formal attribute with two values
("scruffy" relations); a literal where a formal attribute needs a name or a time; ``prov:mentionOf``;
an unqualified association, attribution, delegation, communication or influence beside a qualified one
of the same subject.

PROV-N records are written by :class:`ProvnText` as the ``prov`` package writes them, with each name's
escaped text computed once per export; the ``prov`` package writes the frame (prefixes), and the whole of
any graph that text cannot vouch for. PROV-XML elements are written by the ``prov`` package's serializer,
one graph's document at a time (the top level's, a few thousand records at a time).
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar, cast

import prov.model as pm
from lxml import etree
from prov.constants import PROV_ATTRIBUTE_QNAMES, PROV_N_MAP
from prov.model.records import _offset_beyond_xsd_bound, _xsd_datetime_text, encoding_provn_value, parse_xsd_datetime
from prov.serializers.provjson import encode_json_representation
from prov.serializers.provrdf import _DECODE_PREDICATE_REWRITES, PREDICATE_MAP, RELATION_MAP, ProvRDFSerializer
from prov.serializers.provxml import ProvXMLSerializer
from pyoxigraph import Literal, NamedNode, Quad

from ..vocab import PREFIXES, PROV, RDF, XSD, implied_by_qualified
from . import dictionary
from .decode import Row, borrowed_types, document_from_quads, expanded, kept_rows, rdflib_term, shared_types, structural
from .xmlnames import escape_local, xml_name, xml_rows

#: PROV-O class IRI -> the record type it registers (exact base classes only, as the prov decoder reads).
_BASES = {k.uri: k for k, v in pm.PROV_BASE_CLS.items() if k == v}
_SUBTYPES = frozenset(PROV[t].value for t in ("Revision", "Quotation", "PrimarySource"))
#: Relation predicate IRI -> (record type, its first two formal attributes), as ``bundle.<factory>(s, o)``.
_RELATIONS = {
    str(p): (kind, *pm.PROV_REC_CLS[kind].FORMAL_ATTRIBUTES[:2])
    for p, name in RELATION_MAP.items() if name != "mention"
    for kind in (getattr(pm, f"PROV_{name.upper()}"),)
}
_PREDICATES = {str(k): v for k, v in PREDICATE_MAP.items()}
_INFLUENCER_FAMILIES = {PROV[short].value: PROV["qualified" + kind].value for short, kind in (
    ("wasAssociatedWith", "Association"), ("wasAttributedTo", "Attribution"), ("actedOnBehalfOf", "Delegation"),
    ("wasInformedBy", "Communication"), ("wasInfluencedBy", "Influence"))}
#: Terms only the prov package's decoder (and the dictionary module) read: dictionaries, mentions.
_UNREAD = frozenset({*(t.value for t in dictionary.PREDICATES | dictionary.TYPES), PROV.mentionOf.value})
_STRING, _DATETIME = XSD.string.value, XSD.dateTime.value
_ELEMENT_KINDS = frozenset(k for k, cls in pm.PROV_REC_CLS.items() if issubclass(cls, pm.ProvElement))
_TYPE = RDF.type
_Bundle = TypeVar("_Bundle", bound=pm.ProvBundle)
_XML_RECORDS = 2000  # top-level records per document the prov package writes as PROV-XML


class Names:
    """The document's namespaces: qualified names for IRIs (``nsN`` minted when none fits), values
    decoded as the ``prov`` package decodes them."""

    def __init__(self) -> None:
        self.document = pm.ProvDocument()
        for prefix, base in PREFIXES.items():
            self.document.add_namespace(prefix, base)
        self._bases = {ns.uri: ns for ns in self.document.namespaces}
        self._names: dict[str, pm.QualifiedName] = {}  # the names of the graph at hand (cleared when large)
        self._values: dict[tuple[Any, ...], Any] = {}  # and its literal values
        self._decoder = ProvRDFSerializer(self.document)
        self._scratch = self.document.entity("provml:scratch")
        self.provn = ProvnText()
        self.xml_local = functools.lru_cache(maxsize=1 << 17)(escape_local)  # PROV-XML local names

    def qname(self, iri: str) -> pm.QualifiedName:
        name = self._names.get(iri)
        if name is not None:
            return name
        if len(self._names) > 100_000:
            self._names.clear()
        cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":")) + 1
        namespace = self._bases.get(iri[:cut])
        if namespace is not None and cut < len(iri):
            name = pm.QualifiedName(namespace, iri[cut:])
        else:
            name = dictionary.mint(self.document, iri)
            if name.namespace.uri == iri[:cut]:
                self._bases[iri[:cut]] = name.namespace
        self._names[iri] = name
        return name

    def value(self, attr: pm.QualifiedName, term: object) -> Any:
        """An attribute value as a ``prov`` record holds it after the PROV-O decoder read ``term``."""
        if isinstance(term, NamedNode):
            return self.qname(term.value)
        assert isinstance(term, Literal)
        datatype = term.datatype.value
        if datatype == _STRING and not term.language:
            return term.value  # what the decoder and the record's coercion make of a plain string
        key = (attr, term.value, datatype, term.language)
        value = self._values.get(key, self)
        if value is self:
            if len(self._values) > 10_000:
                self._values.clear()
            moment = parse_xsd_datetime(term.value) if datatype == _DATETIME else None
            if moment is not None and not _offset_beyond_xsd_bound(moment):
                decoded: Any = moment  # the decoder's reading of a well-formed xsd:dateTime, without rdflib
            else:
                decoded = self._decoder.decode_rdf_representation(rdflib_term(term), None)
            value = self._values[key] = self._scratch._coerce_attribute_value(attr, decoded)
        return value

    def learn(self, document: pm.ProvBundle) -> None:
        """Take the namespaces ``document`` minted."""
        taken = {ns.prefix for ns in self.document.namespaces}
        for namespace in document.namespaces:
            if namespace.prefix not in taken:
                self.document.add_namespace(namespace)
                self._bases.setdefault(namespace.uri, namespace)


class ProvnText:
    """Records in PROV-N as ``ProvRecord.get_provn`` writes them, each qualified name escaped once per
    export by its own ``provn_bare_representation`` (which ``get_provn`` repeats, character by character,
    at every use of a name)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # prefix:local -> its PROV-N text

    def name(self, name: pm.QualifiedName) -> str:
        key = str(name)
        text = self._names.get(key)
        if text is None:
            if len(self._names) > 200_000:
                self._names.clear()
            text = self._names[key] = name.provn_bare_representation()
        return text

    def records(self, bundle: pm.ProvBundle, rows: list[Row]) -> list[str] | None:
        """The lines ``bundle.get_provn()`` writes once ``rows`` are its records, with the namespaces
        they use declared in ``bundle`` in the order ``new_record`` would; ``None`` when the rows could
        read otherwise as records (a namespace renamed or default, a formal attribute given as an extra
        one, a collection) or the ``prov`` package would add an ``xsi`` prefix."""
        used: dict[pm.Namespace, None] = {}
        lines = []
        for kind, identifier, formal, extra in rows:
            cls = pm.PROV_REC_CLS[kind]
            items = []
            relation_id = ""
            if identifier is not None:
                used[identifier.namespace] = None
                if kind in _ELEMENT_KINDS:
                    items.append(self.name(identifier))
                else:
                    relation_id = self.name(identifier) + "; "
            given: dict[pm.QualifiedName, Any] = {}
            for attr, value in formal:
                if attr not in cls.FORMAL_ATTRIBUTES:
                    return None
                used[attr.namespace] = None
                if isinstance(value, pm.QualifiedName):
                    used[value.namespace] = None
                given.setdefault(attr, value)
            for attr in cls.FORMAL_ATTRIBUTES:
                value = given.get(attr)
                if value is None:
                    items.append("-")
                elif isinstance(value, datetime.datetime):
                    items.append(_xsd_datetime_text(value))
                elif isinstance(value, pm.QualifiedName):
                    items.append(self.name(value))
                else:
                    items.append(str(value))
            values: dict[pm.QualifiedName, dict[tuple[type, Any], Any]] = {}
            for attr, value in extra:
                if attr in cls.FORMAL_ATTRIBUTES or attr == pm.PROV_ATTR_COLLECTION:
                    return None
                used[attr.namespace] = None
                if isinstance(value, pm.QualifiedName):
                    used[value.namespace] = None
                values.setdefault(attr, {}).setdefault((type(value), value), value)  # as a TypedValueSet
            if values:
                items.append("[" + ", ".join(f"{self.name(attr)}={self._value(value)}"
                                             for attr, kept in values.items() for value in kept.values()) + "]")
            lines.append(f"{PROV_N_MAP[kind]}({relation_id}{', '.join(items)})")
        if any(not n.prefix or bundle.add_namespace(n) != n for n in used) or any("xsi:" in s for s in lines):
            return None
        return lines

    def _value(self, value: Any) -> str:
        if isinstance(value, pm.QualifiedName):
            return f"'{self.name(value)}'"
        try:
            return cast(str, value.provn_representation())
        except AttributeError:
            return encoding_provn_value(value)


def _rows(quads: list[Quad], names: Names) -> list[Row] | None:
    """The records of one graph as the ``prov`` package's PROV-O decoder reads them, or ``None`` when a
    statement has more than one reading (see the module docstring)."""
    bases: dict[str, pm.QualifiedName] = {}
    types: dict[str, list[pm.QualifiedName]] = {}
    qualified: set[tuple[str, str]] = set()
    for quad in quads:
        if not isinstance(quad.subject, NamedNode) or not isinstance(quad.object, NamedNode | Literal):
            return None
        p = quad.predicate.value
        if p in _UNREAD or (quad.object.value in _UNREAD and quad.predicate == _TYPE):
            return None
        if quad.predicate == _TYPE:
            cls = quad.object.value
            if cls in _SUBTYPES or isinstance(quad.object, Literal):
                return None
            if cls in _BASES:
                if quad.subject.value in bases:
                    return None
                bases[quad.subject.value] = _BASES[cls]
            else:
                types.setdefault(quad.subject.value, []).append(names.qname(cls))
        elif "qualified" in p:
            qualified.add((quad.subject.value, p))
    formal: dict[str, dict[pm.QualifiedName, Any]] = {s: {} for s in bases}
    extra: dict[str, list[tuple[pm.QualifiedName, Any]]] = {s: [] for s in bases}
    rows: list[Row] = []

    def put(subject: str, attr: pm.QualifiedName, value: Any) -> bool:
        if attr not in pm.PROV_REC_CLS[bases[subject]].FORMAL_ATTRIBUTES:
            if not any(a == attr and type(v) is type(value) and v == value for a, v in extra[subject]):
                extra[subject].append((attr, value))  # a record holds a value once (by type and value)
            return True
        if attr in PROV_ATTRIBUTE_QNAMES and not isinstance(value, pm.QualifiedName):
            return False
        return formal[subject].setdefault(attr, value) == value

    for quad in quads:
        s, p, o = cast(NamedNode, quad.subject).value, quad.predicate.value, cast(NamedNode | Literal, quad.object)
        if quad.predicate == _TYPE:
            continue
        relation = _RELATIONS.get(p)
        if relation is not None:
            family = _INFLUENCER_FAMILIES.get(p)
            if not isinstance(o, NamedNode) or (family is not None and (s, family) in qualified):
                return None
            kind, first, second = relation
            rows.append((kind, None, [(first, names.qname(s)), (second, names.qname(o.value))], []))
        elif "qualified" in p:
            if o.value in bases and not put(o.value, pm.PROV_REC_CLS[bases[o.value]].FORMAL_ATTRIBUTES[0],
                                            names.qname(s)):
                return None
        elif s in bases and "asInBundle" not in p:
            attr: Any = _PREDICATES.get(p, p)
            for needle, replacement in _DECODE_PREDICATE_REWRITES.get(bases[s], ()):
                if needle in str(attr):
                    attr = replacement
            key = attr if isinstance(attr, pm.QualifiedName) else names.qname(attr)
            try:
                value = names.value(key, o)
            except pm.ProvException:
                return None
            if not put(s, key, value):
                return None
    for subject, kind in bases.items():
        given = formal[subject]
        rows += expanded(kind, names.qname(subject),
                         [(a, given[a]) for a in pm.PROV_REC_CLS[kind].FORMAL_ATTRIBUTES if a in given],
                         [(pm.PROV_TYPE, t) for t in types.get(subject, ())] + extra[subject])
    return kept_rows(rows)


def _json_records(rows: list[Row]) -> dict[str, Any]:
    """The PROV-JSON object of one graph's records (names use the document's prefixes)."""
    text = str  # a qualified name's prefix:local
    container: dict[str, dict[str, Any]] = {}
    anonymous = 0
    for kind, identifier, formal, extra in rows:
        record: dict[str, Any] = {}
        for attr, value in formal:
            record[text(attr)] = text(value) if attr in PROV_ATTRIBUTE_QNAMES else _xsd_datetime_text(value)
        for attr, value in extra:
            encoded = encode_json_representation(value, text)
            key = text(attr)
            if key in record:
                record[key] = [*record[key], encoded] if isinstance(record[key], list) else [record[key], encoded]
            else:
                record[key] = encoded
        if identifier is None:
            anonymous += 1
            key = f"_:id{anonymous}"
        else:
            key = text(identifier)
        section = container.setdefault(PROV_N_MAP[kind], {})
        if key in section:
            section[key] = [*section[key], record] if isinstance(section[key], list) else [section[key], record]
        else:
            section[key] = record
    return container


def _graph(quads: list[Quad], names: Names) -> tuple[list[Row], list[dictionary.DictionaryRecord], pm.ProvDocument]:
    """One graph (already given its borrowed types): its records, its PROV-Dictionary records and the
    document those are rebased on. Names it uses are registered in ``names``."""
    implied = implied_by_qualified(quads)
    rows = _rows([q for q in quads if (q.subject, q.predicate, q.object, q.graph_name) not in implied], names)
    if rows is not None:
        return rows, [], names.document
    document = document_from_quads([Quad(q.subject, q.predicate, q.object) for q in quads],
                                   {ns.prefix: ns.uri for ns in names.document.namespaces})
    names.learn(document)
    rows = [row for r in document.get_records() for row in expanded(
        r.get_type(), r.identifier, [(a, v) for a, v in r.formal_attributes if v is not None],
        list(r.extra_attributes))]
    return rows, [dictionary.rebase(r, document) for r in dictionary.of(document)], document


def write(out: IO[bytes], fmt: str, top: list[Quad], bundles: Iterable[tuple[NamedNode, list[Quad]]]) -> None:
    """Write ``fmt`` (``prov-json``, ``provn`` or ``prov-xml``) to ``out``: ``top`` (the shared descriptions)
    as the document's own records, then each ``(graph, quads)`` of ``bundles`` as one bundle, decoded and
    written before the next is read.

    >>> write(sys.stdout.buffer, "prov-json", shared_quads, ((g, quads_of(g)) for g in bundle_graphs))
    """
    writer = FORMATS[fmt]
    names = Names()
    kept = [q for q in top if not structural(q)]
    shared = shared_types(kept)
    writer.head(out, names, *_graph(kept, names))
    declared = set(names.document.namespaces)
    first = True
    for graph, quads in bundles:
        members = [q for q in quads if not structural(q)]
        if members:
            parts = _graph(members + borrowed_types(members, shared), names)
            writer.bundle(out, names, names.qname(graph.value), first, set(names.document.namespaces) - declared,
                          *parts)
            first = False
    writer.tail(out, names)


class _JSON:
    """PROV-JSON: the top level's records, ``"bundle": {...}`` one by one, the prefixes last."""

    @staticmethod
    def head(out: IO[bytes], names: Names, rows: list[Row], records: list[dictionary.DictionaryRecord],
             document: pm.ProvDocument) -> None:
        out.write(b"{")
        for kind, section in sorted(_container(rows, records, document).items()):
            out.write(_dumps(kind) + b":" + _dumps(section) + b",")
        out.write(b'"bundle":{')

    @staticmethod
    def bundle(out: IO[bytes], names: Names, name: pm.QualifiedName, first: bool, new: set[pm.Namespace],
               rows: list[Row], records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> None:
        out.write((b"" if first else b",") + _dumps(str(name)) + b":" + _dumps(_container(rows, records, document)))

    @staticmethod
    def tail(out: IO[bytes], names: Names) -> None:
        prefixes = {ns.prefix: ns.uri for ns in names.document.namespaces}
        out.write(b'},"prefix":' + _dumps(dict(sorted(prefixes.items()))) + b"}")


class _PROVN:
    """PROV-N: the top level with every prefix known then, each bundle with the prefixes minted since, as
    the ``prov`` package writes them (:func:`_provn`)."""

    @staticmethod
    def head(out: IO[bytes], names: Names, rows: list[Row], records: list[dictionary.DictionaryRecord],
             document: pm.ProvDocument) -> None:
        text = _provn(pm.ProvDocument, names.document.namespaces, rows, names.provn, 0)
        statements = "".join(f"  {dictionary.provn_statement(r, document)}\n" for r in records)
        out.write((text.rsplit("endDocument", 1)[0] + statements).encode("utf-8"))

    @staticmethod
    def bundle(out: IO[bytes], names: Names, name: pm.QualifiedName, first: bool, new: set[pm.Namespace],
               rows: list[Row], records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> None:
        def container() -> pm.ProvBundle:
            return pm.ProvDocument(namespaces=names.document.namespaces).bundle(name)

        body, end = _provn(container, new, rows, names.provn, 1).rsplit("endBundle", 1)
        statements = "".join(f"    {dictionary.provn_statement(r, document)}\n" for r in records)
        out.write(("  " + body + statements + "  endBundle" + end + "\n").encode("utf-8"))

    @staticmethod
    def tail(out: IO[bytes], names: Names) -> None:
        out.write(b"endDocument\n")


class _XML:
    """PROV-XML: the document element declaring the prefixes known at the top level, its records (a few
    thousand at a time), then one ``prov:bundleContent`` per bundle declaring the prefixes it adds;
    elements by the ``prov`` package, names escaped as :func:`~.xmlnames.to_xml_names` escapes them,
    declarations sorted so output is reproducible."""

    @staticmethod
    def head(out: IO[bytes], names: Names, rows: list[Row], records: list[dictionary.DictionaryRecord],
             document: pm.ProvDocument) -> None:
        empty = _declared(pm.ProvDocument(), names.document.namespaces)
        root = ProvXMLSerializer(empty).serialize_bundle(empty)
        out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n" + _xml_parts(etree.Element(
            root.tag, nsmap=_sorted_map(root.nsmap)))[0])
        for start in range(0, len(rows), _XML_RECORDS):
            part = _filled(_declared(pm.ProvDocument(), names.document.namespaces),
                           xml_rows(rows[start:start + _XML_RECORDS], names.xml_local))
            out.write(_xml_children(ProvXMLSerializer(part).serialize_bundle(part), root.nsmap))
        root.extend(dictionary.to_xml(records, document).get(None, []))
        out.write(_xml_children(root, root.nsmap))

    @staticmethod
    def bundle(out: IO[bytes], names: Names, name: pm.QualifiedName, first: bool, new: set[pm.Namespace],
               rows: list[Row], records: list[dictionary.DictionaryRecord], document: pm.ProvDocument) -> None:
        top = pm.ProvDocument(namespaces=set(names.document.namespaces) - new)
        serializer = ProvXMLSerializer(top)
        element = serializer.serialize_bundle(top)  # declaring the prefixes known at the top level
        bundle = _filled(_declared(top.bundle(xml_name(name, names.xml_local)), new), xml_rows(rows, names.xml_local))
        serializer.serialize_bundle(bundle, element).extend(dictionary.to_xml(records, document).get(None, []))
        out.write(_xml_children(element, element.nsmap))

    @staticmethod
    def tail(out: IO[bytes], names: Names) -> None:
        out.write(b"</prov:document>\n")


#: The formats this module writes, by export format name.
FORMATS: dict[str, type[_JSON] | type[_PROVN] | type[_XML]] = {"prov-json": _JSON, "provn": _PROVN, "prov-xml": _XML}


def _provn(container: Callable[[], pm.ProvBundle], namespaces: Iterable[pm.Namespace], rows: list[Row],
           text: ProvnText, indent: int) -> str:
    """``rows`` as ``container().get_provn(indent)`` writes them once ``namespaces`` are declared and the rows
    are its records: the frame by the ``prov`` package, the records by ``text`` where it vouches for them
    (:meth:`ProvnText.records`), else by the ``prov`` package too."""
    bundle = _declared(container(), namespaces)
    lines = text.records(bundle, rows)
    if lines is None:
        return _filled(_declared(container(), namespaces), rows).get_provn(_indent_level=indent)
    frame = bundle.get_provn(_indent_level=indent)
    if not lines:
        return frame
    head, end = frame.rsplit("\n", 1)
    newline = "\n" + "  " * (indent + 1)
    return head + newline + newline.join(lines) + "\n" + end


def _declared(bundle: _Bundle, namespaces: Iterable[pm.Namespace]) -> _Bundle:
    for namespace in sorted(namespaces, key=lambda n: n.prefix):
        bundle.add_namespace(namespace)
    return bundle


def _filled(bundle: _Bundle, rows: list[Row]) -> _Bundle:
    for kind, identifier, formal, extra in rows:
        bundle.new_record(kind, identifier, formal, extra)
    return bundle


def _xml_children(element: etree._Element, base: dict[str | None, str]) -> bytes:
    """The children of ``element``, pretty-printed inside a document element that declares ``base``; a child
    declares what else it has in scope."""
    holder = etree.Element(element.tag, nsmap=base)
    for child in list(element):
        added = {p: uri for p, uri in child.nsmap.items() if base.get(p) != uri}
        if added:
            moved = etree.SubElement(holder, child.tag, child.attrib, nsmap=_sorted_map(added))
            moved.text = child.text
            moved.extend(child)
        else:
            holder.append(child)
    return _xml_parts(holder)[1]


def _xml_parts(element: etree._Element) -> tuple[bytes, bytes]:
    """``element``'s start tag and its content, pretty-printed (lxml escapes ``>`` in attribute values)."""
    text = etree.tostring(element, pretty_print=True, encoding="UTF-8")
    cut = text.index(b">") + 1
    if text[:cut].endswith(b"/>"):
        return text[:cut - 2] + b">\n", b""
    return text[:cut] + b"\n", text[cut:text.rindex(b"</")].lstrip(b"\n")


def _sorted_map(nsmap: dict[str | None, str]) -> dict[str | None, str]:
    return dict(sorted(nsmap.items(), key=lambda item: item[0] or ""))


def _container(rows: list[Row], records: list[dictionary.DictionaryRecord], document: pm.ProvDocument
               ) -> dict[str, Any]:
    """The PROV-JSON object of one graph: its records and its dictionary ``records``."""
    container = _json_records(rows)
    for by_kind in dictionary.to_json(records, document).values():
        for kind, entries in by_kind.items():
            container.setdefault(kind, {}).update(entries)
    return container


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
