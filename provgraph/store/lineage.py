"""The lineage index of an embedded store: the edges impact and lineage walk and the fields that describe
their nodes, in SQLite inside the store's folder (in memory for an in-memory store).

A walk over it is one SQL query per step on the index's numbers, and a node's description one row,
where SPARQL needs a query per step with IRIs and a row per property: the large answers of a 10,000-run
store come back in a fraction of the time. It is a cache of what the store holds, never a second source of truth:

- the store keeps it in step with its own writes: what :meth:`LineageIndex.watch` sees added (read once
  the store holds it, never while a write is under way), and the nodes an update names
  (:meth:`LineageIndex.refresh`); an update that names none, a dropped graph or a failed write makes it
  stale;
- it is trusted when the store opens only if the store's files are those it was stamped with when the
  store last closed. RocksDB writes new files at every open, so any other writer, a crash, or a store
  moved beside another index shows, and a stale index is rebuilt from the store when first needed.

Only statements in named graphs count, as the SPARQL queries read them (``GRAPH ?g``). Of several values
of one field, the least lexical form is kept (as :func:`~provgraph.query.nodes.describe_nodes` keeps from
SPARQL), whatever order they were written in. Beside the walked relations it holds which versions
specialize which logical artifact (``queries/versions.rq``: a walk starts from the reference and its
versions) and whether the store ever stated a transformation (``queries/any-transformation.rq``: only
then are derivations asked how they were made).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pyoxigraph as ox
from pyoxigraph import DefaultGraph, NamedNode, Quad

from ..vocab import DESCRIBED_CLASSES, DESCRIBED_FIELDS, IMPACT_RELATIONS, LINEAGE_RELATIONS, PROV, PROVML_IRI, RDF

#: The index file, inside the store's folder (RocksDB leaves files it does not know alone).
FILENAME = "provgraph-lineage.sqlite"
#: Changed whenever the tables or what they hold change: an index of another layout is rebuilt.
LAYOUT = "5"
#: RocksDB's own files: their names and sizes, with the store's identity, are its stamp.
_STORE_FILES = ("CURRENT", "MANIFEST-", ".sst", ".log", ".blob")
#: The walked relations, numbered in order, then a version's logical artifact (never walked).
_RELATION = {iri: number for number, iri in enumerate((*LINEAGE_RELATIONS, PROV.specializationOf.value))}
_VERSION_OF = _RELATION[PROV.specializationOf.value]
_TRANSFORMATION = PROVML_IRI + "transformationType"
_FIELD = {iri: number for number, iri in enumerate(DESCRIBED_FIELDS.values())}
_TYPE = RDF.type.value
_CLASS_BIT = {iri: 1 << number for number, iri in enumerate(DESCRIBED_CLASSES)}
_RUN = PROVML_IRI + "Run"
_RUN_ID, _LABEL = (f"f{list(DESCRIBED_FIELDS).index(name)}" for name in ("runId", "label"))
_ASSOCIATION = _RELATION[PROV.wasAssociatedWith.value]
_WANTED = frozenset((*_RELATION, *_FIELD, _TYPE, _TRANSFORMATION))
_PREDICATES = tuple(NamedNode(p) for p in _WANTED)
_COLUMNS = [f"f{number}" for number in range(len(DESCRIBED_FIELDS))]
_NO_FIELDS = (None,) * len(_COLUMNS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS term (id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS edge (s INTEGER NOT NULL, p INTEGER NOT NULL, o INTEGER NOT NULL, PRIMARY KEY (s, p, o))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edge_to ON edge (o, p, s);
CREATE TABLE IF NOT EXISTS node (id INTEGER PRIMARY KEY, classes INTEGER NOT NULL,
    {", ".join(f"{c} TEXT" for c in _COLUMNS)});
"""
_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS new_edge (s TEXT, p INTEGER, o TEXT);
CREATE TEMP TABLE IF NOT EXISTS new_node (n TEXT, classes INTEGER, {", ".join(f"{c} TEXT" for c in _COLUMNS)});
"""
#: Staged rows moved into the tables in a few statements, the IRIs numbered on the way.
_MOVE = f"""
INSERT OR IGNORE INTO term (iri) SELECT s FROM new_edge UNION SELECT o FROM new_edge UNION SELECT n FROM new_node;
INSERT OR IGNORE INTO edge SELECT a.id, e.p, b.id FROM new_edge e JOIN term a ON a.iri = e.s JOIN term b ON b.iri = e.o;
INSERT INTO node SELECT t.id, x.classes, {", ".join("x." + c for c in _COLUMNS)} FROM new_node x
    JOIN term t ON t.iri = x.n WHERE true
    ON CONFLICT (id) DO UPDATE SET classes = classes | excluded.classes,
    {", ".join(f"{c} = COALESCE(min({c}, excluded.{c}), {c}, excluded.{c})" for c in _COLUMNS)};
