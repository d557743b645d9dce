"""From the store to a ``prov`` package document: the whole store, one run, or the graph around nodes.

The quads in scope are read from the store (:func:`scoped_quads`) and decoded by
:func:`provgraph.provdoc.decode.document_from_quads`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import prov.model as pm
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, parse

from ..errors import ExportError
from ..provdoc.decode import document_from_quads
from ..query.runinfo import run_statements
from ..query.sparql import ask, load, select_many, sparql
from ..store import Solutions, Store
from ..vocab import PROV, RDF, bundle_iri

#: Predicates that link a node to its qualified-influence nodes, which belong with it in a subgraph.
_QUALIFIERS = frozenset(
    PROV[name].value
    for name in (
        "qualifiedUsage", "qualifiedGeneration", "qualifiedAssociation", "qualifiedAttribution",
        "qualifiedDerivation", "qualifiedDelegation", "qualifiedStart", "qualifiedEnd",
        "qualifiedInvalidation", "qualifiedCommunication", "qualifiedInfluence",
    )
)
#: Nodes whose statements are read at once for a scoped export (an impact at 100k runs has 385,060).
_NODES_AT_ONCE = 20_000


def scoped_quads(
    store: Store, *, run: str | None = None, nodes: Iterable[NamedNode] | None = None
) -> list[Quad]:
    """The quads an export covers: everything, one run's bundle, or the statements about ``nodes``.

    The whole store and ``nodes`` as stored: the shared descriptions in their graph, each run's bundle in
    its own. One run: its bundle with the descriptions of every node it mentions (see
    :func:`~provgraph.query.runinfo.run_statements`), so the bundle stands on its own.

    For ``nodes``, a statement is kept when its subject is one of the nodes and its object is a
    literal, a class, another of the nodes, or a qualified-influence node (whose own statements then
    come along, so roles and times survive).
    """
    if run is not None and nodes is not None:
        raise ExportError("choose one export scope: a run or a set of nodes, not both")
    if nodes is not None:
        return _node_quads(store, list(nodes))
    if run is not None:
        if not ask(store, "graph-exists", graph=bundle_iri(run)):
            raise ExportError(f"no run {run!r} in the store (no named graph {bundle_iri(run).value})")
        return run_statements(store, run)
    try:
        data = store.dump(RdfFormat.N_QUADS)
        quads = list(parse(data, RdfFormat.N_QUADS))
    except (SyntaxError, ValueError) as exc:
        raise ExportError(f"cannot read the store for export: {exc}") from exc
    return quads


def _about(store: Store, node: NamedNode | BlankNode) -> list[Quad]:
    result = sparql(store, load("export-node-quads"), s=node)  # a blank node: bound by the store, not VALUES
    if not isinstance(result, Solutions):
        raise ExportError("export-node-quads.rq must be a SELECT query")
    return [Quad(node, row["p"], row["o"], row["g"]) for row in result]  # type: ignore[arg-type]


def statements_about(store: Store, nodes: Iterable[NamedNode | BlankNode]) -> dict[Any, list[Quad]]:
    """Every statement about each node (as subject, in any graph), asked for many IRIs at once (blank
    nodes one by one)."""
    found: dict[Any, list[Quad]] = {}
    iris = sorted({n for n in nodes if isinstance(n, NamedNode)}, key=lambda n: n.value)
    for row in select_many(store, "export-node-quads", "s", iris):
        found.setdefault(row["s"], []).append(Quad(row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]
    for node in nodes:
        if isinstance(node, BlankNode):
            found[node] = _about(store, node)
    return found


def _node_quads(store: Store, nodes: list[NamedNode]) -> list[Quad]:
    """The statements :func:`scoped_quads` keeps for ``nodes``, asked :data:`_NODES_AT_ONCE` nodes at a time
    (what is read about a node but not kept is dropped before the next are read)."""
    wanted = set(nodes)
    kept: list[Quad] = []
    for start in range(0, len(nodes), _NODES_AT_ONCE):
        kept.extend(_kept_about(store, nodes[start:start + _NODES_AT_ONCE], wanted))
    return list(dict.fromkeys(kept))


def _kept_about(store: Store, nodes: list[NamedNode], wanted: set[NamedNode]) -> list[Quad]:
    about = statements_about(store, nodes)
    qualifiers = {q.object for node in nodes for q in about.get(node, [])
                  if q.predicate.value in _QUALIFIERS and isinstance(q.object, NamedNode | BlankNode)}
    about_qualified = statements_about(store, qualifiers)
    kept: list[Quad] = []
    for node in nodes:
        for quad in about.get(node, []):
            obj, pred = quad.object, quad.predicate
            if isinstance(obj, Literal) or obj in wanted or pred == RDF.type:
                kept.append(quad)
            elif pred.value in _QUALIFIERS and isinstance(obj, NamedNode | BlankNode):
                qualified = about_qualified.get(obj, [])
                targets = {q.object for q in qualified if q.predicate in (PROV.entity, PROV.activity, PROV.agent)}
                if targets <= wanted:
                    kept.append(quad)
                    kept.extend(qualified)
    return kept


def prov_document(
    store: Store, *, run: str | None = None, nodes: Iterable[NamedNode] | None = None
) -> pm.ProvDocument:
    """The store (or one run's bundle, or the subgraph around ``nodes``) as a ``prov`` document.

    Each run's named graph becomes one PROV bundle named by the graph IRI; the provgraph prefixes
    (``prov``, ``provml``, ``mls``, ``run``, ``data``, ...) are registered on the document.

    >>> doc = prov_document(store, run="train-1")
    >>> print(doc.get_provn())
    """
    return document_from_quads(scoped_quads(store, run=run, nodes=nodes))

