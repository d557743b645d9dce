"""PROV-Dictionary relations (W3C Note, 2013), which the ``prov`` package does not model.

``derivedByInsertionFrom(id; d2, d1, {(key, entity)...}, attrs)``, ``derivedByRemovalFrom(id; d2, d1,
{key...}, attrs)`` and ``hadDictionaryMember(d, entity, key)`` are kept beside a ``ProvDocument`` as
:class:`DictionaryRecord` values, read from and written to every format here: PROV-N, PROV-JSON,
PROV-XML and the PROV-O patterns of the Note (``prov:qualifiedInsertion`` / ``prov:Insertion`` /
``prov:insertedKeyEntityPair``, ``prov:qualifiedRemoval`` / ``prov:removedKey``,
``prov:hadDictionaryMember`` / ``prov:pairKey`` / ``prov:pairEntity``).

Keys and attribute values are decoded by the ``prov`` package itself (through a throw-away entity),
so a key such as ``"1" %% xsd:int`` or ``'ex:a'`` means the same here as anywhere else in prov.
A qualified-name key is stored in RDF as ``"<full IRI>"^^prov:QUALIFIED_NAME``.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import prov
import prov.model as pm
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from ..vocab import PROV, RDF

INSERTION, REMOVAL, MEMBERSHIP = "derivedByInsertionFrom", "derivedByRemovalFrom", "hadDictionaryMember"
KINDS = (INSERTION, REMOVAL, MEMBERSHIP)
QUALIFIED_NAME = PROV.QUALIFIED_NAME.value
_DUMMY = pm.Namespace("pgdict", "urn:provgraph:dictionary#")
_KEY = _DUMMY["key"]
_SUBJECT = _DUMMY["record"]

Attribute = tuple[pm.QualifiedName, Any]


@dataclass(frozen=True)
class DictionaryRecord:
    """One dictionary relation; ``dictionary`` is the new (or member-holding) dictionary."""

    kind: str
    identifier: pm.QualifiedName | None
    dictionary: pm.QualifiedName | None
    before: pm.QualifiedName | None = None
    pairs: tuple[tuple[Any, pm.QualifiedName], ...] = ()
    keys: tuple[Any, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    bundle: pm.QualifiedName | None = None


def _prefix_doc(namespaces: Iterable[pm.Namespace]) -> pm.ProvDocument:
    doc = pm.ProvDocument()
    for namespace in namespaces:
        doc.add_namespace(namespace)
    doc.add_namespace(_DUMMY)
    return doc


def _attributes_of(document: pm.ProvDocument) -> list[Attribute]:
    records = [r for r in document.get_records() if r.identifier == _SUBJECT]
    return list(records[0].extra_attributes) if records else []


def _read(data: str | bytes, fmt: str) -> pm.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = prov.read(io.BytesIO(data.encode() if isinstance(data, str) else data), format=fmt)
    if document is None:  # pragma: no cover - prov returns None only for unknown formats
        raise ValueError(f"prov could not read {fmt}")
    return document


# -- PROV-JSON -----------------------------------------------------------------------------------


def pop_json(obj: dict[str, Any], prefixes: dict[str, str], bundle: pm.QualifiedName | None) -> list[DictionaryRecord]:
    """Remove the dictionary sections from one PROV-JSON document or bundle object; return their records."""
    found = []
    for kind in KINDS:
        section = obj.pop(kind, None)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ValueError(f'the "{kind}" value must be a JSON object')
        for ident, body in section.items():
            for item in body if isinstance(body, list) else [body]:
                found.append(_json_record(kind, ident, dict(item), prefixes, bundle))
    return found


def _json_values(prefixes: dict[str, str], attrs: dict[str, Any]) -> list[Attribute]:
    doc = {"prefix": {**prefixes, _DUMMY.prefix: _DUMMY.uri}, "entity": {str(_SUBJECT): attrs}}
    return _attributes_of(_read(json.dumps(doc), "json"))


def _json_record(kind: str, ident: str, body: dict[str, Any], prefixes: dict[str, str],
                 bundle: pm.QualifiedName | None) -> DictionaryRecord:
    names = {"prov:after", "prov:before", "prov:dictionary", "prov:key-entity-set", "prov:key-set"}
    refs = {k: body.pop(k) for k in names & set(body)}
    raw: dict[str, Any] = {}
    pairs_raw: list[tuple[Any, str]] = []
    kes = refs.get("prov:key-entity-set", [])
    if isinstance(kes, dict):
        datatype = kes.pop("$key-datatype", None)
        pairs_raw = [({"$": k, "type": datatype} if datatype else k, v) for k, v in kes.items()]
    else:
        pairs_raw = [(item["key"], item["$"]) for item in kes]
    keys_raw = refs.get("prov:key-set", [])
    for index, (key, entity) in enumerate(pairs_raw):
        raw[f"pgdict:k{index}"] = key
        raw[f"pgdict:e{index}"] = {"$": entity, "type": "prov:QUALIFIED_NAME"}
    for index, key in enumerate(keys_raw):
        raw[f"pgdict:r{index}"] = key
    for ref in ("prov:after", "prov:before", "prov:dictionary"):
        if ref in refs:
            raw[f"pgdict:{ref[5:]}"] = {"$": refs[ref], "type": "prov:QUALIFIED_NAME"}
    decoded = dict(_json_values(prefixes, raw))
    attrs = _json_values(prefixes, body) if body else []
    get = decoded.get
    pairs = tuple((get(_DUMMY[f"k{i}"]), _named(get(_DUMMY[f"e{i}"]))) for i in range(len(pairs_raw)))
    keys = tuple(get(_DUMMY[f"r{i}"]) for i in range(len(keys_raw)))
    identifier = None if ident.startswith("_:") else _qname(ident, prefixes)
    dictionary = get(_DUMMY["after"]) or get(_DUMMY["dictionary"])
    return DictionaryRecord(kind, identifier, dictionary, get(_DUMMY["before"]), pairs, keys, tuple(attrs), bundle)


def _named(value: Any) -> pm.QualifiedName:
    if not isinstance(value, pm.QualifiedName):
        raise ValueError(f"{value!r} does not name an entity")
    return value


def _qname(text: str, prefixes: dict[str, str]) -> pm.QualifiedName:
    prefix, _, local = text.partition(":") if ":" in text else ("default", "", text)
    if prefix not in prefixes:
        raise ValueError(f"unknown prefix {prefix!r} in {text!r}")
    return pm.QualifiedName(pm.Namespace(prefix, prefixes[prefix]), local)


def to_json(records: Iterable[DictionaryRecord], document: pm.ProvDocument) -> dict[Any, dict[str, Any]]:
    """The PROV-JSON sections of ``records``, by bundle (``None`` for the document)."""
    out: dict[Any, dict[str, Any]] = {}
    for n, record in enumerate(records):
        attrs: list[Attribute] = list(record.attributes)
        refs = (("prov:after", record.dictionary), ("prov:before", record.before)) if record.kind != MEMBERSHIP \
            else (("prov:dictionary", record.dictionary),)
        scratch = _prefix_doc(document.namespaces)
        for index, (key, entity) in enumerate(record.pairs):
            attrs += [(_DUMMY[f"k{index}"], key), (_DUMMY[f"e{index}"], entity)]
        for index, key in enumerate(record.keys):
            attrs.append((_DUMMY[f"r{index}"], key))
        scratch.entity(_SUBJECT, attrs)
        body = json.loads(str(scratch.serialize(format="json")))["entity"][str(_SUBJECT)]
        entry: dict[str, Any] = {name: str(ref) for name, ref in refs if ref is not None}
        pairs = [{"key": body.pop(f"pgdict:k{i}"), "$": _plain(body.pop(f"pgdict:e{i}"))}
                 for i in range(len(record.pairs))]
        keys = [body.pop(f"pgdict:r{i}") for i in range(len(record.keys))]
        if record.kind != REMOVAL:
            entry["prov:key-entity-set"] = pairs
        else:
            entry["prov:key-set"] = keys
        entry.update(body)
        ident = str(record.identifier) if record.identifier is not None else f"_:pgd{n}"
        out.setdefault(record.bundle, {}).setdefault(record.kind, {})[ident] = entry
    return out


def _plain(value: Any) -> Any:
    return value["$"] if isinstance(value, dict) and "$" in value else value


# -- PROV-XML ------------------------------------------------------------------------------------

_P = "{http://www.w3.org/ns/prov#}"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def pop_xml(container: Any, bundle: pm.QualifiedName | None) -> list[DictionaryRecord]:
    """Remove the dictionary elements under one PROV-XML document or bundleContent element."""
    found = []
    for element in list(container):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.startswith(_P) and tag[len(_P):] in KINDS:
            found.append(_xml_record(tag[len(_P):], element, bundle))
            container.remove(element)
    return found


def _xml_values(element: Any, children: list[Any]) -> list[Attribute]:
    from lxml import etree

    nsmap = {"xsd": "http://www.w3.org/2001/XMLSchema", **element.nsmap}
    nsmap.update({"prov": "http://www.w3.org/ns/prov#", _DUMMY.prefix: _DUMMY.uri,
                  "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    root = etree.Element(f"{_P}document", nsmap=nsmap)
    entity = etree.SubElement(root, f"{_P}entity")
    entity.set(f"{_P}id", str(_SUBJECT))
    for child in children:
        entity.append(child)
    from .xmlnames import from_xml_names

    return _attributes_of(from_xml_names(_read(etree.tostring(root), "xml")))


def _xml_record(kind: str, element: Any, bundle: pm.QualifiedName | None) -> DictionaryRecord:
    from copy import deepcopy

    from lxml import etree

    renamed: list[Any] = []
    attrs: list[Any] = []
    counts = {"k": 0, "e": 0, "r": 0}

    def dummy(name: str, text: str, xsi_type: str | None, lang: str | None = None) -> None:
        """A stand-in attribute element; ``xsi_type`` ``None`` is a plain string, ``"ref"`` a reference."""
        child = etree.Element(f"{{{_DUMMY.uri}}}{name}")
        child.text = text
        if lang is not None:
            child.set(_XML_LANG, lang)
        elif xsi_type is not None:
            child.set(_XSI_TYPE, "xsd:QName" if xsi_type == "ref" else xsi_type)
        renamed.append(child)

    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = child.tag[len(_P):] if child.tag.startswith(_P) else None
        if local in ("newDictionary", "oldDictionary", "dictionary"):
            dummy({"newDictionary": "after", "oldDictionary": "before", "dictionary": "after"}[local],
                  child.get(f"{_P}ref"), "ref")
        elif local == "keyEntityPair":
            key = child.find(f"{_P}key")
            ent = child.find(f"{_P}entity")
            dummy(f"k{counts['k']}", key.text or "", key.get(_XSI_TYPE), key.get(_XML_LANG))
            dummy(f"e{counts['e']}", ent.get(f"{_P}ref"), "ref")
            counts["k"] += 1
            counts["e"] += 1
        elif local == "key":
            dummy(f"r{counts['r']}", child.text or "", child.get(_XSI_TYPE), child.get(_XML_LANG))
            counts["r"] += 1
        else:
            attrs.append(deepcopy(child))
    decoded = dict(_xml_values(element, renamed))
    identifier = element.get(f"{_P}id")
    ident = None
    if identifier is not None:
        scratch = _xml_values(element, [_qname_element(identifier)])
        ident = scratch[0][1] if scratch else None
    get = decoded.get
    pairs = tuple((get(_DUMMY[f"k{i}"]), _named(get(_DUMMY[f"e{i}"]))) for i in range(counts["k"]))
    keys = tuple(get(_DUMMY[f"r{i}"]) for i in range(counts["r"]))
    values = tuple(_xml_values(element, attrs)) if attrs else ()
    return DictionaryRecord(kind, ident, get(_DUMMY["after"]), get(_DUMMY["before"]), pairs, keys, values, bundle)


def _qname_element(text: str) -> Any:
    from lxml import etree

    child = etree.Element(f"{{{_DUMMY.uri}}}id")
    child.text = text
    child.set(_XSI_TYPE, "xsd:QName")
    return child


def to_xml(records: Iterable[DictionaryRecord], document: pm.ProvDocument) -> dict[Any, list[Any]]:
    """PROV-XML elements for ``records``, by bundle (``None`` for the document); names escaped."""
    from lxml import etree

    from .xmlnames import to_xml_names

    out: dict[Any, list[Any]] = {}
    for record in records:
        scratch = _prefix_doc(document.namespaces)
        attrs: list[Attribute] = list(record.attributes)
        refs = [("after", record.dictionary), ("before", record.before)]
        attrs += [(_DUMMY[n], v) for n, v in refs if v is not None]
        if record.identifier is not None:
            attrs.append((_DUMMY["id"], record.identifier))
        for index, (key, entity) in enumerate(record.pairs):
            attrs += [(_DUMMY[f"k{index}"], key), (_DUMMY[f"e{index}"], entity)]
        for index, key in enumerate(record.keys):
            attrs.append((_DUMMY[f"r{index}"], key))
        scratch.entity(_SUBJECT, attrs)
        tree = etree.fromstring(str(to_xml_names(scratch).serialize(format="xml")).encode())
        entity = tree.find(f"{_P}entity")
        made = {c.tag[len(_DUMMY.uri) + 2:]: c for c in entity if c.tag.startswith(f"{{{_DUMMY.uri}}}")}
        element = etree.Element(f"{_P}{record.kind}", nsmap=tree.nsmap)
        if "id" in made:
            element.set(f"{_P}id", made["id"].text)

        def ref(tag: str, source: Any, parent: Any = element) -> None:
            etree.SubElement(parent, f"{_P}{tag}").set(f"{_P}ref", source.text)

        if record.kind == MEMBERSHIP:
            ref("dictionary", made["after"])
        else:
            ref("newDictionary", made["after"])
            ref("oldDictionary", made["before"])
        for index in range(len(record.pairs)):
            pair = etree.SubElement(element, f"{_P}keyEntityPair")
            key = made[f"k{index}"]
            key.tag = f"{_P}key"
            pair.append(key)
            ref_el = etree.SubElement(pair, f"{_P}entity")
            ref_el.set(f"{_P}ref", made[f"e{index}"].text)
        for index in range(len(record.keys)):
            key = made[f"r{index}"]
            key.tag = f"{_P}key"
            element.append(key)
        for child in entity:
            if not child.tag.startswith(f"{{{_DUMMY.uri}}}"):
                element.append(child)
        out.setdefault(record.bundle, []).append(element)
    return out


# -- PROV-N --------------------------------------------------------------------------------------


def provn_statement(record: DictionaryRecord, document: pm.ProvDocument) -> str:
    """The PROV-N statement of ``record``."""
    scratch = _prefix_doc(document.namespaces)

    def value(v: Any) -> str:
        text = scratch.entity(_DUMMY[f"v{len(scratch.records)}"], [(_KEY, v)]).get_provn()
        return text[text.index("=", text.index("[")) + 1: text.rindex("]")].strip()

    ident = f"{record.identifier}; " if record.identifier is not None else ""
    if record.kind == MEMBERSHIP:
        (key, entity), = record.pairs
        return f"prov:hadDictionaryMember({record.dictionary}, {entity}, {value(key)})"
    if record.kind == INSERTION:
        inner = ", ".join(f"({value(k)}, {e})" for k, e in record.pairs)
    else:
        inner = ", ".join(value(k) for k in record.keys)
    attrs = ""
    if record.attributes:
        text = scratch.entity(_SUBJECT, list(record.attributes)).get_provn()
        attrs = ", " + text[text.index("["): text.rindex("]") + 1]
    before = record.before if record.before is not None else "-"
    return f"prov:{record.kind}({ident}{record.dictionary}, {before}, {{{inner}}}{attrs})"


def provn_values(items: list[str], prefix_lines: str) -> list[Any]:
    """Decode PROV-N literals (``"a" %% xsd:string``, ``'ex:a'``, ``"x"@en``) with prov's own parser."""
    if not items:
        return []
    attrs = ", ".join(f"pgdict:v{i} = {text}" for i, text in enumerate(items))
    decoded = dict(provn_attributes(f"[{attrs}]", prefix_lines))
    return [decoded[_DUMMY[f"v{i}"]] for i in range(len(items))]


