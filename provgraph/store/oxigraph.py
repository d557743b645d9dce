"""The embedded store: Oxigraph on disk (the default) or in memory."""

from __future__ import annotations

import io
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ..errors import QueryError, StoreError
from .base import BULK_LOAD, DURABLE, TRANSACTIONS, QueryResult, Solutions, Store, Term
from .bindings import inject_values
from .lineage import LineageIndex, stamp

log = logging.getLogger(__name__)


class OxigraphStore(Store):
    """pyoxigraph's ``Store``; ``path=None`` keeps everything in memory. Its lineage index
    (:mod:`.lineage`) follows every write made here."""

    def __init__(self, path: str | Path | None, uri: str) -> None:
        super().__init__(uri)
        durable = {DURABLE} if path is not None else set()
        self.capabilities = frozenset({TRANSACTIONS, BULK_LOAD, *durable})
        self._folder = Path(path) if path is not None else None
        found = stamp(self._folder) if self._folder is not None else ""  # before opening changes the files
        #: why nothing can be written here (a read-only file system, a folder this user may not write), if so
        self.read_only = ""
        try:
            self._store = ox.Store(str(path)) if path is not None else ox.Store()
            if self._folder is not None:
                _drop_old_logs(self._folder)
        except OSError as exc:
            if path is None or not _unwritable(exc):
                raise StoreError(f"cannot open the store at {path}: {exc} (one process at a time may open an "
                                 "embedded store: is a provgraph server or another command using it?)") from exc
            self._store = _read_only(path, exc)
            self.read_only = _unwritable(exc)
            self.capabilities = frozenset({DURABLE})
        self._lineage: LineageIndex | None
        try:
            self._lineage = LineageIndex(self._folder, found, read_only=bool(self.read_only))
        except (OSError, sqlite3.Error) as exc:  # queries then walk the store itself
            if not self.read_only:
                log.warning("the lineage index of %s cannot be opened, so impact and lineage query the store: %s",
                            uri, exc)
            self._lineage = None
        if self.read_only and self._lineage is not None and not self._lineage.fresh:  # cannot be rebuilt here
            self._lineage.close("")
            self._lineage = None

    def add(self, quads: Iterable[ox.Quad]) -> None:
        self._load(self._store.extend, quads, atomic=True)

    def bulk_add(self, quads: Iterable[ox.Quad]) -> None:
        self._load(self._store.bulk_extend, quads, atomic=False)

    def _load(self, load: Callable[[Iterable[ox.Quad]], None], quads: Iterable[ox.Quad], atomic: bool) -> None:
        """``quads`` written by ``load`` (one transaction if ``atomic``), the lineage index fed what the store
        took, or made stale if the store did not take them all."""
        self._writable()
        try:
            load(quads if self._lineage is None else self._lineage.watch(quads, atomic))
        except OSError as exc:
            self._stale()
            raise StoreError(f"cannot write to {self.uri}: {exc}") from exc
        except BaseException:
            self._stale()
            raise
        if self._lineage is not None:
            self._lineage.written()

    def lineage_index(self, rebuild: bool = True) -> LineageIndex | None:
        """The lineage index, rebuilt from the store first if it fell behind (unless ``rebuild`` is false:
        None then); None if it cannot be."""
        if self._lineage is not None:
            if not self._lineage.fresh:
                if not rebuild:
                    return None
                # seconds at 10,000 runs, minutes at 100,000: say why this one waits
                log.warning("building the lineage index of %s from the store (once; it is rebuilt after an "
                            "upgrade, another writer, a crash or an update it cannot follow)", self.uri)
            try:
                self._lineage.ready(self._store)
            except (OSError, sqlite3.Error) as exc:
                log.warning("the lineage index of %s cannot be brought in step, so impact and lineage query "
                            "the store: %s", self.uri, exc)
                return None
        return self._lineage

    def _stale(self) -> None:
        if self._lineage is not None:
            self._lineage.stale()

    def _writable(self) -> None:
        """Refuse a change to a store opened read-only."""
        if self.read_only:
            raise StoreError(f"the store at {self._folder} is open read-only ({self.read_only}): it can be "
                             "queried, not changed")

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        try:
            return self._answer(self._run_query(sparql, bindings or {}))
        except SyntaxError as exc:  # found while parsing: nothing was evaluated
            raise QueryError(f"invalid SPARQL query: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            message = f"query failed on {self.uri}: {exc}"
        # raised outside the handler: the engine's error and its frames (which hold the half-read answer,
        # and through it the store and its lock) are freed now, not at the next garbage collection
        raise QueryError(message)

    @staticmethod
    def _answer(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> QueryResult:
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows = [{name: value for name, value in zip(names, solution, strict=True) if value is not None}
                    for solution in result]
            return Solutions(names, rows)
        return list(result)

    def _run_query(
        self, sparql: str, bindings: Mapping[str, Term]
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Bindings go in as a VALUES block, and as constants where that is safe (a bound start for
        property paths): :func:`inject_values`, the same text every backend receives."""
        return self._store.query(inject_values(sparql, bindings) if bindings else sparql,
                                 use_default_graph_as_union=True)

    def update(self, sparql: str, touching: Iterable[ox.NamedNode] | None = None) -> None:
        self._writable()
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL update: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise StoreError(f"update failed on {self.uri}: {exc}") from exc
        if self._lineage is None:
            return
        if touching is None:
            self._stale()
            return
        try:
            self._lineage.refresh(touching, self._store)
        except (OSError, sqlite3.Error) as exc:
            log.warning("the lineage index of %s fell behind the store and will be rebuilt: %s", self.uri, exc)

    def drop_graph(self, graph: ox.NamedNode) -> None:
        self._writable()
        try:
            if self._store.contains_named_graph(graph):
                self._stale()
                self._store.remove_graph(graph)
        except OSError as exc:
            raise StoreError(f"cannot drop {graph} from {self.uri}: {exc}") from exc

    def graphs(self) -> list[ox.NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def dump(self, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS, graph: ox.NamedNode | None = None) -> bytes:
        if graph is None:  # the whole store, as write() writes it
            buffer = io.BytesIO()
            self.write(buffer, fmt)
            return buffer.getvalue()
        try:
            data = self._store.dump(format=fmt, from_graph=graph)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot dump {self.uri}: {exc}") from exc
        return data or b""

    def write(self, out: IO[bytes], fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> None:
        """Written by Oxigraph as it reads; the union of the graphs comes from a CONSTRUCT, which emits
        each triple once (its set of what was written holds encoded terms, not Python objects)."""
        try:
            if fmt.supports_datasets:
                self._store.dump(out, format=fmt, prefixes=prefixes)
            else:
                union = self._store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
                assert isinstance(union, ox.QueryTriples)
                ox.serialize(union, out, format=fmt, prefixes=prefixes)
        except BrokenPipeError:  # the reader went away (``| head``): not the store's failure
            raise
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot write {self.uri} as {fmt}: {exc}") from exc

    def clear(self) -> None:
        self._writable()
        self._stale()
        self._store.clear()
        if self._lineage is not None:
            self._lineage.clear()

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        """Flush and release the store (and, on disk, its lock, so another process may open it)."""
        if not hasattr(self, "_store"):
            return
        try:
            if DURABLE in self.capabilities and not self.read_only:
                self._store.flush()
        except OSError as exc:
            self._stale()
            raise StoreError(f"cannot flush {self.uri}: {exc}") from exc
        finally:
            del self._store
            if self._lineage is not None:  # stamped with the files the closed store left
                self._lineage.close(stamp(self._folder) if self._folder is not None and not self.read_only else "")


def open_uri(uri: str) -> OxigraphStore:
    """An embedded store: ``memory:``, ``oxigraph:PATH``, ``oxigraph://PATH`` or a bare path."""
    if uri == "memory:":
        return OxigraphStore(None, uri)
    return OxigraphStore(uri.removeprefix("oxigraph://").removeprefix("oxigraph:"), uri)


def _unwritable(exc: OSError) -> str:
    """Why opening failed, if it is that the store's folder cannot be written (RocksDB's message names it)."""
    text = str(exc)
    return next((why for why in ("read-only file system", "permission denied") if why in text.lower()), "")


def _read_only(path: str | Path, cause: OSError) -> ox.Store:
    """The store at ``path`` opened read-only, since ``cause`` says it cannot be opened for writing."""
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {path}: {cause}; nor read-only: {exc}") from exc


def _drop_old_logs(folder: Path) -> None:
    """Delete the info logs RocksDB rotated out (``LOG.old.*``, ~140 KB left by every open, up to a
    thousand kept): diagnostics of past opens, not data; the current ``LOG`` stays."""
    for old in folder.glob("LOG.old.*"):
        old.unlink(missing_ok=True)