DELETE FROM new_edge;
DELETE FROM new_node;
"""
_ID = "(SELECT id FROM term WHERE iri = ?)"
_LISTED = "(SELECT value FROM json_each(?))"
#: A node's description, the columns of ``node n``: its class bits, then its fields.
_DESCRIPTION = ", ".join(["n.classes", *("n." + c for c in _COLUMNS)])
_PLAIN = frozenset({"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})
_AT = ox.NamedNode("urn:at")
#: Rows kept in Python before they are written, while a bulk load streams by.
_CHUNK = 100_000

log = logging.getLogger(__name__)
_Read = TypeVar("_Read")


def _opened(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # a crash mid-write leaves the index stale (its stamp no longer matches the store), never trusted
        db.executescript("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;" + _SCHEMA + _STAGE)
        db.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _opened_read_only(path: Path) -> sqlite3.Connection:
    """The index file as it is, for reading only (beside a store on a read-only file system)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None,
                           check_same_thread=False)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def stamp(folder: Path) -> str:
    """The store's RocksDB identity (made once, when the store is created) and the names and sizes of its
    files: '' when there is no store there yet. Names and sizes alone are often the same in two stores
    written alike."""
    try:
        entries = sorted((e.name, e.stat().st_size) for e in folder.iterdir()
                         if e.name.startswith(_STORE_FILES) or e.name.endswith(_STORE_FILES))
    except OSError:
        return ""
    try:
        identity = (folder / "IDENTITY").read_text(errors="replace")
    except OSError:
        identity = ""
    return json.dumps([identity, entries])


class Reached(NamedTuple):
    """The part of the graph a walk reached (:meth:`LineageIndex.reach`), each node by its position in
    ``names``."""

    names: list[str]  # the IRIs of its nodes, in IRI order
    seeds: list[int]  # the reference and its versions
    edges: list[tuple[int, int]]  # (from, to), ``to`` one step further from the seeds, as found
    records: dict[int, tuple[Any, ...]]  # each node the index describes, in order (as describe gives them)
    transformations: bool  # whether the store may state a transformation (False: it never did)


