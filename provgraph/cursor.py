"""A journal cursor: how far one consumer of the journal (a store, a provgraph server) has got, and the
loop that hands it what comes after.

Every consumer is a :class:`Sink` that takes a batch of entries; the cursor owns the rest, once: the
watermark (seq, hash and byte offset of the last entry the sink took, written after each batch), the
lock that keeps two processes from feeding one sink at once, and the check that the journal still holds
the entry the watermark names. A sink that takes a batch twice (a crash between the sink's write and the
watermark's) must not change anything the second time: stores add quads, which is idempotent, and the
server skips event ids it already has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .errors import JournalError
from .journal import GENESIS, Entry, Journal, append_record, exclusive, read_record

#: Entries between two progress reports of a streamed delivery.
PROGRESS_STEP = 2000
#: What a cursor that has taken nothing points at.
START: dict[str, Any] = {"seq": -1, "hash": GENESIS, "offset": 0}


class Sink(Protocol):
    """Where a cursor delivers journal entries."""

    #: Entries handed over at once; ``None``: every pending entry in one pass, streamed.
    batch: int | None
    #: Why the journal and the watermark disagree, and what to do (one line).
    diverged: str

    def take(self, entries: Iterable[Entry]) -> list[dict[str, Any]]:
        """Deliver ``entries``; return those that can never be delivered (``{"seq", "id", "problem"}``).

        Raising delivers nothing: the watermark stays before ``entries``."""


class StoreLike(Protocol):
    """A sink that can also write what its mapper made of entries at admission (see :meth:`Cursor.apply`)."""

    mapper: Any

    def write(self, quads: list[Any]) -> None:
        """Write quads the mapper produced; the mapper keeps them only if the write succeeds."""


class Cursor:
    """The position of one sink in ``journal``, kept in the file ``mark`` (or in memory when ``None``,
    for a sink that does not outlive the process)."""

    def __init__(self, journal: Journal, mark: Path | None) -> None:
        self.journal = journal
        self.path = mark
        self._memory: dict[str, Any] = dict(START)

    def mark(self) -> dict[str, Any]:
        """The watermark: ``seq``, ``hash``, ``offset`` of the last entry taken, and ``skipped`` entries."""
        if self.path is None:
            return dict(self._memory)
        try:
            loaded = read_record(self.path)
        except (OSError, ValueError) as exc:
            raise JournalError(f"the watermark {self.path} is unreadable: {exc}; delete it to replay "
                               "the whole journal into its store") from exc
        if loaded is None:
            return dict(START)
        if not {"hash", "offset"} <= loaded.keys():
            raise JournalError(f"the watermark {self.path} is not a watermark; delete it to replay the journal")
        return loaded

    def pending(self) -> int:
        """How many journal entries lie beyond the watermark."""
        return sum(1 for _ in self.journal.entries(int(self.mark()["offset"])))

    def reset(self) -> None:
        """Point at the journal's start (the sink was emptied)."""
        self._memory = dict(START)
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def feed(self, sink: Sink, progress: Callable[[int], object] | None = None) -> int:
        """Deliver every entry beyond the watermark to ``sink``, a batch at a time, moving the watermark
        after each; returns how many entries were delivered. ``progress`` gets each batch's size."""
        delivered = 0
        with self._locked():
            mark = self.mark()
            if self.journal.hash_ending_at(int(mark["offset"])) != mark["hash"]:
                raise JournalError(sink.diverged)
            skipped: list[dict[str, Any]] = list(mark.get("skipped", ()))
            if sink.batch is None:
                return self._stream(sink, skipped, progress, int(mark["offset"]))
            batch: list[Entry] = []
            for entry in self.journal.entries(int(mark["offset"])):
                batch.append(entry)
                if len(batch) >= sink.batch:
                    delivered += self._deliver(sink, batch, skipped, progress)
                    batch = []
            if batch:
                delivered += self._deliver(sink, batch, skipped, progress)
        return delivered

    def _stream(self, sink: Sink, skipped: list[dict[str, Any]], progress: Callable[[int], object] | None,
                offset: int) -> int:
        """Hand every entry after ``offset`` to ``sink`` as one stream; the watermark moves once, after."""
        taken: list[Entry] = []  # the last entry handed over
        count = 0

        def counted() -> Iterator[Entry]:
            nonlocal count
            for entry in self.journal.entries(offset):
                taken[:] = [entry]
                count += 1
                yield entry
                if progress and count % PROGRESS_STEP == 0:
                    progress(PROGRESS_STEP)

        skipped += sink.take(counted())
        if taken:
            self._move(taken[0], skipped)
            if progress and count % PROGRESS_STEP:
                progress(count % PROGRESS_STEP)
        return count

    def apply(self, sink: StoreLike, entries: list[Entry], quads: list[Any]) -> bool:
        """Write ``quads``, what ``sink``'s mapper made of ``entries`` as they were admitted, and move the
        watermark past them, if they directly follow it (nobody appended in between); else nothing
        happens, the mapper forgets them and ``False`` says that a :meth:`feed` is needed."""
        with self._locked():
            mark = self.mark()
            if not entries or mark["hash"] != entries[0].prev:
                sink.mapper.rollback()
                return False
            sink.write(quads)
            self._move(entries[-1], list(mark.get("skipped", ())))
        return True

    def _deliver(self, sink: Sink, batch: list[Entry], skipped: list[dict[str, Any]],
                 progress: Callable[[int], object] | None) -> int:
        skipped += sink.take(batch)
        self._move(batch[-1], skipped)
        if progress:
            progress(len(batch))
        return len(batch)

    def _move(self, last: Entry, skipped: list[dict[str, Any]]) -> None:
        mark: dict[str, Any] = {"seq": last.seq, "hash": last.hash, "offset": last.end_offset}
        if skipped:
            mark["skipped"] = skipped
        if self.path is None:
            self._memory = mark
        else:
            append_record(self.path, mark)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        with exclusive(self.path.with_suffix(".lock")):
            yield
