"""The journal: an append-only, fsync'd, hash-chained log of events; the source of truth.

One JSON object a line: ``{"seq": n, "prev": h(n-1), "hash": h(n), "event": {...}}`` where
``h(n) = sha256(h(n-1) + "\\n" + canonical JSON of the event)``. Appends from several processes are
serialised with an exclusive ``flock``; an append returns only after the bytes reached the disk, so an
acknowledged event is never lost.

After each append the journal's *head* (seq, hash and byte offset of the last entry, signed with an
Ed25519 key when one is configured) is written next to it (``journal.head``), in the manner of a
Certificate Transparency signed tree head. A line torn by a crash lies beyond the head: it was never
acknowledged, the next append cuts it off and :meth:`Journal.verify` reports it. A journal that is
shorter than its head, or whose entry at the head differs, was truncated or rewritten: appends are
refused until it is repaired (see the README, "Repairing a journal"). :meth:`Journal.verify` checks the
chain against the head and against any other recorded heads (a store's watermark, a head file the user
kept from ``provgraph head``, an audit bundle), so deleting, truncating, forging or rewriting entries
is detected as long as one recorded head predates the change.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from . import events as ev
from .errors import InvalidEvent, JournalError

GENESIS = "0" * 64
KEY_ENV = "PROVGRAPH_SIGNING_KEY"  # an Ed25519 key (PEM): private signs heads, public only verifies
REPAIR = "see 'Repairing a journal' in the README"
SUBMITTED_BY = "provgraph.submitted_by"  # annotation a server stamps on each event it records
IMPLIED = "provgraph.implied"  # annotation of an event a server implied from what it was sent
LOCAL_AGENT = "local"  # who recorded an event without a server (or through one without tokens)


def chain_hash(prev: str, event: ev.Event) -> str:
    """The hash of an entry: its predecessor's hash and the canonical JSON of its event."""
    return hashlib.sha256(f"{prev}\n{ev.dumps(event)}".encode()).hexdigest()


def submitter(event: ev.Event) -> str:
    """The agent that submitted a journaled event; event ids are unique per submitter."""
    return str(event.get("annotations", {}).get(SUBMITTED_BY, LOCAL_AGENT))


@dataclass(frozen=True)
class Entry:
    """One journal line: its position, chain hashes, the event and where the next line starts."""

    seq: int
    prev: str
    hash: str
    event: ev.Event
    end_offset: int


@dataclass(frozen=True)
class Head:
    """The last entry a journal had at ``time``: ``seq`` and ``hash`` (``offset``: where its line ends;
    ``signature``: Ed25519 over ``"{seq}\n{hash}"``, base16)."""

    seq: int
    hash: str
    time: str = ""
    offset: int | None = None
    signature: str | None = None

    def message(self) -> bytes:
        return f"{self.seq}\n{self.hash}".encode()

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and v != ""}

    @classmethod
    def from_dict(cls, data: Any, source: str) -> Head:
        """A head from JSON (a ``provgraph head`` file, a watermark or an audit bundle's journal check)."""
        if isinstance(data, dict) and "seq" not in data and isinstance(data.get("entries"), int):
            data = {"seq": data["entries"] - 1, "hash": data.get("head")}  # a Verification (audit bundle)
        try:
            seq, digest = data["seq"], data["hash"]
            offset, signature = data.get("offset"), data.get("signature")
            if (not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(digest, str)
                    or len(digest) != 64 or not (offset is None or isinstance(offset, int))
                    or not (signature is None or isinstance(signature, str))):
                raise TypeError("seq must be a number and hash 64 hex digits")
        except (KeyError, TypeError, AttributeError) as exc:
            raise JournalError(f"{source} is not a journal head: {exc}") from exc
        return cls(seq, digest, str(data.get("time", "")), offset, signature)


