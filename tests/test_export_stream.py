"""The whole store's PROV-JSON, streamed graph by graph, is the document the prov package path builds.

Each case exports a store twice: through :func:`provgraph.export.export` (which streams) and through
the prov package path (:func:`document_from_quads` of every quad, serialized by the ``prov`` package),
reads both back with provgraph's PROV-JSON reader and compares the ``ProvDocument``s and their
PROV-Dictionary records.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import prov.model as pm
import pytest
from conftest import TESTDATA
from pyoxigraph import Literal, NamedNode, Quad

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
from test_export import sample_events

CORPUS = TESTDATA / "prov" / "openprov-testcases"


def _read(data: bytes) -> tuple[pm.ProvDocument, list[str]]:
    document = read_document(data, "prov-json", "export.json")
    return document, sorted(repr(r) for r in dictionary.of(document))


def _prov_path(store: Store) -> bytes:
    return serialize_document(document_from_quads(scoped_quads(store)), "prov-json")


def test_the_demo_store_streams_the_document_of_the_prov_path(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "provgraph", "demo", "--quiet"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    project = Project(tmp_path)
    try:
        streamed, expected = export(project.store, "prov-json"), _prov_path(project.store)
        runs = len([g for g in project.store.graphs() if "/bundle/" in g.value])
    finally:
        project.close()
    document, _ = _read(streamed)
    assert len(document.bundles) == runs > 0
    assert _read(streamed) == _read(expected)


def _corpus_stores() -> list[tuple[str, bytes]]:
    cases = []
    for case in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        path = next(case.glob("*.json"), None)
        if path is not None:
            cases.append((case.name, path.read_bytes()))
    return cases


def test_every_imported_openprov_case_streams_the_document_of_the_prov_path() -> None:
    """Dictionaries, mentions, scruffy relations, qualified relations with roles and times, odd literals:
    every case that imports exports the same document both ways."""
    compared, differ = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the prov package warns about the corpus's odd IRIs
        for name, data in _corpus_stores():
            store = open_store("memory:")
            try:
                import_bytes(store, data, "prov-json")
            except ProvgraphError:  # no PROV-O form (see test_openprov_corpus)
                continue
            compared.append(name)
            if _read(export(store, "prov-json")) != _read(_prov_path(store)):
                differ.append(name)
            store.close()
    assert len(compared) == 464
    assert {"test-dictionaryInsertion5-M", "test-scruffy-start1-M", "test-mention1", "test-primer"} <= set(compared)
    assert differ == []


def test_a_statement_in_the_default_graph_is_exported_at_the_top_level() -> None:
    store = open_store("memory:")
    for event in sample_events():
        store.add(event_to_quads(event))
    note = NamedNode("http://example.org/note")
    store.add([Quad(note, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    NamedNode("http://www.w3.org/ns/prov#Entity")),
               Quad(note, NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), Literal("a note"))])
    data = export(store, "prov-json")
    assert _read(data) == _read(_prov_path(store))
    (entity,) = [r for r in _read(data)[0].get_records(pm.ProvEntity) if r.identifier.uri == note.value]
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
    store.close()