class LineageIndex:
    """The index of one store: in ``folder`` (stamped ``found``, what :func:`stamp` said before the store
    opened) or, with ``folder=None``, in memory beside an in-memory store."""

    def __init__(self, folder: Path | None, found: str = "", read_only: bool = False) -> None:
        self.folder = folder
        self.fresh = False
        self.transformations = False  # whether the store may state one: it did, since the index was last filled
        self._pending: list[_Rows] = []  # rows of writes the store holds, not yet in the database
        self._waiting = 0  # how many rows those are
        self._writing = threading.local()  # the rows of the write this thread is making
        # a server reads (impact, lineage) while its writer thread adds: one lock for the rows and the database
        self._lock = threading.RLock()
        self._db = _opened_read_only(folder / FILENAME) if read_only and folder else self._connect(folder)
        if folder is None or not found:  # a new store: empty, as the index is
            self.fresh = True
        else:
            try:
                stamped = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.DatabaseError as exc:
                self._restart_if_damaged(exc)
                stamped = {}
            self.fresh = stamped.get("layout") == LAYOUT and stamped.get("stamp") == found
            self.transformations = stamped.get("transformations") == "1"

    @staticmethod
    def _connect(folder: Path | None) -> sqlite3.Connection:
        """The database, with its tables; an unreadable file is started afresh (it holds nothing the store
        does not)."""
        path = ":memory:" if folder is None else str(folder / FILENAME)
        try:
            return _opened(path)
        except sqlite3.DatabaseError:
            if folder is None:
                raise
        (folder / FILENAME).unlink(missing_ok=True)
        return _opened(path)

    # -- keeping in step with the store

    def watch(self, quads: Iterable[Quad], atomic: bool = True) -> Iterator[Quad]:
        """``quads`` passed through unchanged, what the index holds of them collected on the way and read
        only once the store holds them: the store calls :meth:`written` when it took them all, or
        :meth:`stale` if it did not. A bulk load (``atomic=False``) hands its rows over as they pile up, to
        bound memory: a read beside it may see some before the store shows them (Oxigraph shows a bulk load
        batch by batch). Collected even while the index is stale, so that a rebuild running beside this
        write misses nothing of it."""
        rows = self._writing.rows = _Rows()
        taken = 0
        for quad in quads:
            yield quad  # the store checks it first
            predicate = quad.predicate.value
            if predicate in _WANTED:
                rows.take(quad, predicate)
                taken += 1
                if not atomic and taken >= _CHUNK:
                    self.written()
                    rows = self._writing.rows = _Rows()
                    taken = 0

    def written(self) -> None:
        """The store holds what this thread's last :meth:`watch` passed: its rows may be read (they are
        written when many are waiting, or before the index is read: small writes cost next to nothing)."""
        rows, self._writing.rows = getattr(self._writing, "rows", None), None
        if not rows:
            return
        with self._lock:
            self._pending.append(rows)
            self._waiting += len(rows)
            if self._waiting >= _CHUNK:
                try:
                    self._flush()
                except sqlite3.Error:  # the store goes on; the index is rebuilt when next needed
                    self.stale()

    def ready(self, store: ox.Store) -> None:
        """Bring the index in step with ``store`` before it is read: write what is waiting, or rebuild it if
        it fell behind. Raises :class:`sqlite3.Error` (or :class:`OSError`) when it cannot."""
        with self._lock:
            try:
                if not self.fresh:
                    self._rebuild(store)
                self._flush()
            except sqlite3.DatabaseError as exc:  # a damaged file (a crash mid-write): once more, afresh
                self._restart_if_damaged(exc)
                self._rebuild(store)

    def refresh(self, nodes: Iterable[NamedNode], store: ox.Store) -> None:
        """Read again what ``store`` holds of ``nodes`` (statements with one of them as subject or object),
        after an update that changed only those; a node that has one of them as a field's value or class is
        described again."""
        with self._lock:
            if not self.fresh:
                return
            try:
                self._flush()
                rows, described = _Rows(), set()
                for node in nodes:
                    self._db.execute(f"DELETE FROM edge WHERE s = {_ID}", (node.value,))
                    self._db.execute(f"DELETE FROM edge WHERE o = {_ID}", (node.value,))
                    described.add(node)
                    for quad in store.quads_for_pattern(None, None, node):
                        if quad.predicate.value in _RELATION:
                            rows.take(quad)
                        elif type(quad.subject) is NamedNode:
                            described.add(quad.subject)
                for node in described:
                    self._db.execute(f"DELETE FROM node WHERE id = {_ID}", (node.value,))
                    for quad in store.quads_for_pattern(node, None, None):
                        rows.take(quad)
                self._write(rows)
            except (OSError, sqlite3.Error):
                self.stale()
                raise

    def stale(self) -> None:
        """The store changed in a way the index did not follow: rebuild it before it is used again."""
        with self._lock:
            self.fresh = False
            self._forget()

    def clear(self) -> None:
        """The store was emptied: so is the index, which is then in step again."""
        with self._lock:
            self._forget()
            self._empty()
            self.fresh = True

    def _restart_if_damaged(self, exc: sqlite3.DatabaseError) -> None:
        """Start the database afresh, empty and stale, if ``exc`` says its file is damaged (it holds nothing
        the store does not); re-raise ``exc`` otherwise."""
        if getattr(exc, "sqlite_errorcode", None) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise exc
        log.warning("the lineage index in %s is damaged and is rebuilt: %s", self.folder, exc)
        self._db.close()
        if self.folder is not None:
            (self.folder / FILENAME).unlink(missing_ok=True)
        self._db = self._connect(self.folder)
        self.fresh = False
        self._forget()

    def _forget(self) -> None:
        """Drop the rows not yet written, and those of a write this thread has under way."""
        self._pending.clear()
        self._waiting = 0
        self._writing.rows = None

    def _empty(self) -> None:
        """No rows, in tables of this layout (those of another may have other columns)."""
        self._db.executescript("DROP TABLE IF EXISTS edge; DROP TABLE IF EXISTS node; DROP TABLE IF EXISTS term;"
                               + _SCHEMA + "DELETE FROM meta WHERE key = 'transformations';")
        self.transformations = False

    def _rebuild(self, store: ox.Store) -> None:
        """Refill the index from every statement of ``store`` it holds; rows a write collected meanwhile stay
        (writing one twice changes nothing)."""
        self._empty()
        rows = _Rows()
        for predicate in _PREDICATES:
            for quad in store.quads_for_pattern(None, predicate, None):
                rows.take(quad)
                if len(rows) >= _CHUNK:
                    self._write(rows)
                    rows.clear()
        self._write(rows)
        self.fresh = True

    def _flush(self) -> None:
        """Write the rows of the writes the store holds."""
        with self._lock:
            batches, self._pending, self._waiting = self._pending, [], 0
            for rows in batches:
                self._write(rows)

    def _write(self, rows: _Rows) -> None:
        if not rows:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT INTO new_edge VALUES (?, ?, ?)", rows.edges)
                self._db.executemany(f"INSERT INTO new_node VALUES (?, ?, {', '.join('?' * len(_COLUMNS))})",
                                     rows.node_rows())
                for statement in _MOVE.split(";"):
                    self._db.execute(statement)
                if rows.transformations:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES ('transformations', '1')")
            self.transformations |= rows.transformations
        except sqlite3.Error:
            self.fresh = False  # the store has the statements: the index is behind it
            raise

    def close(self, found: str) -> None:
        """Stamp the index with ``found``, the store's files once closed, if it is in step with them."""
        with self._lock:
            try:
                if self.fresh:
                    self._flush()
                if self.folder is not None and found:
                    value = found if self.fresh else ""
                    if value:  # the rows reach the disk before the stamp that vouches for them (a power cut
                        # after a close must not leave a stamp beside rows written without a sync)
                        _sync(self.folder / FILENAME)
                    self._db.execute("PRAGMA synchronous = FULL")
                    self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                         (("layout", LAYOUT), ("stamp", value)))
            except (OSError, sqlite3.Error):  # left unstamped: rebuilt at its next use
                pass
            finally:
                self._db.close()

    # -- answering (after :meth:`ready`)

    def reach(self, ref: str, direction: str) -> Reached | None:
        """The part of the graph ``direction`` ("impact" or "lineage") reaches from ``ref`` and its versions
        (the nodes ``prov:specializationOf`` it): its nodes (the seeds the index holds and every node
        reached), its edges (an edge two relations make may come twice) and the description of each node
        the index holds. None if the file proves damaged (as :meth:`describe`).

        The walk steps from the whole frontier at once, on the index's numbers; each node reached is then
        named and described once."""
        # impact walks the downstream relations backwards (from what was used to the run that used it),
        # lineage every relation forwards
        near, far, relations = ("o", "s", IMPACT_RELATIONS) if direction == "impact" else \
            ("s", "o", len(LINEAGE_RELATIONS))
        seeds = (f"SELECT id FROM term WHERE iri = ?1 UNION "
                 f"SELECT e.s FROM term t JOIN edge e ON e.o = t.id AND e.p = {_VERSION_OF} WHERE t.iri = ?1")
        step = f"SELECT e.{near}, e.{far} FROM json_each(?) j JOIN edge e ON e.{near} = j.value AND e.p < {relations}"
        named = (f"SELECT j.value, t.iri, {_DESCRIPTION} FROM json_each(?) j JOIN term t ON t.id = j.value "
                 "LEFT JOIN node n ON n.id = j.value ORDER BY t.iri")

        def walk(db: sqlite3.Connection) -> Reached:
            frontier = [n for (n,) in db.execute(seeds, (ref,))]
            starts = list(frontier)
            met = set(frontier)
            pairs: list[tuple[int, int]] = []
            while frontier:
                found = db.execute(step, _listed(frontier)).fetchall()
                pairs += found
                frontier = []
                for _, there in found:
                    if there not in met:
                        met.add(there)
                        frontier.append(there)
            names: list[str] = []
            position: dict[int, int] = {}
            records: dict[int, tuple[Any, ...]] = {}
            for at, row in enumerate(db.execute(named, _listed(met))):
                names.append(row[1])
                position[row[0]] = at
                if row[2] is not None:  # a node without a row is named, not described
                    records[at] = row[2:]
            return Reached(names, [position[n] for n in starts], [(position[a], position[b]) for a, b in pairs],
                           records, self.transformations)

        return self._read(walk)

    def describe(self, iris: Sequence[str]) -> dict[int, tuple[Any, ...]] | None:
        """The description of each of ``iris`` the index holds, by position in ``iris``: its classes of
        :data:`~provgraph.vocab.DESCRIBED_CLASSES` as bits (bit ``i`` for ``DESCRIBED_CLASSES[i]``), then the
        value of each of ``DESCRIBED_FIELDS``, as ``queries/describe.rq`` gives them; None if the file proves
        damaged (it is then rebuilt when next made ready)."""
        found = self._fetch(f"SELECT j.key, {_DESCRIPTION} FROM json_each(?) j JOIN term t ON t.iri = j.value "
                            "JOIN node n ON n.id = t.id", iris)
        return None if found is None else {row[0]: row[1:] for row in found}

    def runs(self, iris: Sequence[str] | None) -> dict[str, tuple[tuple[Any, ...], list[str]]] | None:
        """The runs among ``iris`` (every run when None) the index holds, nodes of class provml:Run with a
        run id, by IRI: their description (as :meth:`describe` gives it) and the labels of the agents each was
        associated with; None if the file proves damaged (as :meth:`reach`)."""
        nodes = ("json_each(?) j JOIN term t ON t.iri = j.value JOIN node n ON n.id = t.id" if iris is not None
                 else "node n JOIN term t ON t.id = n.id")
        sql = (f"SELECT t.iri, {_DESCRIPTION}, "
               f"(SELECT json_group_array(a.{_LABEL}) FROM edge e JOIN node a ON a.id = e.o "
               f"WHERE e.s = n.id AND e.p = {_ASSOCIATION} AND a.{_LABEL} IS NOT NULL) "
               f"FROM {nodes} WHERE n.classes & {_CLASS_BIT[_RUN]} AND n.{_RUN_ID} IS NOT NULL")
        found = self._fetch(sql, iris)
        return None if found is None else {row[0]: (row[1:-1], json.loads(row[-1])) for row in found}

    def _fetch(self, sql: str, iris: Sequence[str] | None) -> list[Any] | None:
        """The rows of ``sql`` asked of ``iris`` (its one parameter, a JSON list; no parameter when None);
        None if the file proves damaged (as :meth:`_read`)."""
        return self._read(lambda db: db.execute(sql, () if iris is None else _listed(iris)).fetchall())

    def _read(self, read: Callable[[sqlite3.Connection], _Read]) -> _Read | None:
        """What ``read`` reads from the database, all of it while no write is under way; None if the file
        proves damaged (it is then rebuilt when next made ready)."""
        with self._lock:
            try:
                return read(self._db)
            except sqlite3.DatabaseError as exc:
                self._restart_if_damaged(exc)
                return None