def provn_attributes(text: str, prefix_lines: str) -> list[Attribute]:
    """Decode a PROV-N attribute list ``[a = v, ...]``."""
    scratch = f"document\n{prefix_lines}\nprefix pgdict <{_DUMMY.uri}>\nentity(pgdict:record, {text})\nendDocument\n"
    return _attributes_of(_read(scratch, "provn"))


# -- PROV-O --------------------------------------------------------------------------------------

_DICT_PREDICATES = frozenset(PROV[p] for p in (
    "qualifiedInsertion", "qualifiedRemoval", "hadDictionaryMember", "derivedByInsertionFrom",
    "derivedByRemovalFrom", "insertedKeyEntityPair", "removedKey", "pairKey", "pairEntity"))
_DICT_TYPES = frozenset({PROV.Insertion, PROV.Removal, PROV.KeyEntityPair})


def _rdf_values(terms: list[Any], namespaces: list[pm.Namespace]) -> list[Any]:
    """Decode RDF literals as the ``prov`` package's PROV-O reader does (keys of dictionary pairs)."""
    subject = NamedNode(_SUBJECT.uri)
    terms = [NamedNode(t.value) if isinstance(t, Literal) and t.datatype == PROV.QUALIFIED_NAME and "://" in t.value
             else t for t in terms]
    quads = [Quad(subject, NamedNode(_DUMMY[f"v{i}"].uri), t) for i, t in enumerate(terms)]
    decoded = dict(_rdf_attributes(quads, [*namespaces, _DUMMY]))
    return [decoded.get(_DUMMY[f"v{i}"]) for i in range(len(terms))]