@dataclass(frozen=True)
class Verification:
    """Outcome of :meth:`Journal.verify`; ``checked`` names the recorded heads the journal matched and
    ``unapplied`` lists entries a store could not apply (filled in by the project)."""

    ok: bool
    entries: int
    head: str
    broken_seq: int | None = None
    broken_line: int | None = None
    problem: str = ""
    torn_tail: bool = False
    checked: tuple[str, ...] = ()
    unapplied: tuple[dict[str, Any], ...] = field(default=())

    def summary(self) -> str:
        if not self.ok:
            where = f" at entry {self.broken_seq} (line {self.broken_line})" if self.broken_line else ""
            return f"journal BROKEN{where}: {self.problem}"
        tail = " (an unacknowledged torn last line is ignored)" if self.torn_tail else ""
        against = f"; matches {', '.join(self.checked)}" if self.checked else ""
        text = f"journal OK: {self.entries} entries, head {self.head}{tail}{against}"
        for skipped in self.unapplied:
            text += (f"\nwarning: entry {skipped['seq']} (event {skipped['id']}) could not be applied to the store "
                     f"and was skipped: {skipped['problem']}")
        return text

    def as_dict(self) -> dict[str, object]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["checked"], data["unapplied"] = list(self.checked), list(self.unapplied)
        return data


class Signer:
    """An Ed25519 key from a PEM file: signs heads with a private key, verifies with either kind."""

    def __init__(self, path: str | Path) -> None:
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ed25519
        except ImportError as exc:
            raise JournalError("signed journal heads need the cryptography package: "
                               "pip install 'provgraph[sign]'") from exc
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise JournalError(f"cannot read the signing key {path}: {exc}") from exc
        self._private: Any = None
        try:
            if b"PRIVATE" in data:
                self._private = serialization.load_pem_private_key(data, password=None)
                self._public: Any = self._private.public_key()
            else:
                self._public = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise JournalError(f"{path} is not a PEM key: {exc}") from exc
        if not isinstance(self._public, ed25519.Ed25519PublicKey):
            raise JournalError(f"{path} is not an Ed25519 key")

    def sign(self, head: Head) -> Head:
        if self._private is None:
            return head
        return replace(head, signature=self._private.sign(head.message()).hex())

    def valid(self, head: Head) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(bytes.fromhex(head.signature or ""), head.message())
        except (InvalidSignature, ValueError):
            return False
        return True


