"""PROV-Dictionary relations in PROV-O: the qualified insertion, removal and membership patterns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import prov.model as pm
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from ...vocab import PROV, RDF
from .model import (
    _DUMMY,
    _SUBJECT,
    INSERTION,
    MEMBERSHIP,
    REMOVAL,
    Attribute,
    DictionaryRecord,
    mint,
)

#: The PROV-O terms of the Dictionary patterns (a graph holding any of them needs this module).
PREDICATES = frozenset(PROV[p] for p in (
    "qualifiedInsertion", "qualifiedRemoval", "hadDictionaryMember", "derivedByInsertionFrom",
    "derivedByRemovalFrom", "insertedKeyEntityPair", "removedKey", "pairKey", "pairEntity"))
TYPES = frozenset({PROV.Insertion, PROV.Removal, PROV.KeyEntityPair})


#: Decodes PROV-O quads into a document (:func:`provgraph.provdoc.decode.document_from_quads`, passed in
#: by its caller so that this module does not import the decoder that imports it).
Decode = Callable[[list[Quad], dict[str, str]], pm.ProvDocument]


def _rdf_values(terms: list[Any], namespaces: list[pm.Namespace], decode: Decode) -> list[Any]:
    """Decode RDF literals as the ``prov`` package's PROV-O reader does (keys of dictionary pairs)."""
    subject = NamedNode(_SUBJECT.uri)
    terms = [NamedNode(t.value) if isinstance(t, Literal) and t.datatype == PROV.QUALIFIED_NAME and "://" in t.value
             else t for t in terms]
    quads = [Quad(subject, NamedNode(_DUMMY[f"v{i}"].uri), t) for i, t in enumerate(terms)]
    decoded = dict(_rdf_attributes(quads, [*namespaces, _DUMMY], decode))
    return [decoded.get(_DUMMY[f"v{i}"]) for i in range(len(terms))]


def split_quads(quads: list[Quad], document: pm.ProvDocument,
                decode: Decode) -> tuple[list[Quad], list[DictionaryRecord]]:
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
        return _rdf_values(keys, namespaces, decode)[0], _iri_qname(ents[0].value)

    for quad in quads:
        graph = quad.graph_name
        bundle = _iri_qname(graph.value) if isinstance(graph, NamedNode) else None
        if quad.predicate in (PROV.qualifiedInsertion, PROV.qualifiedRemoval):
            node = quad.object
            kind = INSERTION if quad.predicate == PROV.qualifiedInsertion else REMOVAL
            olds = objects(node, graph, PROV.dictionary)
            pairs = [p for p in (pair(n, graph) for n in objects(node, graph, PROV.insertedKeyEntityPair)) if p]
            keys = _rdf_values([k for k in objects(node, graph, PROV.removedKey) if isinstance(k, Literal)],
                               namespaces, decode)
            attrs = [q for q in by_subject.get((node, graph), []) if q.predicate not in PREDICATES
                     and q.predicate != PROV.dictionary and not (q.predicate == RDF.type and q.object in TYPES)]
            used.add(quad)
            used.update(by_subject.get((node, graph), []))
            used.update(q for q in by_subject.get((quad.subject, graph), [])
                        if q.predicate == PROV[kind] and olds and q.object == olds[0])
            ident = _iri_qname(node.value) if isinstance(node, NamedNode) else None
            records.append(DictionaryRecord(
                kind, ident, _iri_qname(str(getattr(quad.subject, "value", ""))),
                _iri_qname(olds[0].value) if olds else None,
                tuple(pairs), tuple(keys), tuple(_rdf_attributes(attrs, namespaces, decode)), bundle))
        elif quad.predicate == PROV.hadDictionaryMember:
            found = pair(quad.object, graph)
            if found is not None:
                used.add(quad)
                subject = _iri_qname(str(getattr(quad.subject, "value", "")))
                records.append(DictionaryRecord(MEMBERSHIP, None, subject, None, (found,), bundle=bundle))
    return [q for q in quads if q not in used], records


def _rdf_attributes(quads: list[Quad], namespaces: list[pm.Namespace], decode: Decode) -> list[Attribute]:
    if not quads:
        return []
    subject = NamedNode(_SUBJECT.uri)
    rows = [Quad(subject, RDF.type, PROV.Entity, quads[0].graph_name)]
    rows += [Quad(subject, q.predicate, q.object, q.graph_name) for q in quads]
    doc = decode(rows, {n.prefix: n.uri for n in namespaces})
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