def _listed(values: Iterable[Any]) -> tuple[str]:
    """The one parameter of a query that reads ``values`` from a JSON list (``json_each(?)``)."""
    return (json.dumps(list(values)),)


class _Rows:
    """Index rows collected from quads: edges, and per node its class bits and the values of each field."""

    def __init__(self) -> None:
        self.edges: list[tuple[str, int, str]] = []
        self.nodes: dict[str, list[Any]] = {}  # IRI -> [class bits, each field's term, list of terms or None]
        self.transformations = False  # whether a transformation was stated

    def __len__(self) -> int:
        return len(self.edges) + len(self.nodes) + self.transformations

    def clear(self) -> None:
        self.edges.clear()
        self.nodes.clear()
        self.transformations = False

    def take(self, quad: Quad, predicate: str | None = None) -> None:
        """Collect what the index holds of ``quad`` (whose predicate's IRI is ``predicate``, if known)."""
        p = quad.predicate.value if predicate is None else predicate
        relation, field = _RELATION.get(p), _FIELD.get(p)
        if type(quad.graph_name) is DefaultGraph:
            return
        if relation is None and field is None and p != _TYPE:
            self.transformations |= p == _TRANSFORMATION
            return
        subject = quad.subject
        if type(subject) is not NamedNode:
            return
        obj = quad.object
        if relation is not None:
            if type(obj) is NamedNode:
                self.edges.append((subject.value, relation, obj.value))
            return
        if field is None:  # a type: any class makes a node described, one told apart sets its bit
            if type(obj) is not NamedNode:
                return
            bit = _CLASS_BIT.get(obj.value, 0)
        elif type(obj) is ox.Triple:
            return
        node = self.nodes.get(subject.value)
        if node is None:
            node = self.nodes[subject.value] = [0, *_NO_FIELDS]
        if field is None:
            node[0] |= bit
        else:
            held = node[field + 1]
            if held is None:
                node[field + 1] = obj
            elif type(held) is list:
                held.append(obj)
            elif held != obj:
                node[field + 1] = [held, obj]

    def node_rows(self) -> Iterator[list[Any]]:
        """Per node its IRI, class bits and its fields' least values as the store gives them back (a typed
        literal in canonical form: ``09:13:06.7233Z`` for ``09:13:06.723300Z``)."""
        typed = [t for fields in self.nodes.values() for v in fields[1:] for t in _each(v)
                 if isinstance(t, ox.Literal) and t.datatype.value not in _PLAIN]
        canonical = dict(zip(typed, _canonical(typed), strict=True))
        for n, (classes, *values) in self.nodes.items():
            yield [n, classes, *(None if v is None else min(canonical.get(t, t.value) for t in _each(v))
                                 for v in values)]


def _each(held: Any) -> list[Any]:
    """The terms a node's field holds (none, one, or a list of several)."""
    return held if type(held) is list else [] if held is None else [held]


def _canonical(literals: list[ox.Literal]) -> list[str]:
    """The lexical forms Oxigraph stores ``literals`` as (it keeps values, not the text they came in)."""
    if not literals:
        return []
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"urn:at:{at}"), _AT, literal) for at, literal in enumerate(literals))
    found: dict[int, str] = {}
    for quad in store.quads_for_pattern(None, _AT, None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
            found[int(quad.subject.value.removeprefix("urn:at:"))] = quad.object.value
    return [found[at] for at in range(len(literals))]
