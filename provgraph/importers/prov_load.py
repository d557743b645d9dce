"""Loading a PROV document into the store: each bundle a named graph, the rest in one graph per document
(the translation is :mod:`provgraph.provdoc.encode`). Importing the same file twice changes nothing and
``provgraph export`` shows the document as one bundle. Everything is added in one store transaction: a
document is imported whole or not at all.

A project records an import as a ``document.import`` event holding the document's text
(:func:`import_event`), so the journal stays the source of truth and ``provgraph rebuild`` restores
imported documents too; :func:`import_bytes` and :func:`import_file` write to a bare store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import prov.model as pm
from pyoxigraph import NamedNode, Quad

from ..errors import ExportError
from ..events import MAX_EVENT_BYTES, Event, new_event
from ..limits import read_bounded
from ..provdoc.encode import document_graph, read_with_quads, record_count
from ..provdoc.read import READ_FORMATS, guess_format
from ..store import Store


@dataclass(frozen=True)
class ImportResult:
    """What an import added: the named graphs (document graph first), records and quads."""

    source: str
    format: str
    graphs: list[NamedNode]
    records: int
    quads: int

    def summary(self) -> str:
        names = ", ".join(g.value for g in self.graphs)
        return (f"imported {self.source} ({READ_FORMATS[self.format]}): {self.records} records, "
                f"{self.quads} quads in {len(self.graphs)} named graph(s): {names}")


def _result(data: bytes, fmt: str, source: str, document: pm.ProvDocument, quads: list[Quad]) -> ImportResult:
    graph = document_graph(data)
    graphs = [graph, *sorted({q.graph_name for q in quads if q.graph_name != graph}, key=_value)]
    return ImportResult(source, fmt, graphs, record_count(document), len(quads))  # type: ignore[arg-type]


def import_bytes(store: Store, data: bytes, fmt: str, source: str = "the document") -> ImportResult:
    """Read ``data`` as a PROV document in ``fmt`` and add it to ``store`` in one transaction.

    This writes to a bare store; :func:`import_event` makes the journal event a project records."""
    document, quads = read_with_quads(data, fmt, source)
    store.add(quads)
    return _result(data, fmt, source, document, quads)


def import_event(data: bytes, fmt: str, source: str = "the document") -> tuple[Event, ImportResult]:
    """A ``document.import`` event for ``data``, after checking that it parses (so a malformed
    document is rejected before anything is recorded), with what recording it will add."""
    document, quads = read_with_quads(data, fmt, source)
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{source} is not UTF-8 text: {exc}") from exc
    event = new_event("document.import", document={
        "source": source[:4096], "format": fmt, "sha256": hashlib.sha256(data).hexdigest(), "content": content})
    return event, _result(data, fmt, source, document, quads)


def _value(node: object) -> str:
    return str(getattr(node, "value", node))


def read_file(path: str | Path) -> bytes:
    """The bytes of the document file ``path``: a regular file of at most one event's size (a project
    journals the document's text); anything else is an :class:`ExportError`."""
    try:
        return read_bounded(path, MAX_EVENT_BYTES)
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror or exc}") from exc


def import_file(store: Store, path: str | Path, fmt: str | None = None) -> ImportResult:
    """Import the PROV document at ``path``; its format comes from ``fmt`` or the file name."""
    data = read_file(path)
    return import_bytes(store, data, fmt or guess_format(path, data), str(path))


