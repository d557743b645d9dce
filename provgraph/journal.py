"""The journal: an append-only, fsync'd, hash-chained log of events; the source of truth.

One JSON object a line: ``{"seq": n, "prev": h(n-1), "hash": h(n), "event": {...}}`` where
``h(n) = sha256(h(n-1) + "\\n" + canonical JSON of the event)``. Appends from several processes are
serialised with an exclusive ``flock``; an append returns only after the bytes reached the disk, so an
acknowledged event is never lost. A line torn by a crash was never acknowledged: the next append cuts
it off, and :meth:`Journal.verify` reports it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import events as ev
from .errors import InvalidEvent, JournalError

GENESIS = "0" * 64


def chain_hash(prev: str, event: ev.Event) -> str:
    """The hash of an entry: its predecessor's hash and the canonical JSON of its event."""
    return hashlib.sha256(f"{prev}\n{ev.dumps(event)}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One journal line: its position, chain hashes, the event and where the next line starts."""

    seq: int
    prev: str
    hash: str
    event: ev.Event
    end_offset: int


@dataclass(frozen=True)
class Verification:
    """Outcome of :meth:`Journal.verify`."""

    ok: bool
    entries: int
    head: str
    broken_seq: int | None = None
    broken_line: int | None = None
    problem: str = ""
    torn_tail: bool = False

    def summary(self) -> str:
        if self.ok:
            tail = " (an unacknowledged torn last line is ignored)" if self.torn_tail else ""
            return f"journal OK: {self.entries} entries, head {self.head}{tail}"
        return f"journal BROKEN at entry {self.broken_seq} (line {self.broken_line}): {self.problem}"

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Journal:
    """The journal file at ``path`` (created on first append)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_suffix(".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _tail(self, f: BinaryIO) -> tuple[int, str]:
        """``(seq, hash)`` of the last complete entry; cuts off a torn last line."""
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return -1, GENESIS
        block, data, pos = 65536, b"", size
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
            if data.count(b"\n") >= 2 or (pos == 0 and b"\n" in data):
                break
        if not data.endswith(b"\n"):
            cut = data.rfind(b"\n")
            keep = pos + cut + 1 if cut >= 0 else 0
            f.truncate(keep)
            os.fsync(f.fileno())
            data = data[: cut + 1] if cut >= 0 else b""
            if not data:
                return (-1, GENESIS) if keep == 0 else self._tail(f)
        last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        try:
            record = json.loads(last)
            return int(record["seq"]), str(record["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalError(f"the last journal entry in {self.path} is unreadable: {exc}") from exc

    def append(self, event: ev.Event) -> Entry:
        """Validate and durably append one event; returns its entry once it is on disk."""
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[ev.Event]) -> list[Entry]:
        """Validate every event first, then append them all under one lock and one fsync.

        If any event is invalid nothing is written.
        """
        batch = [ev.validate(e) for e in events]
        entries: list[Entry] = []
        if not batch:
            return entries
        try:
            with self._locked(), open(self.path, "a+b") as handle:
                seq, prev = self._tail(handle)
                offset = handle.seek(0, os.SEEK_END)
                lines = []
                for event in batch:
                    seq += 1
                    digest = chain_hash(prev, event)
                    line = json.dumps({"seq": seq, "prev": prev, "hash": digest, "event": event},
                                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                    encoded = (line + "\n").encode()
                    offset += len(encoded)
                    lines.append(encoded)
                    entries.append(Entry(seq, prev, digest, event, offset))
                    prev = digest
                handle.write(b"".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise JournalError(f"cannot append to the journal {self.path}: {exc}") from exc
        return entries

    def entries(self, start_offset: int = 0) -> Iterator[Entry]:
        """Every complete entry from byte ``start_offset`` on (a torn last line is skipped)."""
        if not self.path.exists():
            return
        try:
            with open(self.path, "rb") as handle:
                handle.seek(start_offset)
                offset = start_offset
                for line_no, raw in enumerate(handle, start=1):
                    offset += len(raw)
                    if not raw.endswith(b"\n"):
                        return
                    try:
                        record = json.loads(raw)
                        yield Entry(record["seq"], record["prev"], record["hash"], record["event"], offset)
                    except (ValueError, KeyError, TypeError) as exc:
                        raise JournalError(f"journal line {line_no} is unreadable: {exc}") from exc
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc}") from exc

    def genesis(self) -> str | None:
        """The hash of the first entry: what names this journal (``None`` while it is empty)."""
        first = next(self.entries(), None)
        return first.hash if first else None

    def hash_ending_at(self, offset: int) -> str | None:
        """The hash of the entry whose line ends exactly at byte ``offset`` (``GENESIS`` for 0), if any."""
        if offset == 0:
            return GENESIS
        try:
            with open(self.path, "rb") as handle:
                if handle.seek(0, os.SEEK_END) < offset:
                    return None
                handle.seek(offset - 1)
                if handle.read(1) != b"\n":
                    return None
                start, block = offset - 1, b""
                while start > 0 and b"\n" not in block:
                    step = min(65536, start)
                    start -= step
                    handle.seek(start)
                    block = handle.read(step) + block
                line = block[block.rfind(b"\n") + 1 :]
            return str(json.loads(line)["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def verify(self) -> Verification:
        """Re-check the whole chain and every event; report the first broken entry."""
        prev, count = GENESIS, 0
        torn = False
        if not self.path.exists():
            return Verification(True, 0, GENESIS)
        with open(self.path, "rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    torn = True
                    break
                problem = self._check_line(raw, count, prev)
                if problem:
                    return Verification(False, count, prev, count, line_no, problem)
                prev = json.loads(raw)["hash"]
                count += 1
        return Verification(True, count, prev, torn_tail=torn)

    @staticmethod
    def _check_line(raw: bytes, expected_seq: int, prev: str) -> str:
        try:
            record = json.loads(raw)
            seq, event = record["seq"], record["event"]
        except (ValueError, KeyError, TypeError) as exc:
            return f"not a journal entry ({exc})"
        if seq != expected_seq:
            return f"sequence number {seq}, expected {expected_seq} (an entry was removed or inserted)"
        if record.get("prev") != prev:
            return "its 'prev' does not match the hash of the entry before it"
        if record.get("hash") != chain_hash(prev, event):
            return "its hash does not match its content (the event was modified)"
        try:
            ev.validate(event)
        except InvalidEvent as exc:
            return f"the event is invalid: {exc}"
        return ""
