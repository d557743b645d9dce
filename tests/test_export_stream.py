"""The whole store's PROV-JSON and PROV-N, streamed graph by graph, are the document the prov package
path builds.

Each case exports a store twice: through :func:`provgraph.export.export` (which streams) and through
the prov package path (:func:`document_from_quads` of every quad, serialized by the ``prov`` package),
reads both back with provgraph's reader of that format and compares the ``ProvDocument``s and their
PROV-Dictionary records.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import prov.model as pm
import pytest
from helpers import TESTDATA
from pyoxigraph import Literal, NamedNode, Quad
from test_export import sample_events

from provgraph.errors import ProvgraphError
from provgraph.export import export, write
from provgraph.export.document import scoped_quads
from provgraph.export.formats import serialize_document
from provgraph.importers import import_bytes, read_document
from provgraph.mapping import event_to_quads
from provgraph.project import Project
from provgraph.provdoc import dictionary
from provgraph.provdoc.decode import document_from_quads
from provgraph.store import Store, open_store

CORPUS = TESTDATA / "prov" / "openprov-testcases"


STREAMED = ("prov-json", "provn")


def _read(data: bytes, fmt: str = "prov-json") -> tuple[pm.ProvDocument, list[str]]:
    document = read_document(data, fmt, f"export.{fmt}")
    return document, sorted(repr(r) for r in dictionary.of(document))


def _prov_path(store: Store, fmt: str = "prov-json") -> bytes:
    return serialize_document(document_from_quads(scoped_quads(store)), fmt)


@pytest.mark.parametrize("fmt", STREAMED)
def test_the_demo_store_streams_the_document_of_the_prov_path(demo: Path, fmt: str) -> None:
    project = Project(demo)
    try:
        store = project.synced_store()
        streamed, expected = export(store, fmt), _prov_path(store, fmt)
        runs = len([g for g in store.graphs() if "/bundle/" in g.value])
    finally:
        project.close()
    document, _ = _read(streamed, fmt)
    assert len(document.bundles) == runs > 0
    assert _read(streamed, fmt) == _read(expected, fmt)


def _corpus_stores() -> list[tuple[str, bytes]]:
    cases = []
    for case in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        path = next(case.glob("*.json"), None)
        if path is not None:
            cases.append((case.name, path.read_bytes()))
    return cases


def imported_corpus() -> Iterator[tuple[str, Store]]:
    """Each openprov case that has a PROV-O form (see test_openprov_corpus), imported into a memory store
    (closed once the next is asked for), with the prov package's warnings about its odd IRIs silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in _corpus_stores():
            store = open_store("memory:")
            try:
                import_bytes(store, data, "prov-json")
            except ProvgraphError:
                continue
            yield name, store
            store.close()


@pytest.mark.parametrize("fmt", STREAMED)
def test_every_imported_openprov_case_streams_the_document_of_the_prov_path(fmt: str) -> None:
    """Dictionaries, mentions, scruffy relations, qualified relations with roles and times, odd literals:
    every case that imports exports the same document both ways."""
    compared, differ = [], []
    for name, store in imported_corpus():
        compared.append(name)
        if _read(export(store, fmt), fmt) != _read(_prov_path(store, fmt), fmt):
            differ.append(name)
    assert len(compared) == 464
    assert {"test-dictionaryInsertion5-M", "test-scruffy-start1-M", "test-mention1", "test-primer"} <= set(compared)
    assert differ == []


@pytest.mark.parametrize("fmt", STREAMED)
def test_a_statement_in_the_default_graph_is_exported_at_the_top_level(fmt: str) -> None:
    store = open_store("memory:")
    for event in sample_events():
        store.add(event_to_quads(event))
    note = NamedNode("http://example.org/note")
    store.add([Quad(note, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    NamedNode("http://www.w3.org/ns/prov#Entity")),
               Quad(note, NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), Literal("a note"))])
    data = export(store, fmt)
    assert _read(data, fmt) == _read(_prov_path(store, fmt), fmt)
    (entity,) = [r for r in _read(data, fmt)[0].get_records(pm.ProvEntity) if r.identifier.uri == note.value]
    assert entity.get_attribute(pm.PROV_LABEL) == {"a note"}


class _Chunks(io.RawIOBase):
    """A real binary stream that keeps each write apart."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)


@pytest.mark.parametrize("backend", ["memory:", "oxigraph"])
def test_the_store_is_written_one_bundle_at_a_time(tmp_path: Path, backend: str) -> None:
    store = open_store(backend if backend == "memory:" else f"oxigraph:{tmp_path / 'store'}")
    for event in sample_events():
        store.add(event_to_quads(event))
    out = _Chunks()
    write(store, "prov-json", out)
    whole = b"".join(out.chunks)
    assert whole == export(store, "prov-json")
    bundles = json.loads(whole)["bundle"]
    assert len(bundles) == 2
    for name in bundles:  # each bundle arrives in one piece of its own
        assert sum(json.dumps(name).encode() in chunk for chunk in out.chunks) == 1
    out = _Chunks()
    write(store, "provn", out)
    assert [c.count(b"endBundle") for c in out.chunks if b"endBundle" in c] == [1, 1]
    store.close()