def mint(document: pm.ProvBundle, iri: str) -> pm.QualifiedName:
    """The qualified name of ``iri`` in ``document``, registering a new ``nsN`` prefix if needed."""
    from prov.identifier import Identifier

    found = document.valid_qualified_name(Identifier(iri))
    if found is not None:
        return found
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":")) + 1
    base, local = iri[:cut], iri[cut:]
    taken = {ns.prefix for ns in document.namespaces}
    prefix = next(f"ns{n}" for n in range(1, len(taken) + 2) if f"ns{n}" not in taken)
    document.add_namespace(prefix, base)
    return pm.QualifiedName(pm.Namespace(prefix, base), local)


def split_quads(quads: list[Quad], document: pm.ProvDocument) -> tuple[list[Quad], list[DictionaryRecord]]:
    """Separate the dictionary patterns from other quads; the dictionary ones become records.

    Names are minted in ``document``'s namespaces (new ones are registered there).
    """
    namespaces = list(document.namespaces)

    def _iri_qname(iri: str) -> pm.QualifiedName:
        return mint(document, iri)

    by_subject: dict[Any, list[Quad]] = {}
    for quad in quads:
        by_subject.setdefault((quad.subject, quad.graph_name), []).append(quad)
    used: set[Quad] = set()
    records: list[DictionaryRecord] = []

    def objects(node: Any, graph: Any, pred: NamedNode) -> list[Any]:
        return [q.object for q in by_subject.get((node, graph), []) if q.predicate == pred]

    def pair(node: Any, graph: Any) -> tuple[Any, pm.QualifiedName] | None:
        keys, ents = objects(node, graph, PROV.pairKey), objects(node, graph, PROV.pairEntity)
        if len(keys) != 1 or len(ents) != 1 or not isinstance(keys[0], Literal):
            return None
        used.update(by_subject.get((node, graph), []))
        return _rdf_values(keys, namespaces)[0], _iri_qname(ents[0].value)

    for quad in quads:
        graph = quad.graph_name
        bundle = _iri_qname(graph.value) if isinstance(graph, NamedNode) else None
        if quad.predicate in (PROV.qualifiedInsertion, PROV.qualifiedRemoval):
            node = quad.object
            kind = INSERTION if quad.predicate == PROV.qualifiedInsertion else REMOVAL
            olds = objects(node, graph, PROV.dictionary)
            pairs = [p for p in (pair(n, graph) for n in objects(node, graph, PROV.insertedKeyEntityPair)) if p]
            keys = _rdf_values([k for k in objects(node, graph, PROV.removedKey) if isinstance(k, Literal)], namespaces)
            attrs = [q for q in by_subject.get((node, graph), []) if q.predicate not in _DICT_PREDICATES
                     and q.predicate != PROV.dictionary and not (q.predicate == RDF.type and q.object in _DICT_TYPES)]
            used.add(quad)
            used.update(by_subject.get((node, graph), []))
            used.update(q for q in by_subject.get((quad.subject, graph), [])
                        if q.predicate == PROV[kind] and olds and q.object == olds[0])
            ident = _iri_qname(node.value) if isinstance(node, NamedNode) else None
            records.append(DictionaryRecord(
                kind, ident, _iri_qname(str(getattr(quad.subject, "value", ""))),
                _iri_qname(olds[0].value) if olds else None,
                tuple(pairs), tuple(keys), tuple(_rdf_attributes(attrs, namespaces)), bundle))
        elif quad.predicate == PROV.hadDictionaryMember:
            found = pair(quad.object, graph)
            if found is not None:
                used.add(quad)
                subject = _iri_qname(str(getattr(quad.subject, "value", "")))
                records.append(DictionaryRecord(MEMBERSHIP, None, subject, None, (found,), bundle=bundle))
    return [q for q in quads if q not in used], records


