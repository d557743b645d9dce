"""The whole store's PROV-N and PROV-XML as the streaming writer makes them at scale.

PROV-N: :class:`provgraph.provdoc.stream.ProvnText` writes records itself (the ``prov`` package's writer
escapes every name again at every use, which dominated a large export). Each graph of a store is written
here twice, from the same decoded rows: by the streaming writer and by the ``prov`` package alone (the
rows made records of a bundle, ``get_provn``); the text must be the same, byte for byte.

PROV-XML: the whole store is streamed one bundle at a time and reads back to the document (and
PROV-Dictionary records) of the one-document path (:func:`document_from_quads`, serialized by the
``prov`` package).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import prov.model as pm
import pytest
from test_export_stream import _Chunks, _prov_path, _read, imported_corpus

from benchmarks.workload import generate
from provgraph.errors import ProvgraphError
from provgraph.export import export, write
from provgraph.export.formats import graph_quads
from provgraph.mapping import event_to_quads
from provgraph.project import Project
from provgraph.provdoc import stream
from provgraph.provdoc.decode import borrowed_types, shared_types, structural
from provgraph.store import Store, open_store
from provgraph.vocab import SHARED_GRAPH


@pytest.fixture(scope="module")
def workload_store() -> Iterator[Store]:
    """A store of 40 runs of the benchmark workload (datasets, models, metrics, agents, environments)."""
    store = open_store("memory:")
    for event in generate(40).events:
        store.add(event_to_quads(event))
    yield store
    store.close()


def _both_ways(store: Store) -> tuple[list[str], list[str], int]:
    """Each graph's PROV-N by the streaming writer and by the prov package alone, and how many graphs
    :class:`ProvnText` wrote itself."""
    names = stream.Names()
    graphs = sorted(store.graphs(), key=lambda g: g.value)
    top = [q for q in (graph_quads(store, SHARED_GRAPH) if SHARED_GRAPH in graphs else []) if not structural(q)]
    shared = shared_types(top)
    parts = [(None, *stream._graph(top, names))]
    for graph in graphs:
        members = [q for q in graph_quads(store, graph) if not structural(q)] if graph != SHARED_GRAPH else []
        if members:
            parts.append((names.qname(graph.value), *stream._graph(members + borrowed_types(members, shared), names)))
    streamed, alone, vouched = [], [], 0
    for name, rows, _, _ in parts:
        def container(name: pm.QualifiedName | None = name) -> pm.ProvBundle:
            if name is None:
                return pm.ProvDocument()
            return pm.ProvDocument(namespaces=names.document.namespaces).bundle(name)

        indent, declared = (0, names.document.namespaces) if name is None else (1, set())
        streamed.append(stream._provn(container, declared, rows, names.provn, indent))
        bundle = container()
        for namespace in sorted(declared, key=lambda n: n.prefix):
            bundle.add_namespace(namespace)
        for kind, identifier, formal, extra in rows:
            bundle.new_record(kind, identifier, formal, extra)
        alone.append(bundle.get_provn(_indent_level=indent))
        vouched += stream.ProvnText().records(container(), rows) is not None
    return streamed, alone, vouched


def test_a_workload_store_streams_the_prov_n_the_prov_package_writes(workload_store: Store) -> None:
    streamed, alone, vouched = _both_ways(workload_store)
    assert len(streamed) == 41  # the shared descriptions and 40 runs
    assert vouched == 41  # every graph written by ProvnText, none left to the prov package
    assert streamed == alone
    assert "wasGeneratedBy(" in "".join(alone) and "activity(run:" in "".join(alone)


def test_the_demo_store_streams_the_prov_n_the_prov_package_writes(demo: Path) -> None:
    project = Project(demo)
    try:
        streamed, alone, vouched = _both_ways(project.synced_store())
    finally:
        project.close()
    assert vouched == len(alone) > 1
    assert streamed == alone


def test_every_openprov_case_streams_the_prov_n_the_prov_package_writes() -> None:
    """Names PROV-N must escape (``=``, ``'``, ``(``...), percent-encoded characters, minted prefixes,
    dictionaries, odd literals: the same text both ways, most of it written by ProvnText."""
    compared, differ, vouched = 0, [], 0
    for name, store in imported_corpus():
        streamed, alone, count = _both_ways(store)
        compared += 1
        vouched += count == len(alone)
        if streamed != alone:
            differ.append(name)
    assert compared == 464
    assert differ == []
    assert vouched > 400


def _reading(data: bytes) -> object:
    """What provgraph reads from a PROV-XML export: its document and dictionary records, or the kind of
    error when it reads none (both paths write one case's Unicode local name libxml2 rejects)."""
    try:
        return _read(data, "prov-xml")
    except ProvgraphError as exc:
        return type(exc)


def test_the_workload_and_demo_stores_stream_the_prov_xml_document_of_the_prov_path(
        workload_store: Store, demo: Path) -> None:
    project = Project(demo)
    try:
        stores = [workload_store, project.synced_store()]
        for store in stores:
            streamed, expected = export(store, "prov-xml"), _prov_path(store, "prov-xml")
            runs = len([g for g in store.graphs() if "/bundle/" in g.value])
            document, _ = _read(streamed, "prov-xml")
            assert len(document.bundles) == runs > 0
            assert _read(streamed, "prov-xml") == _read(expected, "prov-xml")
    finally:
        project.close()


def test_every_openprov_case_streams_the_prov_xml_document_of_the_prov_path() -> None:
    compared, differ = 0, []
    for name, store in imported_corpus():
        compared += 1
        if _reading(export(store, "prov-xml")) != _reading(_prov_path(store, "prov-xml")):
            differ.append(name)
    assert compared == 464
    assert differ == []


def test_prov_xml_is_written_one_bundle_at_a_time(workload_store: Store) -> None:
    out = _Chunks()
    write(workload_store, "prov-xml", out)
    whole = b"".join(out.chunks)
    assert whole == export(workload_store, "prov-xml")
    assert [c.count(b"<prov:bundleContent") for c in out.chunks if b"<prov:bundleContent" in c] == [1] * 40
    assert whole.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<prov:document ")
    assert whole.endswith(b"</prov:document>\n")


@pytest.mark.parametrize("fmt", ["prov-json", "prov-xml"])
def test_an_impact_or_lineage_export_streams_the_document_of_the_prov_path(demo: Path, fmt: str) -> None:
    """``export --impact/--lineage`` in a PROV format goes graph by graph too (at 100k runs the impact of a
    popular source is most of the store): it reads back to what one document of the same scope gives."""
    from provgraph.export.document import scoped_quads
    from provgraph.export.formats import serialize_document
    from provgraph.provdoc.decode import document_from_quads
    from provgraph.query import impact, lineage

    with Project(demo) as project:
        store = project.synced_store()
        for ask, ref in ((impact, "data/raw_data.csv"), (lineage, "deploy/credit-risk-endpoint.json")):
            nodes = ask(store, ref, root=project.root).nodes
            assert len(nodes) > 20
            chunks = _Chunks()
            write(store, fmt, chunks, nodes=nodes)
            one = serialize_document(document_from_quads(scoped_quads(store, nodes=nodes)), fmt)
            assert _read(b"".join(chunks.chunks), fmt) == _read(one, fmt)
            assert len(chunks.chunks) > 5  # written bundle by bundle, not as one document


def test_a_scope_read_a_few_nodes_at_a_time_keeps_the_same_statements(demo: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements about a large scope are read in slices; slices of three nodes keep exactly what one
    read of all the nodes keeps, in the same order."""
    from provgraph.export import document
    from provgraph.query import impact

    with Project(demo) as project:
        store = project.synced_store()
        nodes = impact(store, "data/raw_data.csv", root=project.root).nodes
        whole = document.scoped_quads(store, nodes=nodes)
        monkeypatch.setattr(document, "_NODES_AT_ONCE", 3)
        assert document.scoped_quads(store, nodes=nodes) == whole
        assert len(whole) > 100
