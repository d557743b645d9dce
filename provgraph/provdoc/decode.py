"""From PROV-O quads to a ``prov`` package document: pure translation, no store.

The quads are loaded into rdflib graphs (one per named graph) and decoded by the ``prov`` package's
PROV-O reader, so every PROV-O pattern (qualified usages, generations, associations, roles, times) comes
back as the matching PROV-DM record, and every non-PROV triple on a record (``provml:sha256``,
``rdfs:label``...) as one of its attributes. Around the ``prov`` reader:

* PROV-Dictionary patterns are taken out first and kept with the document
  (:mod:`provgraph.provdoc.dictionary`); every IRI gets a prefix (``nsN`` when none fits);
* the shared descriptions graph is the document's top level; a node a bundle mentions but does not type
  gets its types from there;
* a bundle's ``prov:Bundle`` typing of itself and ``prov:Role`` typing triples are left out: PROV-DM
  carries them in the bundle structure and the ``prov:role`` attribute;
* an unqualified statement that a qualified relation also states is left out (it is decoded once, from
  the qualified node, which says more);
* a qualified node with two ``prov:atTime`` values ("scruffy" PROV-N: two relations, one id) gives one
  record per time instead of an error;
* ``prov:generatedAtTime``/``invalidatedAtTime`` on an entity become the generation/invalidation they
  abbreviate (PROV-XML has no element for them);
* an anonymous relation that an identified one of the same type and arguments already states is dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import prov.model as pm
from prov.serializers.provrdf import ProvRDFSerializer
from pyoxigraph import BlankNode, Literal, NamedNode, Quad
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import NamespaceManager

from ..errors import ExportError, ProvgraphError
from ..vocab import PREFIXES, PROV, RDF, SHARED_GRAPH, implied_by_qualified
from . import dictionary


class _Decoder(ProvRDFSerializer):
    """The ``prov`` package's PROV-O decoder, also reading "scruffy" relations.

    Two relations may share an identifier while disagreeing on a time (PROV-N allows it); PROV-O then
    holds one qualified node with two ``prov:atTime`` values. The ``prov`` package refuses such a
    node; this decoder yields one record per value, as it already does for other formal arguments.
    """

    def _emit_decoded_records(self, bundle: pm.ProvBundle, state: Any) -> None:
        for subject, attrs in list(state.other_attributes.items()):
            record_type = state.record_types.get(subject)
            if record_type is None or not attrs:
                continue
            formal = {str(q): q for q in pm.PROV_REC_CLS[record_type].FORMAL_ATTRIBUTES}
            seen: dict[str, list[Any]] = {}
            for key, value in attrs:
                if str(key) in formal:
                    seen.setdefault(str(key), []).append(value)
            repeated = {name: values for name, values in seen.items() if len(values) > 1}
            if repeated:
                state.other_attributes[subject] = [(k, v) for k, v in attrs if str(k) not in repeated]
                for name, values in repeated.items():
                    state.unique_sets.setdefault(subject, {})[formal[name]] = values
        super()._emit_decoded_records(bundle, state)


def rdflib_term(term: object) -> URIRef | BNode | RdfLiteral:
    """The rdflib twin of a pyoxigraph term (the ``prov`` package's decoder reads rdflib graphs)."""
    if isinstance(term, NamedNode):
        return URIRef(term.value)
    if isinstance(term, BlankNode):
        return BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise ExportError(f"cannot export the RDF-star term {term}")


_TYPE, _ROLE, _BUNDLE = RDF.type, PROV.Role, PROV.Bundle


def structural(quad: Quad) -> bool:
    """Whether ``quad`` is carried by PROV-DM's structure rather than by a record: a ``prov:Role``
    typing (the ``prov:role`` attribute says it) or a bundle's typing of itself (the bundle says it)."""
    return quad.predicate == _TYPE and (
        quad.object == _ROLE or (quad.object == _BUNDLE and quad.subject == quad.graph_name))


def borrowed_types(quads: list[Quad], shared: dict[object, list[Quad]]) -> list[Quad]:
    """The shared descriptions' typings of the nodes one bundle's ``quads`` mention but do not type,
    moved into that bundle (a data version or an agent is typed once, in the shared graph, and its
    bundle statements decode only with their types)."""
    typed = {q.subject for q in quads if q.predicate == _TYPE}
    mentioned = dict.fromkeys(t for q in quads if q.predicate != _TYPE
                              for t in (q.subject, q.object) if isinstance(t, NamedNode | BlankNode))
    return [Quad(node, _TYPE, q.object, quads[0].graph_name)
            for node in mentioned if node not in typed for q in shared.get(node, ())]


def shared_types(quads: Iterable[Quad]) -> dict[object, list[Quad]]:
    """The typing statements of the shared descriptions graph, by subject."""
    types: dict[object, list[Quad]] = {}
    for quad in quads:
        if quad.predicate == _TYPE and quad.graph_name == SHARED_GRAPH and not structural(quad):
            types.setdefault(quad.subject, []).append(quad)
    return types


def _graphs(quads: Iterable[Quad], prefixes: dict[str, str]) -> dict[NamedNode | None, Graph]:
    """One rdflib graph per named graph (``None`` for the default graph, which also takes the shared
    descriptions: the document's own statements, with each run a bundle). Separate graphs, not one
    dataset: rdflib's dataset filters every lookup by graph, which grows with the number of runs.

    A node a bundle speaks of but does not type there gets its types from the shared descriptions
    (:func:`borrowed_types`). (An imported document's own top level is left as it was written.)"""
    grouped: dict[NamedNode | None, list[Quad]] = {}
    kept = [q for q in quads if not structural(q)]
    for quad in kept:
        name = quad.graph_name if isinstance(quad.graph_name, NamedNode) and quad.graph_name != SHARED_GRAPH else None
        grouped.setdefault(name, []).append(quad)
    types = shared_types(kept)
    graphs: dict[NamedNode | None, Graph] = {}
    for name, members in grouped.items():
        graph = graphs[name] = Graph()
        graph.namespace_manager = NamespaceManager(graph, bind_namespaces="none")
        for prefix, base in prefixes.items():
            graph.bind(prefix, base, override=True, replace=True)
        for quad in members + (borrowed_types(members, types) if name is not None else []):
            graph.add((rdflib_term(quad.subject), URIRef(quad.predicate.value), rdflib_term(quad.object)))
    return graphs


def document_from_quads(quads: Iterable[Quad], prefixes: dict[str, str] | None = None) -> pm.ProvDocument:
    """Decode PROV-O quads into a ``ProvDocument`` (named graphs become bundles).

    PROV-Dictionary statements are kept with the document (see :mod:`provgraph.provdoc.dictionary`).
    """
    namespaces = {**PREFIXES, **(prefixes or {})}
    raw = pm.ProvDocument()
    for prefix, base in namespaces.items():
        raw.add_namespace(prefix, base)
    quads = list(quads)
    implied = implied_by_qualified(quads)  # decoded from the qualified node, which says more
    quads = [q for q in quads if (q.subject, q.predicate, q.object, q.graph_name) not in implied]
    try:
        rest, records = dictionary.split_quads(quads, raw, document_from_quads)
        for iri in {t.value for q in rest for t in (q.subject, q.object, q.graph_name) if isinstance(t, NamedNode)}:
            dictionary.mint(raw, iri)  # every IRI gets a prefix, as the prov decoder requires
        graphs = _graphs(rest, {ns.prefix: ns.uri for ns in raw.namespaces})  # shared graph -> top level
        decoder = _Decoder(raw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, graph in graphs.items():
                target = raw if name is None else raw.bundle(dictionary.mint(raw, name.value))
                decoder.decode_container(graph, target)
    except ProvgraphError:
        raise
    except Exception as exc:  # the prov package raises assorted errors on odd PROV-O
        raise ExportError(f"the statements in scope are not a decodable PROV document: {exc}") from exc
    clean = without_redundant_relations(raw)
    existing = {b.identifier for b in clean.bundles}
    for bundle in {r.bundle for r in records if r.bundle is not None} - existing:
        clean.bundle(bundle)
    return dictionary.attach(clean, [dictionary.rebase(r, clean) for r in records])


def without_redundant_relations(document: pm.ProvDocument) -> pm.ProvDocument:
    """A copy of ``document`` without anonymous relations that an identified one already states."""
    clean = pm.ProvDocument()
    _copy_namespaces(document, clean)
    _copy_records(document, clean)
    for bundle in sorted(document.bundles, key=lambda b: str(b.identifier)):
        assert bundle.identifier is not None  # named bundles always have one
        target = clean.bundle(bundle.identifier)
        _copy_namespaces(bundle, target)
        _copy_records(bundle, target)
    return clean


def _copy_namespaces(source: pm.ProvBundle, target: pm.ProvBundle) -> None:
    for namespace in sorted(source.namespaces, key=lambda n: (n.prefix, n.uri)):
        target.add_namespace(namespace)


#: PROV-O shortcut properties on an entity, and the relation (with its time argument) each stands for.
_SHORTCUTS = {
    pm.PROV["generatedAtTime"]: (pm.PROV_GENERATION, pm.PROV_ATTR_TIME),
    pm.PROV["invalidatedAtTime"]: (pm.PROV_INVALIDATION, pm.PROV_ATTR_TIME),
}

_ELEMENTS = frozenset({pm.PROV_ENTITY, pm.PROV_ACTIVITY, pm.PROV_AGENT})
#: One record: its type, identifier, formal attributes and other attributes (``prov`` package values).
Row = tuple[pm.QualifiedName, "pm.QualifiedName | None", list[tuple[pm.QualifiedName, Any]],
            list[tuple[pm.QualifiedName, Any]]]


def expanded(kind: pm.QualifiedName, identifier: pm.QualifiedName | None,
             formal: list[tuple[pm.QualifiedName, Any]], extra: list[tuple[pm.QualifiedName, Any]]) -> list[Row]:
    """One record as rows, with ``prov:generatedAtTime``/``invalidatedAtTime`` turned into the relations
    they abbreviate (PROV-XML has no element for them; PROV-DM states them as a generation/invalidation)."""
    rows: list[Row] = [(kind, identifier, formal, [(k, v) for k, v in extra if k not in _SHORTCUTS])]
    if kind == pm.PROV_ENTITY:
        for key, value in extra:
            if key in _SHORTCUTS:
                relation, time_attr = _SHORTCUTS[key]
                rows.append((relation, None, [(pm.PROV_ATTR_ENTITY, identifier), (time_attr, value)], []))
    return rows


def _copy_records(source: pm.ProvBundle, target: pm.ProvBundle) -> None:
    for kind, identifier, formal, extra in kept_rows(
            [row for record in source.get_records() for row in expanded(record.get_type(), record.identifier,
                                                                        list(record.formal_attributes),
                                                                        list(record.extra_attributes))]):
        target.new_record(kind, identifier, formal, extra)


def kept_rows(rows: list[Row]) -> list[Row]:
    """``rows`` in a reproducible order (:func:`_order`), without the anonymous relations an identified
    one of the same type already states (it agrees on every argument they give)."""
    stated: dict[object, list[tuple[object, ...]]] = {}
    for kind, identifier, formal, _ in rows:
        if identifier is not None and kind not in _ELEMENTS:
            stated.setdefault(kind, []).append(_values(kind, formal))
    return [(kind, identifier, formal, sorted(extra, key=repr) if len(extra) > 1 else extra)
            for kind, identifier, formal, extra
            in sorted(rows, key=_order)
            if kind in _ELEMENTS or identifier is not None or extra
            or not _implied(kind, _values(kind, formal), stated)]


def _order(row: Row) -> tuple[int, str, str, str]:
    """Elements first, then relations; each by identifier (anonymous ones by content), so output is
    reproducible."""
    kind, identifier, formal, extra = row
    if identifier is not None:
        return (kind not in _ELEMENTS, str(kind), str(identifier), "")
    return (kind not in _ELEMENTS, str(kind), "", repr((formal, sorted(extra, key=repr))))


def _values(kind: pm.QualifiedName, formal: list[tuple[pm.QualifiedName, object]]) -> tuple[object, ...]:
    given = dict(formal)
    return tuple(given.get(name) for name in pm.PROV_REC_CLS[kind].FORMAL_ATTRIBUTES)


def _implied(kind: object, values: tuple[object, ...], stated: dict[object, list[tuple[object, ...]]]) -> bool:
    """Whether an identified relation of the same type agrees on every argument this one gives."""
    return any(all(v is None or v == w for v, w in zip(values, other, strict=True))
               for other in stated.get(kind, ()))
