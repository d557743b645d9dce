"""A project: the ``.provgraph/`` folder holding the journal, and the store the journal feeds.

Recording appends to the journal only (so many processes can record at once); the store catches up
when asked (:meth:`Project.sync`; readers take :meth:`Project.synced_store`), exactly as if the events
had been applied one by one. A journal cursor (:mod:`provgraph.cursor`) remembers how far the store has
caught up; ingest is idempotent, so a crash between the store write and the watermark write only causes
a harmless replay.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

from pyoxigraph import NamedNode, Quad

from . import events as ev
from .admission import admit, problem
from .cursor import Cursor
from .errors import JournalError, ProvgraphError, StoreError
from .forwarding import ServerSink, is_server_url, server_view
from .gitinfo import git_remote
from .journal import Entry, Head, Journal, Verification, exclusive, read_record, replace_json
from .journal_index import JournalIndex
from .mapping import Mapper
from .query.sparql import fill_values, load
from .query.versions import latest_version, run_versions
from .runclock import check_all, reconcile
from .store import BULK_LOAD, DURABLE, Store, open_store
from .vocab import SHARED_GRAPH, remote_namespace, slug

DIRNAME = ".provgraph"
STORE_DIR = "store"  # the embedded store's folder inside .provgraph/
JOURNAL_INDEX = "journal-index.sqlite"  # the journal's index, inside .provgraph/
CONFIG_LOCK = "config.lock"  # held while config.json is created or completed
LAYOUT = "2"  # run bundles plus one shared graph of content-addressed descriptions
SYNC_BATCH = 2000  # events per store write when catching up
BULK_QUADS = 20_000  # from this many quads a write goes through the store's bulk loader
STREAM_BYTES = 32 << 20  # a catch-up of more journal than this is one streamed bulk load
log = logging.getLogger(__name__)
#: The mapping admission checks events with, for the whole process: a description it mapped before
#: (the environment every run of a sweep carries) mapped fine then and is not built again.
_ADMISSION = Mapper()
_ADMISSION_LOCK = threading.Lock()


def admitted(event: Any) -> ev.Event:
    """``event`` if it is valid and maps to quads (:func:`admit` with the process-wide mapping)."""
    return admit(event, admission_quads)


def admission_quads(event: ev.Event) -> list[Quad]:
    """``event``'s quads from the process-wide admission mapping (what :func:`admit` is given)."""
    with _ADMISSION_LOCK:
        quads = _ADMISSION.map(event)
        _ADMISSION.commit()
        return quads


#: The empty VALUES block each operation of ``queries/merge-version.rq`` binds its pair in.
MERGE_BLOCK = "VALUES (?old ?new) { }"


def merge_update(old: NamedNode, new: NamedNode) -> str:
    """The update merging version node ``old`` into ``new`` (``queries/merge-version.rq``, whose every
    operation binds the pair)."""
    text = load("merge-version")
    for _ in range(text.count(MERGE_BLOCK)):
        text = fill_values(text, ("old", "new"), [(old, new)])
    return text


class StoreSink:
    """Journal entries mapped to quads and added to ``store``, :data:`SYNC_BATCH` per write; or, with
    ``stream`` (a long catch-up into a store with a bulk loader), all of them in one bulk load: RocksDB
    compresses what one bulk load writes, while many overlapping ones are compacted uncompressed
    (24.9 against 14.6 KB of store per run for 10,000 runs)."""

    diverged = ("the journal no longer matches what the store was built from; "
                "run 'provgraph verify', then 'provgraph rebuild'")

    def __init__(self, store: Store, mapper: Mapper, stream: bool = False) -> None:
        self.store, self.mapper = store, mapper
        self.batch: int | None = None if stream and BULK_LOAD in store.capabilities else SYNC_BATCH

    def take(self, entries: Iterable[Entry]) -> list[dict[str, Any]]:
        """Map and add ``entries``; an entry that cannot be mapped (journaled before admission checked
        the mapping) is skipped and returned."""
        skipped: list[dict[str, Any]] = []

        def quads() -> Iterator[Quad]:
            for entry in entries:
                try:
                    mapped = self.mapper.map(entry.event)
                except Exception as exc:
                    why = problem(exc)
                    log.warning("journal entry %d (event %s) cannot be applied to the store and is skipped: %s",
                                entry.seq, entry.event.get("id"), why)
                    skipped.append({"seq": entry.seq, "id": entry.event.get("id"), "problem": why})
                    continue
                yield from mapped

        self.write(quads() if self.batch is None else list(quads()))
        return skipped

    def write(self, quads: Iterable[Quad]) -> None:
        """Add ``quads`` (mapped by :attr:`mapper`) to the store; the mapper keeps what it wrote only if
        the store took it, then makes the version merges it called for (:attr:`Mapper.merged`). A bulk
        load is not one transaction, but the watermark only moves after it and a replay adds nothing
        twice (a merge is made again), so a crash half-way is repaired by the next sync."""
        bulk = not isinstance(quads, list) or len(quads) >= BULK_QUADS
        try:
            if bulk and BULK_LOAD in self.store.capabilities:
                self.store.bulk_add(quads)
            else:
                self.store.add(quads)
            for old, new in self.mapper.merged:
                self.store.update(merge_update(old, new), touching=(old, new))
        except BaseException:
            self.mapper.rollback()
            raise
        self.mapper.commit()