def _rdf_attributes(quads: list[Quad], namespaces: list[pm.Namespace]) -> list[Attribute]:
    if not quads:
        return []
    from .document import document_from_quads

    subject = NamedNode(_SUBJECT.uri)
    rows = [Quad(subject, RDF.type, PROV.Entity, quads[0].graph_name)]
    rows += [Quad(subject, q.predicate, q.object, q.graph_name) for q in quads]
    doc = document_from_quads(rows, {n.prefix: n.uri for n in namespaces})
    return [a for b in [doc, *doc.bundles] for r in b.get_records() if r.identifier == _SUBJECT
            for a in r.extra_attributes]


def to_quads(record: DictionaryRecord, graph: NamedNode) -> list[Quad]:
    """The PROV-O quads of one dictionary record in ``graph``."""
    quads: list[Quad] = []

    def node(qn: pm.QualifiedName | None) -> NamedNode | BlankNode:
        return NamedNode(qn.uri) if qn is not None else BlankNode()

    def key_term(value: Any) -> Literal:
        if isinstance(value, pm.QualifiedName):
            return Literal(value.uri, datatype=PROV.QUALIFIED_NAME)
        return _term(value)

    def add_pair(subject: NamedNode | BlankNode, pred: NamedNode, key: Any, entity: pm.QualifiedName) -> None:
        pair = BlankNode()
        quads.extend([Quad(subject, pred, pair, graph), Quad(pair, RDF.type, PROV.KeyEntityPair, graph),
                      Quad(pair, PROV.pairKey, key_term(key), graph),
                      Quad(pair, PROV.pairEntity, NamedNode(entity.uri), graph)])

    target = node(record.dictionary)
    if record.kind == MEMBERSHIP:
        for key, entity in record.pairs:
            add_pair(target, PROV.hadDictionaryMember, key, entity)
        return quads
    qualified = node(record.identifier)
    cls, link = (PROV.Insertion, PROV.qualifiedInsertion) if record.kind == INSERTION else (
        PROV.Removal, PROV.qualifiedRemoval)
    quads += [Quad(target, link, qualified, graph), Quad(qualified, RDF.type, cls, graph)]
    if record.before is not None:
        quads += [Quad(target, PROV[record.kind], NamedNode(record.before.uri), graph),
                  Quad(qualified, PROV.dictionary, NamedNode(record.before.uri), graph)]
    for key, entity in record.pairs:
        add_pair(qualified, PROV.insertedKeyEntityPair, key, entity)
    for key in record.keys:
        quads.append(Quad(qualified, PROV.removedKey, key_term(key), graph))
    for name, value in record.attributes:
        obj = NamedNode(value.uri) if isinstance(value, pm.QualifiedName) else _term(value)
        quads.append(Quad(qualified, NamedNode(name.uri), obj, graph))
    return quads