class Journal:
    """The journal file at ``path`` (created on first append); ``key`` (default: ``$PROVGRAPH_SIGNING_KEY``)
    is an Ed25519 PEM key that signs (private) or checks (public) the journal's head."""

    def __init__(self, path: str | Path, key: str | Path | None = None) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_suffix(".lock")
        self.head_path = self.path.with_suffix(".head")
        chosen = key or os.environ.get(KEY_ENV)
        self.signer = Signer(chosen) if chosen else None
        # the file as this object's last append left it, and its last entry: (identity, (seq, hash))
        self._left: tuple[tuple[int, int, int, int], tuple[int, str]] | None = None
        self._holding = threading.RLock()  # held by the thread that holds the file lock, so it can nest
        self._held = False

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The journal locked against other processes' appends for the ``with`` block, in which this
        thread may append: what a check found (a run's start, an event's id) still holds at the append."""
        with self._locked():
            yield

    @contextmanager
    def _locked(self, reading: bool = False) -> Iterator[None]:
        """The journal locked against appends for the ``with`` block (a thread that holds it already goes
        on). A ``reading`` caller that cannot open the lock file for writing (a read-only file system,
        another user's project) takes a shared lock on it as it is, or none where there is no lock file: no
        process has appended there."""
        with self._holding:
            if self._held:
                yield
                return
            self._held = True
            try:
                with self._file_locked(reading):
                    yield
            finally:
                self._held = False

    @contextmanager
    def _file_locked(self, reading: bool) -> Iterator[None]:
        """The ``flock`` of :meth:`_locked`."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self._lock_path, "a")  # noqa: SIM115 - closed below, after the yield
        except OSError as exc:
            if not reading or exc.errno not in (errno.EROFS, errno.EACCES):
                raise JournalError(f"cannot lock the journal {self.path}: {exc}") from exc
            try:
                lock = open(self._lock_path)  # noqa: SIM115 - closed below, after the yield
            except FileNotFoundError:
                yield
                return
            except OSError as again:
                raise JournalError(f"cannot lock the journal {self.path}: {exc}; nor read it: {again}") from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_SH if reading else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def recorded_head(self) -> Head | None:
        """The head written by the last append (``None`` for a journal from before heads existed)."""
        try:
            record = read_record(self.head_path)
            return None if record is None else Head.from_dict(record, str(self.head_path))
        except (OSError, ValueError) as exc:
            raise JournalError(f"{self.head_path} is unreadable: {exc}") from exc

    def head(self) -> Head:
        """The current head (the last entry of the verified chain), signed when a private key is configured.

        Keep it (``provgraph head > FILE``) to check later that nothing was removed or rewritten since."""
        result = self.verify()
        if not result.ok:
            raise JournalError(f"no head for a damaged journal: {result.summary()}")
        head = Head(result.entries - 1, result.head, ev.now())
        return self.signer.sign(head) if self.signer else head

    def reset_head(self) -> Head:
        """Accept the journal as it now stands (after restoring it, or deciding to keep what is left):
        cut a torn last line and record the head of the verified chain. Returns the new head."""
        with self._locked():
            if self.path.exists():
                with open(self.path, "r+b") as handle:
                    self._tail(handle)  # cuts a torn last line
            size = self.path.stat().st_size if self.path.exists() else 0
            result = self._verify(None, size, ())
            if not result.ok:
                raise JournalError(f"cannot accept a journal whose chain is broken: {result.summary()}")
            head = Head(result.entries - 1, result.head, ev.now(), size)
            self._write_head(head)
        return head

    def _write_head(self, head: Head) -> None:
        if self.signer:
            head = self.signer.sign(head)
        append_record(self.head_path, head.as_dict())

    def _check_against_head(self, f: BinaryIO) -> None:
        """Refuse to append to a journal that lost or changed entries its head acknowledged."""
        recorded = self.recorded_head()
        if recorded is None or recorded.offset is None:
            return
        size = f.seek(0, os.SEEK_END)
        if size < recorded.offset:
            raise JournalError(
                f"the journal {self.path} is {size} bytes but entry {recorded.seq} was acknowledged ending at byte "
                f"{recorded.offset}: it was truncated (or its last line cut short); nothing appended; {REPAIR}")
        if self.hash_ending_at(recorded.offset) != recorded.hash:
            raise JournalError(f"entry {recorded.seq} of {self.path} is not the acknowledged one (history was "
                               f"rewritten); nothing appended; {REPAIR}")

    def _tail(self, f: BinaryIO) -> tuple[int, str]:
        """``(seq, hash)`` of the last complete entry; cuts off a torn (never acknowledged) last line."""
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return -1, GENESIS
        pos, data = _read_back(f, size, 2)
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

    def append_many(self, events: Iterable[ev.Event],
                    check: Callable[[Any], ev.Event] = ev.validate) -> list[Entry]:
        """Check every event first (``check`` raises :class:`InvalidEvent`; by default it validates),
        then append them all under one lock and one fsync.

        If any event is invalid nothing is written.
        """
        batch = [check(e) for e in events]
        entries: list[Entry] = []
        if not batch:
            return entries
        try:
            with self._locked(), open(self.path, "a+b", buffering=0) as handle:  # unbuffered: see _write_all
                if self._left is not None and self._left[0] == _identity(handle):
                    seq, prev = self._left[1]  # untouched since this object's last append: nothing to re-check
                else:
                    self._check_against_head(handle)
                    seq, prev = self._tail(handle)
                start = offset = handle.seek(0, os.SEEK_END)
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
                try:  # (nothing is written if an event is not encodable)
                    _write_all(handle, b"".join(lines))
                    os.fsync(handle.fileno())
                    self._write_head(Head(seq, prev, ev.now(), offset))
                except OSError:  # the disk is full, say: the journal stays as it was, not half appended
                    handle.truncate(start)
                    os.fsync(handle.fileno())
                    raise
                self._left = (_identity(handle), (seq, prev))
        except UnicodeEncodeError as exc:
            raise InvalidEvent("a string holds a lone surrogate; text must be valid Unicode") from exc
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
                    except (ValueError, KeyError, TypeError, RecursionError) as exc:
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
                _, block = _read_back(handle, offset - 1, 1)
                line = block[block.rfind(b"\n") + 1 :]
            return str(json.loads(line)["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def verify(self, anchors: Sequence[tuple[str, Head]] = ()) -> Verification:
        """Re-check the whole chain and every event, then the journal against its own head and each of
        ``anchors`` (``(source, head)`` pairs): each recorded entry must still be there, unchanged."""
        with self._locked(reading=True):  # a consistent snapshot: the head and the bytes it covers
            recorded = self.recorded_head()
            size = self.path.stat().st_size if self.path.exists() else 0
        result = self._verify(recorded, size, anchors)
        if result.ok and self.signer and result.entries and recorded is None:
            return replace(result, ok=False, problem=f"a signing key is configured but the journal has no signed "
                                                     f"head; {REPAIR}")
        return result

    def _verify(self, recorded: Head | None, size: int, anchors: Sequence[tuple[str, Head]]) -> Verification:
        heads = ([("the journal head", recorded)] if recorded else []) + list(anchors)
        wanted = {head.seq for _, head in heads}
        prev, count, torn, hashes, offset = GENESIS, 0, False, {}, 0
        if size:
            with open(self.path, "rb") as handle:
                for line_no, raw in enumerate(handle, start=1):
                    offset += len(raw)
                    if offset > size:
                        break
                    if not raw.endswith(b"\n"):
                        torn = True
                        break
                    problem = self._check_line(raw, count, prev)
                    if problem:
                        return Verification(False, count, prev, count, line_no, problem)
                    prev = json.loads(raw)["hash"]
                    if count in wanted:
                        hashes[count] = prev
                    count += 1
        checked = []
        for source, head in heads:
            problem = self._head_problem(source, head, count, hashes, torn)
            if problem:
                return Verification(False, count, prev, problem=problem, torn_tail=torn)
            checked.append(source)
        if recorded and count - 1 > recorded.seq:
            return Verification(False, count, prev, problem=(
                f"entries {recorded.seq + 1} to {count - 1} are not covered by the journal head: they were appended "
                f"outside provgraph, or an append crashed before it was acknowledged; {REPAIR}"), torn_tail=torn)
        return Verification(True, count, prev, torn_tail=torn, checked=tuple(checked))

    def _head_problem(self, source: str, head: Head, count: int, hashes: dict[int, str], torn: bool) -> str:
        if head.seq >= count:
            if torn and head.seq == count:
                return (f"entry {head.seq} was acknowledged ({source}) but its line is cut short: "
                        f"the journal was truncated; {REPAIR}")
            end = f"at entry {count - 1}" if count else "before any entry"
            return f"{source} records entry {head.seq}, but the journal ends {end}: entries were deleted or " \
                   f"the journal truncated; {REPAIR}"
        if head.seq >= 0 and hashes.get(head.seq) != head.hash:
            return f"entry {head.seq} differs from the one {source} recorded: the history was rewritten; {REPAIR}"
        if self.signer and (head.signature or source == "the journal head") and not self.signer.valid(head):
            return f"the signature of {source} does not verify with the configured key"
        return ""

    @staticmethod
    def _check_line(raw: bytes, expected_seq: int, prev: str) -> str:
        try:
            record = json.loads(raw)
            seq, event = record["seq"], record["event"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            return f"not a journal entry ({type(exc).__name__}: {exc})"
        if seq != expected_seq:
            return f"sequence number {seq}, expected {expected_seq} (an entry was removed or inserted)"
        if record.get("prev") != prev:
            return "its 'prev' does not match the hash of the entry before it"
        try:
            digest = chain_hash(prev, event)
        except (UnicodeEncodeError, TypeError, ValueError) as exc:
            return f"the event cannot be hashed ({exc})"
        if record.get("hash") != digest:
            return "its hash does not match its content (the event was modified)"
        try:
            ev.validate(event, recorded=True)
        except InvalidEvent as exc:
            return f"the event is invalid: {exc}"
        return ""


def _write_all(handle: BinaryIO, data: bytes) -> None:
    """Write ``data`` to the unbuffered ``handle``, which may take it in parts; no byte is left in a buffer
    that a later flush (closing, truncating) would write after a failure."""
    view = memoryview(data)
    while view:
        view = view[handle.write(view) or 0:]


def _identity(handle: BinaryIO) -> tuple[int, int, int, int]:
    """What changes when anyone writes the file: inode, size, modification and change time (a rewrite of
    the same size that puts the modification time back, ``os.utime``, still moves the change time)."""
    status = os.fstat(handle.fileno())
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _read_back(handle: BinaryIO, end: int, newlines: int, block: int = 65536) -> tuple[int, bytes]:
    """The bytes of ``handle`` before ``end``, read back a block at a time until they hold ``newlines``
    newlines or reach the start: ``(where they start, the bytes)``; enough to hold the last lines."""
    start, data = end, b""
    while start > 0 and data.count(b"\n") < newlines:
        step = min(block, start)
        start -= step
        handle.seek(start)
        data = handle.read(step) + data
    return start, data


def replace_json(path: Path, data: dict[str, Any], indent: int | None = None) -> None:
    """Write ``data`` as JSON to ``path`` in one step (a temporary file renamed over it), so a reader
    sees the old content or the new, never half of it: configs and what a store is. The temporary
    file is this writer's own, so processes writing the same file at once each land whole."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=indent) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the file ``lock`` (made if missing) for the ``with`` block: one
    process at a time reads and rewrites what it guards."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


#: A record file is rewritten to its last line once it grows past this many bytes.
RECORD_BYTES = 65536


def append_record(path: Path, data: dict[str, Any]) -> None:
    """Save ``data`` as the new state of a record that changes often (the journal's head, a watermark):
    one JSON line appended to ``path``, whose last complete line is the record (see :func:`read_record`).
    An append costs microseconds where a rename costs milliseconds; a line torn by a crash is ignored
    and leaves the previous state, which is always safe for a head or a watermark (it lags)."""
    line = (json.dumps(data) + "\n").encode()
    with open(path, "a+b") as handle:
        end = handle.seek(0, os.SEEK_END)
        if end + len(line) > RECORD_BYTES:
            replace_json(path, data)
            return
        if end:  # a line left without its newline (torn, or written whole by another writer) stays its own
            handle.seek(end - 1)
            if handle.read(1) != b"\n":
                line = b"\n" + line
        handle.write(line)


def read_record(path: Path) -> dict[str, Any] | None:
    """The record saved by :func:`append_record` (or :func:`replace_json`): the last complete line of
    ``path``; ``None`` when there is none. :class:`ValueError` when that line is not a JSON object."""
    try:
        with open(path, "rb") as handle:
            _, tail = _read_back(handle, handle.seek(0, os.SEEK_END), 2, block=8192)
    except FileNotFoundError:
        return None
    lines = tail.split(b"\n")
    if len(lines) == 1:  # one record without a newline: written whole by another writer, or a torn first line
        try:
            loaded = json.loads(lines[0])
        except ValueError:
            return None
    else:  # what follows the last newline is torn
        if not lines[-2].strip():
            return None
        loaded = json.loads(lines[-2])
    if not isinstance(loaded, dict):
        raise ValueError("not a JSON object")
    return loaded