class Project:
    """The provenance project rooted at ``root`` (the folder that holds ``.provgraph/``)."""

    def __init__(self, root: str | Path, store_uri: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.dir = self.root / DIRNAME
        self.journal = Journal(self.dir / "journal.jsonl")
        self.store_uri = store_uri or os.environ.get("PROVGRAPH_STORE") or self._configured_store()
        self._store: Store | None = None
        self._synced_size = -1
        self._position: Cursor | None = None
        self._mapping: tuple[Store, Mapper] | None = None
        self._checked = False  # whether the store's layout and journal were checked

    # -- finding and creating -------------------------------------------------------------------
    @classmethod
    def init(cls, root: str | Path = ".", store_uri: str | None = None, namespace: str | None = None) -> Project:
        """Create ``.provgraph/`` under ``root`` (if missing) and return the project.

        The config names the store relative to ``.provgraph/`` (so a copied or moved project keeps
        using its own store) and the project ``namespace`` that relative locations belong to: given,
        else derived from the git remote, else a new project id.
        """
        path = Path(root).resolve() / DIRNAME
        settle_config(path, store_uri, namespace)
        return cls(path.parent, store_uri)

    @classmethod
    def find(cls, start: str | Path = ".", create: bool = False) -> Project:
        """The project containing ``start`` (searching parents like git does).

        ``PROVGRAPH_PROJECT`` overrides the search. With ``create``, a missing project is created in
        ``start``; otherwise it is an error.
        """
        override = os.environ.get("PROVGRAPH_PROJECT")
        if override:
            return cls.init(override) if create else cls(override)
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            if (folder / DIRNAME).is_dir():
                return cls(folder)
        if create:
            return cls.init(here)
        raise ProvgraphError(f"no provgraph project in {here} or its parents; run 'provgraph init' first")

    @cached_property
    def _config(self) -> dict[str, str]:
        """``.provgraph/config.json``, read once."""
        return read_config(self.dir / "config.json")

    def _configured_store(self) -> str:
        """The configured store URI; an embedded store's relative path is relative to ``.provgraph/``."""
        uri = self._config.get("store", f"oxigraph:{STORE_DIR}")
        path = uri.removeprefix("oxigraph:") if uri.startswith("oxigraph:") and "://" not in uri else None
        if path is not None and not Path(path).is_absolute():
            return f"oxigraph:{self.dir / path}"
        return uri

    @cached_property
    def namespace(self) -> str:
        """The project namespace relative locations belong to (``PROVGRAPH_NAMESPACE`` overrides).

        A config written before namespaces existed gets one now, saved, so every later process agrees."""
        chosen = os.environ.get("PROVGRAPH_NAMESPACE") or self._config.get("namespace")
        if chosen:
            return chosen
        return settle_config(self.dir)["namespace"] if self.dir.is_dir() else default_namespace(self.root)

    def scoped(self, event: ev.Event) -> ev.Event:
        """``event`` with this project's namespace when it names locations and has none of its own."""
        if (not isinstance(event, dict) or "namespace" in event
                or event.get("type") not in ("run.start", "run.update", "run.end", "artifact.invalidate")):
            return event  # (an event that is not even an object is refused by admission)
        return {**event, "namespace": self.namespace}

    # -- recording --------------------------------------------------------------------------------
    def record(self, event: ev.Event) -> Entry:
        """Validate ``event`` and append it durably to the journal. The store catches up on next use."""
        return self.record_many([event])[0]

    @cached_property
    def journal_index(self) -> JournalIndex:
        """The journal's index (:mod:`.journal_index`), opened on first use."""
        return JournalIndex(self.journal, self.dir / JOURNAL_INDEX)

    def unrecorded(self, events: list[ev.Event], by: str | None = None,
                   source: str | None = None) -> tuple[list[ev.Event], list[str]]:
        """``events`` without those whose id the journal holds (sent ``by`` that submitter, when given) or
        that come twice, and the ids left out (the journal's index answers). An event contradicting the
        times the journal holds of its run (:mod:`.runclock`) is an :class:`InvalidEvent`; or, for events
        another tool ``source`` made, it is fitted to them (:func:`~.runclock.reconcile`)."""
        index = self.journal_index
        index.catch_up()
        ids = [event["id"] for event in events]
        seen = index.sent(by, ids) if by is not None else index.recorded(ids)
        fresh, duplicates = [], []
        for event in events:
            if event["id"] in seen:
                duplicates.append(event["id"])
            else:
                seen.add(event["id"])
                fresh.append(event)
        if source is not None:
            return reconcile(fresh, index.clock, source), duplicates
        return check_all(fresh, index.clock)[0], duplicates

    def record_new(self, events: list[ev.Event], by: str | None = None,
                   source: str | None = None) -> tuple[list[ev.Event], list[str]]:
        """Record what :meth:`unrecorded` keeps of ``events``, checked and appended under one journal lock so
        that no other process appends between (two ingests of one run's starts cannot both pass); returns
        the events recorded and the ids left out."""
        with self.journal.locked():
            fresh, duplicates = self.unrecorded(events, by, source)
            self.record_many(fresh)
        return fresh, duplicates

    def record_many(self, events: Iterable[ev.Event]) -> list[Entry]:
        """Append several events atomically: all are valid and written, or none is.

        An open store catches up at once; if it cannot be reached (a remote endpoint that is down),
        the events wait in the journal and the next :meth:`sync` replays them.
        """
        scoped = [self.scoped(event) for event in events]
        sink = self._open_sink()
        mapped: list[Quad] = []
        if sink is None:
            entries = self.journal.append_many(scoped, admitted)
        else:  # admission maps with the store's own mapper, and what it mapped is applied as is
            try:
                entries = self.journal.append_many(
                    scoped, lambda event: admit(event, lambda e: _kept(sink.mapper.map(e), mapped)))
            except BaseException:
                sink.mapper.rollback()
                raise
        try:
            applied = sink is not None and self._cursor().apply(sink, entries, mapped)
            if applied:  # caught up through these entries: the next sync need not look again
                self._synced_size = entries[-1].end_offset
            elif self._store is not None or is_server_url(self.store_uri):
                self.sync()
        except StoreError as exc:
            log.warning("%d event(s) wait in the journal until the store is reachable: %s", self.pending(), exc)
        return entries

    def _open_sink(self) -> StoreSink | None:
        """The store sink when the store is open in this process and has caught up with the journal."""
        if self._store is None or is_server_url(self.store_uri):
            return None
        try:
            self.sync()
        except StoreError:
            return None
        return StoreSink(self._store, self._mapper(self._store))

    # -- the store --------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store as it stands, opened on first use (nothing is applied: see :meth:`synced_store`).

        For a provgraph server (``http(s)://``) it is a read-only view of the server's SPARQL endpoint.
        """
        if self._store is None:
            server = is_server_url(self.store_uri)
            self._store = open_store(server_view(self.store_uri) if server else self.store_uri)
        return self._store

    def synced_store(self) -> Store:
        """The store after :meth:`sync`: what readers ask, so answers include every recorded event."""
        self.sync()
        return self.store

    def _cursor(self) -> Cursor:
        """Where the store stands in the journal: one watermark per store, named after its URI without
        credentials; a store that dies with the process (``memory:``) keeps it in memory, or the next
        process would take its fresh, empty store for one that has caught up."""
        volatile = self._store is not None and DURABLE not in self._store.capabilities
        if self._position is None or (self._position.path is None) != volatile:
            path = self.dir / "sync" / f"{slug(self._store_name())}.json"
            before = self.dir / "sync" / f"{slug(self.store_uri)}.json"  # as named before projects moved
            if (not volatile and self._own_store() is not None and before != path and before.exists()
                    and not path.exists()):
                os.replace(before, path)
            self._position = Cursor(self.journal, None if volatile else path)
        return self._position

    def _store_name(self) -> str:
        """The store's URI without credentials; an embedded store by its absolute path, and the project's own
        by its path inside ``.provgraph/``, so a copied or moved project keeps its watermark (and does not
        replay its journal) while no other store takes it (``oxigraph:store`` from another folder)."""
        own, folder = self._own_store(), embedded_path(self.store_uri)
        if own is not None:
            return f"oxigraph:{own}"
        if folder is not None:
            return f"oxigraph:{folder.resolve()}"
        return re.sub(r"//[^/@]*@", "//", self.store_uri)

    def _own_store(self) -> Path | None:
        """The store's folder inside ``.provgraph/`` when it is the project's own embedded store."""
        folder = embedded_path(self.store_uri)
        if folder is None or not folder.resolve().is_relative_to(self.dir):
            return None
        return folder.resolve().relative_to(self.dir)

    def watermark(self) -> dict[str, Any]:
        """Where the store stands in the journal: ``seq``, ``hash`` and ``offset`` of the last entry it
        took, and the entries it ``skipped`` (cannot be applied). Reading it checks nothing: see
        :meth:`verify`."""
        return self._cursor().mark()

    def pending(self) -> int:
        """How many journal entries the store has not seen yet."""
        return self._cursor().pending()

    def sync(self, progress: Callable[[int], object] | None = None) -> int:
        """Apply journal entries the store has not seen yet; returns how many were applied.

        ``progress`` is called with the number of events applied by each batch. For a provgraph server
        (``http(s)://``), the entries are forwarded to it instead (see :mod:`provgraph.forwarding`).
        """
        if is_server_url(self.store_uri):
            sink = ServerSink(self.store_uri)
            try:
                return self._cursor().feed(sink, progress)
            finally:
                sink.close()
        store = self.store
        size = self.journal.path.stat().st_size if self.journal.path.exists() else 0
        if size == self._synced_size:
            return 0
        if not self._checked:
            check_layout(store, self.store_uri, self.journal.genesis())
            self._checked = True
        cursor = self._cursor()
        offset = int(cursor.mark()["offset"])
        if store.read_only:  # answers come from what the store holds; say what they leave out
            behind = cursor.pending()
            if behind:
                log.warning("the store is read-only here (%s) and %d journal event(s) behind: answers leave them "
                            "out; run any command where the project can be written to catch up", store.read_only,
                            behind)
            self._synced_size = size
            return 0
        if offset < self._synced_size:  # the store went back (another process rebuilds it, or was stopped
            self._mapping = None  # doing so): what this process wrote may be gone, so it is written again
        mapper = self._mapper(store)
        if offset != self._synced_size:  # another process moved the store on: what the mapper knows is old
            mapper.forget()
        applied = cursor.feed(StoreSink(store, mapper, size - offset > STREAM_BYTES), progress)
        self._synced_size = size
        return applied

    def _mapper(self, store: Store) -> Mapper:
        """The mapper for ``store``, which asks it for the latest version of digest-less uses (again after
        each write when the store is not this project's alone: a remote one other journals feed too) and the
        versions a run generated."""
        if self._mapping is None or self._mapping[0] is not store:
            self._mapping = (store, Mapper(lambda logical, time: latest_version(store, logical, time),
                                           generated=lambda run, logical: run_versions(store, run, logical),
                                           shared=self._shared(store)))
        return self._mapping[1]

    def rebuild(self, progress: Callable[[int], object] | None = None) -> int:
        """Empty the store and replay the whole journal into it; returns the events applied. A SPARQL
        endpoint, which other projects' journals may feed too, loses only the graphs this journal writes
        (its runs' bundles and imported documents; the shared descriptions stay, and are written again)."""
        if self._store is None:
            self._store = open_store(self.store_uri)
        if self._shared(self._store):
            for graph in sorted(self._written_graphs(), key=str):
                self._store.drop_graph(graph)
        else:
            self._store.clear()
        mark_rebuilt(self.store_uri)
        self._mapping = None
        self._checked = False
        self._cursor().reset()
        self._synced_size = -1
        return self.sync(progress)

    def _shared(self, store: Store) -> bool:
        """Whether ``store`` may be fed by other projects' journals too: a durable store that is not embedded
        (a SPARQL endpoint)."""
        return DURABLE in store.capabilities and embedded_path(self.store_uri) is None

    def _written_graphs(self) -> set[NamedNode]:
        """The named graphs the journal's events are mapped into, but the shared descriptions'."""
        mapper, graphs = Mapper(), set[NamedNode]()
        for entry in self.journal.entries():
            try:
                quads = mapper.map(entry.event)
            except Exception:  # an entry that cannot be mapped writes nothing (see StoreSink.take)
                continue
            mapper.commit()
            graphs.update(q.graph_name for q in quads if isinstance(q.graph_name, NamedNode))
        graphs.discard(SHARED_GRAPH)
        return graphs

    def verify(self, heads: Iterable[tuple[str, Head]] = ()) -> Verification:
        """Re-check the journal's hash chain against its head, each store's watermark and ``heads``;
        report the entries the store skipped because they cannot be applied."""
        marks = [] if self._cursor().path is None else sorted((self.dir / "sync").glob("*.json"))
        try:
            anchors = [(f"the store watermark {path.name}", Head.from_dict(read_record(path), str(path)))
                       for path in marks]
        except (OSError, ValueError) as exc:
            raise JournalError(f"a store watermark in {self.dir / 'sync'} is unreadable: {exc}") from exc
        result = self.journal.verify([*anchors, *heads])
        skipped = self._cursor().mark().get("skipped", ())
        return replace(result, unapplied=tuple(skipped)) if skipped else result

    def close(self) -> None:
        if "journal_index" in self.__dict__:
            self.__dict__.pop("journal_index").close()
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_config(config: Path) -> dict[str, str]:
    """The settings in a project's ``config.json`` (none when it is missing)."""
    if not config.exists():
        return {}
    try:
        loaded = json.loads(config.read_text())
        if not isinstance(loaded, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise ProvgraphError(f"{config} is not a valid provgraph config: {exc}") from exc
    return {str(k): str(v) for k, v in loaded.items()}


def settle_config(folder: Path, store_uri: str | None = None, namespace: str | None = None) -> dict[str, str]:
    """The settings of the project folder ``folder`` (``.provgraph/``), its ``config.json`` written first
    when it is missing or has no namespace (one written before namespaces existed). Under the config
    lock, so processes starting or upgrading one project at once all get the first one's choice."""
    try:
        with exclusive(folder / CONFIG_LOCK):
            settings = read_config(folder / "config.json")
            if not settings.get("namespace"):
                settings = {"store": store_uri or f"oxigraph:{STORE_DIR}", **settings,
                            "namespace": namespace or default_namespace(folder.parent)}
                replace_json(folder / "config.json", settings, indent=2)
    except OSError as exc:
        raise ProvgraphError(f"cannot write the project's config in {folder}: {exc}") from exc
    return settings


def default_namespace(root: Path) -> str:
    """A project's namespace: its git remote (``github.com_org_repo``) when it has one, else a new id."""
    remote = git_remote(root)
    if remote:
        return remote_namespace(remote)
    return f"project-{uuid.uuid4().hex[:16]}"


def check_layout(store: Store, uri: str, genesis: str | None) -> None:
    """Make sure an embedded on-disk store was written in this layout from this journal.

    What the store is lives in a file beside it (``store.meta.json`` for ``.provgraph/store``), not in
    its quads, so exports and copies of the graph stay exactly what the journal says. A store written
    by an older provgraph is refused until ``provgraph rebuild``; a store built from another journal (a
    project pointing at another project's store) is refused. Memory and remote stores (shared by many
    projects' journals) are not checked.
    """
    path = embedded_path(uri)
    if path is None:
        return
    meta = path.with_name(path.name + ".meta.json")
    facts = _read_meta(meta)
    layout, recorded = facts.get("layout"), facts.get("journal")
    if layout is None and len(store):
        raise StoreError(f"the store {path} was written by an older provgraph layout; "
                         "run 'provgraph rebuild' to rewrite it from the journal")
    if layout is not None and layout != LAYOUT:
        raise StoreError(f"the store {path} has layout {layout!r}, this provgraph writes {LAYOUT!r}; "
                         "run 'provgraph rebuild' to rewrite it from the journal")
    if recorded is not None and genesis is not None and recorded != genesis:
        raise StoreError(f"the store {path} was built from another journal (first entry {recorded[:12]}, "
                         f"this project's is {genesis[:12]}); point this project at its own store")
    wanted = {"layout": LAYOUT, "journal": recorded or genesis}
    if facts != wanted and not store.read_only:
        replace_json(meta, {k: v for k, v in wanted.items() if v is not None})


def mark_rebuilt(uri: str) -> None:
    """Forget what an embedded store was (it is being rebuilt from this project's journal)."""
    path = embedded_path(uri)
    if path is not None:
        path.with_name(path.name + ".meta.json").unlink(missing_ok=True)


def embedded_path(uri: str) -> Path | None:
    """The folder of an embedded on-disk store, ``None`` for any other store."""
    if not uri.startswith("oxigraph:"):
        return None
    return Path(uri.removeprefix("oxigraph://").removeprefix("oxigraph:"))


def _read_meta(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path} is not readable: {exc}") from exc
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _kept(quads: list[Quad], into: list[Quad]) -> list[Quad]:
    into += quads
    return quads