def _term(value: Any) -> Literal:
    from prov.serializers.provrdf import literal_rdf_representation

    if isinstance(value, pm.Literal):
        rdf = literal_rdf_representation(value)
        if rdf.language:
            return Literal(str(rdf), language=rdf.language)
        return Literal(str(rdf), datatype=NamedNode(str(rdf.datatype))) if rdf.datatype else Literal(str(rdf))
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=NamedNode(pm.XSD["boolean"].uri))
    if isinstance(value, int):
        return Literal(str(value), datatype=NamedNode(pm.XSD["int"].uri))
    if isinstance(value, float):
        return Literal(repr(value), datatype=NamedNode(pm.XSD["double"].uri))
    return Literal(str(value))


# -- PROV-N reading ------------------------------------------------------------------------------

_OPEN, _CLOSE = "([{", ")]}"


def _skip_string(text: str, i: int) -> int:
    """Index just past the string or qualified-name literal starting at ``text[i]``."""
    if text.startswith('"""', i):
        end = text.find('"""', i + 3)
        return len(text) if end < 0 else end + 3
    quote = text[i]
    j = i + 1
    while j < len(text) and text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _split(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` at nesting depth 0, outside literals."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
            continue
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return parts


def _statements(text: str) -> Iterable[tuple[int, int, str, str, str | None]]:
    """``(start, end, keyword, inner text, bundle)`` of each dictionary statement in PROV-N ``text``."""
    import re

    keyword = re.compile(r"(?:prov:)?(derivedByInsertionFrom|derivedByRemovalFrom|hadDictionaryMember)\s*\(")
    bundle_start = re.compile(r"bundle\s+([^\s]+)")
    i, bundle = 0, None
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
            continue
        if text.startswith("//", i):
            i = text.find("\n", i) if text.find("\n", i) >= 0 else len(text)
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2 if text.find("*/", i) >= 0 else len(text)
            continue
        at_word = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:")
        match = keyword.match(text, i) if at_word else None
        if match:
            depth, j = 1, match.end()
            while j < len(text) and depth:
                if text[j] in "\"'":
                    j = _skip_string(text, j)
                    continue
                depth += 1 if text[j] in _OPEN else -1 if text[j] in _CLOSE else 0
                j += 1
            yield i, j, match.group(1), text[match.end(): j - 1], bundle
            i = j
            continue
        if at_word and text.startswith("endBundle", i):
            bundle = None
        elif at_word and (found := bundle_start.match(text, i)):
            bundle = found.group(1)
        i += 1


def pop_provn(text: str) -> tuple[str, list[DictionaryRecord]]:
    """PROV-N ``text`` with its dictionary statements blanked out, and those statements as records."""
    import re

    prefix_lines = "\n".join(m.group(0) for m in re.finditer(r"(?m)^\s*(?:prefix\s+\S+|default)\s*<[^>]*>", text))
    records: list[DictionaryRecord] = []
    pieces, last = [], 0
    for start, end, kind, inner, bundle in _statements(text):
        pieces.append(text[last:start])
        pieces.append("".join(c if c == "\n" else " " for c in text[start:end]))
        last = end
        records.append(_provn_record(kind, inner, bundle, prefix_lines))
    pieces.append(text[last:])
    return "".join(pieces), records


def _provn_record(kind: str, inner: str, bundle: str | None, prefix_lines: str) -> DictionaryRecord:
    head = _split(inner, ";")
    ident_text = head[0] if len(head) == 2 else None
    args = _split(head[-1], ",")
    attrs = provn_attributes(args.pop(), prefix_lines) if args and args[-1].startswith("[") else []

    def names(items: list[str]) -> list[Any]:
        return provn_values([f"'{t}'" for t in items], prefix_lines)

    bundle_id = names([bundle])[0] if bundle else None
    ident = names([ident_text])[0] if ident_text and ident_text != "-" else None
    if kind == MEMBERSHIP:
        dictionary, entity = names(args[:2])
        (key,) = provn_values([args[2]], prefix_lines)
        return DictionaryRecord(kind, ident, dictionary, None, ((key, entity),), (), tuple(attrs), bundle_id)
    after, before = (None if t == "-" else names([t])[0] for t in args[:2])
    members = _split(args[2].strip()[1:-1], ",") if args[2].strip() not in ("{}", "") else []
    if kind == INSERTION:
        split_pairs = [_split(m.strip()[1:-1], ",") for m in members]
        keys = provn_values([p[0] for p in split_pairs], prefix_lines)
        entities = names([p[1] for p in split_pairs])
        return DictionaryRecord(kind, ident, after, before, tuple(zip(keys, entities, strict=True)), (),
                                tuple(attrs), bundle_id)
    return DictionaryRecord(kind, ident, after, before, (), tuple(provn_values(members, prefix_lines)),
                            tuple(attrs), bundle_id)


# -- attaching records to a document ------------------------------------------------------------

_ATTR = "_provgraph_dictionaries"


def attach(document: pm.ProvDocument, records: Iterable[DictionaryRecord]) -> pm.ProvDocument:
    """Keep ``records`` with ``document`` (the prov package has no place for them)."""
    setattr(document, _ATTR, [*of(document), *records])
    return document


def of(document: pm.ProvDocument) -> list[DictionaryRecord]:
    """The dictionary records kept with ``document``."""
    return list(getattr(document, _ATTR, []))


def pop_json_document(obj: dict[str, Any]) -> list[DictionaryRecord]:
    """:func:`pop_json` on a PROV-JSON document and each of its bundles."""
    prefixes = obj.get("prefix", {})
    if not isinstance(prefixes, dict):
        return []
    found = pop_json(obj, prefixes, None)
    bundles = obj.get("bundle", {})
    for ident, body in bundles.items() if isinstance(bundles, dict) else ():
        if isinstance(body, dict):
            scope = {**prefixes, **(body.get("prefix") or {})}
            found += pop_json(body, scope, _qname(ident, scope))
    return found


def pop_xml_document(root: Any) -> list[DictionaryRecord]:
    """:func:`pop_xml` on a PROV-XML document and each of its ``bundleContent`` elements."""
    found = pop_xml(root, None)
    for content in root.findall(f"{_P}bundleContent"):
        values = _xml_values(content, [_qname_element(content.get(f"{_P}id", ""))])
        found += pop_xml(content, values[0][1] if values else None)
    return found


def rebase(record: DictionaryRecord, document: pm.ProvBundle) -> DictionaryRecord:
    """``record`` with every qualified name re-spelt in ``document``'s namespaces (registering new ones)."""

    def name(value: Any) -> Any:
        return mint(document, value.uri) if isinstance(value, pm.QualifiedName) else value

    return DictionaryRecord(
        record.kind, name(record.identifier), name(record.dictionary), name(record.before),
        tuple((name(k), name(e)) for k, e in record.pairs), tuple(name(k) for k in record.keys),
        tuple((name(k), name(v)) for k, v in record.attributes), name(record.bundle))
