"""The journal's index: what the journal holds of event ids, run owners and run times, kept in SQLite
beside it (``.provgraph/journal-index.sqlite``) and brought up to the journal's end on each look. The
server asks it for duplicates, run ownership and implied starts; ``ingest`` and ``import-runs`` for
duplicates and run times, without reading the whole journal each time."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import JournalError
from .journal import GENESIS, IMPLIED, Entry, Journal, submitter
from .runclock import Clock, after

INDEX_VERSION = 4  # the index's layout: a file of another version is read again from the journal
BATCH = 5_000  # journal entries taken in per transaction


class JournalIndex:
    """Which event ids each submitter has sent, which agent started each run, which runs are known and
    started (a ``run.start`` recorded) and their times (:mod:`.runclock`): read from the journal into a
    SQLite file beside it, so memory stays bounded however long the journal grows and each look reads only
    what was appended since the last (by any process). It is derived data: a missing or stale file is
    rebuilt from the journal, and where it cannot be written (a read-only project) it is built in memory."""

    def __init__(self, journal: Journal, path: Path) -> None:
        self.journal, self.path = journal, path
        with self._failing():
            if _read_only(path):  # a read-only mount, another user's project: the index is kept in memory
                self.db, row = _open_index(":memory:")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db, row = self._open(path)
        self.offset, self.hash = 0, GENESIS
        try:
            with self._failing():
                if row and journal.hash_ending_at(row[0]) == row[1]:
                    self.offset, self.hash = row
                else:  # new, or the journal was replaced: read it all again
                    self.db.executescript("DELETE FROM sent; DELETE FROM owner; DELETE FROM run; DELETE FROM mark;")
            self.catch_up()
        except BaseException:
            self.db.close()
            raise

    @staticmethod
    def _open(path: Path) -> tuple[sqlite3.Connection, tuple[int, str] | None]:
        """:func:`_open_index` at ``path``, made anew if it is not a database any more."""
        try:
            return _open_index(path)
        except sqlite3.DatabaseError:  # not a database any more (written with synchronous off, then a crash)
            if not path.is_file():  # a folder in its place, say: not ours to remove
                raise
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
            return _open_index(path)

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """A file or SQLite failure of the index as one :class:`JournalError` naming it."""
        try:
            yield
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot use the journal's index {self.path}: {exc} (it is derived from the "
                               "journal: removing it makes it anew)") from exc

    def catch_up(self, appended: list[Entry] | None = None) -> None:
        """Learn the entries appended since the last look (by this server or another process);
        ``appended``, entries this server just wrote, are taken as they are when nothing came before or
        between them (a group that fell back to one append per request may have let another writer in)."""
        with self._failing():
            if appended and [e.prev for e in appended] == [self.hash, *(e.hash for e in appended[:-1])]:
                self._learn(appended)
                return
            batch = []  # in batches: a long journal read whole would be held in memory whole (2.9 GB at 100k)
            for entry in self.journal.entries(self.offset):
                batch.append(entry)
                if len(batch) == BATCH:
                    self._learn(batch)
                    batch = []
            if batch:
                self._learn(batch)

    def _learn(self, entries: list[Entry]) -> None:
        """Take ``entries``, the next after the mark, into the index in one transaction."""
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR IGNORE INTO sent VALUES (?, ?)",
                            [(submitter(e.event), e.event["id"]) for e in entries])
        runs = [e.event for e in entries if "run" in e.event]
        self.db.executemany("INSERT OR IGNORE INTO owner VALUES (?, ?)",
                            [(e["run"]["id"], submitter(e)) for e in runs if IMPLIED not in e.get("annotations", {})])
        self.db.executemany(
            "INSERT INTO run VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET started = MAX(started, "
            "excluded.started), start = COALESCE(start, excluded.start), status = CASE WHEN \"end\" IS NULL THEN "
            "excluded.status ELSE status END, \"end\" = COALESCE(\"end\", excluded.\"end\")",
            [(e["run"]["id"], e["type"] == "run.start", *after(None, e)) for e in runs])
        self.db.execute("DELETE FROM mark")
        self.db.execute("INSERT INTO mark VALUES (?, ?)", (entries[-1].end_offset, entries[-1].hash))
        self.db.execute("COMMIT")
        self.offset, self.hash = entries[-1].end_offset, entries[-1].hash

    def sent(self, agent: str, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` ``agent`` has sent before."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.execute(
                f"SELECT id FROM sent WHERE submitter = ? AND id IN ({marks})", [agent, *chunk]))
        return found

    def recorded(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` any submitter has sent before."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found.update(row[0] for row in self.db.execute(
                f"SELECT id FROM sent WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def owner(self, run_id: str) -> str | None:
        """The agent whose event first named run ``run_id``."""
        row = self.db.execute("SELECT agent FROM owner WHERE run = ?", (run_id,)).fetchone()
        return str(row[0]) if row else None

    def started(self, run_id: str) -> bool:
        """Whether a ``run.start`` of ``run_id`` is in the journal."""
        row = self.db.execute("SELECT started FROM run WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def known(self, run_id: str) -> bool:
        """Whether an event of ``run_id`` is in the journal."""
        return self.db.execute("SELECT 1 FROM run WHERE id = ?", (run_id,)).fetchone() is not None

    def clock(self, run_id: str) -> Clock | None:
        """What the journal states of the run's start and end (:mod:`provgraph.runclock`)."""
        row = self.db.execute('SELECT start, "end", status FROM run WHERE id = ?', (run_id,)).fetchone()
        return Clock(*row) if row else None

    def close(self) -> None:
        self.db.close()


def _read_only(path: Path) -> bool:
    """Whether the index at ``path`` cannot be written where it is (the folder, or the file, is read-only)."""
    folder = next((p for p in (path.parent, *path.parents) if p.exists()), path.parent)
    return not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def _open_index(path: Path | str) -> tuple[sqlite3.Connection, tuple[int, str] | None]:
    """The index database at ``path`` in this layout (the tables of another one are dropped) and its mark."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:  # new, or of another layout
            db.executescript("DROP TABLE IF EXISTS sent; DROP TABLE IF EXISTS owner; DROP TABLE IF EXISTS run; "
                             f"DROP TABLE IF EXISTS mark; PRAGMA user_version = {INDEX_VERSION};")
        db.executescript("""
            PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;  -- rebuilt from the journal after a crash
            CREATE TABLE IF NOT EXISTS run (id TEXT PRIMARY KEY, started INTEGER NOT NULL, start TEXT, "end" TEXT,
                status TEXT) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS sent (submitter TEXT, id TEXT, PRIMARY KEY (submitter, id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS sent_id ON sent (id);
            CREATE TABLE IF NOT EXISTS owner (run TEXT PRIMARY KEY, agent TEXT) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS mark (offset INTEGER, hash TEXT);""")
        return db, db.execute("SELECT offset, hash FROM mark").fetchone()
    except BaseException:
        db.close()
        raise
