"""What the server serves: a project (its journal, the source of truth) and the store it feeds.

Writes go journal first, then store, under one lock. Each event id is recorded once: a client that
resends an event (a retry after a lost answer, a spool replayed twice) gets it counted as a duplicate,
not stored again, which is what makes forwarding from a capture client exactly-once. Every accepted
event is stamped with who sent it and when: the caller's agent joins the event's agents with the role
``submitter``, and the annotations ``provgraph.submitted_by`` / ``provgraph.submitted_at`` say who and
when, so "who did what, when" covers writes to provgraph itself (query ``who`` or the run's agents).
Without tokens (loopback only) the caller is unknown: only the annotations are added, naming ``local``.

Writers cannot act for each other: a run belongs to the agent whose token first sent an event of it, and
another writer's event for that run (say a ``run.end`` marking it failed) is refused with 403 (admins
may); event ids are scoped to their submitter, so writer B cannot take an id first and have writer A's
event dropped as a duplicate; agents an event names besides the token's own are kept, but recorded as
*claimed* (annotation ``provgraph.claimed_agents``) next to the submitter, who is the one authenticated.

An endpoint may pass a rule that completes a request's events from what was recorded before (the
OpenLineage endpoint's :func:`~provgraph.importers.openlineage.implied`): it sees the journal (through the
index) and the earlier requests of the same group commit. The events it implies are stamped with the
submitter and ``provgraph.implied``, but name no submitter agent, are not checked for run ownership and
make nobody a run's owner: a parent run implied by writer A's child stays free for its own writer's START.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import Forbidden, ProvgraphError, StoreError
from ..forwarding import is_server_url
from ..journal import IMPLIED, SUBMITTED_BY, Entry
from ..journal_index import JournalIndex
from ..project import Project
from ..redaction import redact
from ..runclock import Clock, check_all
from ..store import Store
from .config import LOCAL, Principal

SUBMITTER_ROLE = "submitter"
SUBMITTED_AT = "provgraph.submitted_at"
CLAIMED_AGENTS = "provgraph.claimed_agents"


@dataclass(frozen=True)
class Receipt:
    """What one ingest did: events recorded, duplicates skipped, the journal head, store state."""

    recorded: list[str]
    duplicates: list[str]
    journal_head: str | None
    stored: bool
    store_problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "recorded": len(self.recorded), "duplicates": len(self.duplicates),
            "ids": self.recorded, "duplicate_ids": self.duplicates,
            "journal_head": self.journal_head, "stored": self.stored,
        }
        if self.store_problem:
            body["store_problem"] = self.store_problem
        return body


def stamp(event: ev.Event, who: Principal, when: str, implied: bool = False) -> ev.Event:
    """A copy of ``event`` saying that ``who`` submitted it at ``when`` (or that the server ``implied`` it
    from what ``who`` submitted)."""
    stamped = dict(event)
    agents = list(event.get("agents", ()))
    if who is not LOCAL and not implied and all(agent.get("id") != who.agent for agent in agents):
        agents.append({"id": who.agent, "kind": who.kind, "name": who.name or who.agent, "role": SUBMITTER_ROLE})
    if agents:
        stamped["agents"] = agents
    given = {key: value for key, value in event.get("annotations", {}).items() if key != IMPLIED}
    stamped["annotations"] = {**given, SUBMITTED_BY: who.agent, SUBMITTED_AT: when}
    if implied:
        stamped["annotations"][IMPLIED] = True
    claimed = [agent["id"] for agent in event.get("agents", ()) if agent.get("id") != who.agent]
    if claimed and who is not LOCAL:
        stamped["annotations"][CLAIMED_AGENTS] = ",".join(claimed)
    return stamped



@dataclass
class _Runs:
    """What the index and the earlier requests of one group commit say of runs (for an implication rule)."""

    index: JournalIndex
    named: dict[str, bool] = field(default_factory=dict)  # run -> started, named earlier in the group
    clocks: dict[str, Clock] = field(default_factory=dict)  # run -> its clock after the group's earlier events

    def started(self, run_id: str) -> bool:
        return self.named.get(run_id, False) or self.index.started(run_id)

    def known(self, run_id: str) -> bool:
        return run_id in self.named or self.index.known(run_id)

    def clock(self, run_id: str) -> Clock | None:
        return self.clocks.get(run_id) or self.index.clock(run_id)

    def check(self, events: list[ev.Event]) -> list[ev.Event]:
        """``events`` as :func:`provgraph.runclock.check_all` leaves them; refused if they contradict their
        runs' times."""
        checked, clocks = check_all(events, self.clock)
        self.clocks.update(clocks)
        return checked

    def add(self, events: list[ev.Event]) -> None:
        for event in events:
            if "run" in event:
                run_id = event["run"]["id"]
                self.named[run_id] = self.named.get(run_id, False) or event["type"] == "run.start"


#: A rule completing a request's events from what was recorded before: (the events to record, the events
#: they imply), see :func:`provgraph.importers.openlineage.implied`
Imply = Callable[[list[ev.Event], _Runs], tuple[list[ev.Event], list[ev.Event]]]


@dataclass
class _Request:
    """One caller's events waiting for the next group commit, and what became of them."""

    events: list[ev.Event]
    who: Principal
    imply: Imply | None = None
    receipt: Receipt | None = None
    error: BaseException | None = None


class Backend:
    """The project and store behind a running server (thread-safe).

    Concurrent writes are committed as a group: callers queue their events, and whichever thread takes
    the write lock appends everything queued in one journal write (one fsync) and one store update, then
    answers every caller; each caller's events are checked (duplicates, run ownership) on their own.
    """

    def __init__(self, project_dir: str | Path, store_uri: str | None = None) -> None:
        found = Project.find(project_dir, create=True)
        self.project = Project(found.root, store_uri) if store_uri else found
        if is_server_url(self.project.store_uri):
            raise ProvgraphError(
                f"the server cannot use another provgraph server ({self.project.store_uri}) as its store; "
                "pass --store with a local or sparql+http(s):// store"
            )
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self._store_problem = ""
        self.project.sync()
        self.index = self.project.journal_index

    @property
    def store(self) -> Store:
        """The store, caught up with the journal (so a reader sees every acknowledged event)."""
        with self._lock:
            try:
                store = self.project.synced_store()
            except StoreError as exc:
                self._store_problem = str(exc)
                raise
            self._store_problem = ""
            return store

    def record(self, events: list[ev.Event], who: Principal, imply: Imply | None = None) -> Receipt:
        """Stamp, dedupe and append ``events`` (completed by ``imply``, see the module docstring) to the
        journal, then update the store (grouped with whatever other callers are recording at the same moment)."""
        request = _Request(events, who, imply)
        with self._queue_lock:
            self._queue.append(request)
        with self._lock:
            if request.receipt is None and request.error is None:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        if request.error is not None:
            raise request.error
        assert request.receipt is not None
        return request.receipt

    def _commit(self, group: list[_Request]) -> None:
        try:
            with self.project.journal.locked():  # no other process (an ingest) appends between checks and append
                admitted, written = self._check_and_append(group)
        except ProvgraphError as exc:  # the journal cannot be locked (a read-only project) or read
            for request in group:
                request.error = request.error or exc
            return
        stored, problem = True, ""
        try:
            self.project.sync()
            self._store_problem = ""
        except StoreError as exc:
            stored, problem = False, str(exc)
            self._store_problem = problem
        self.index.catch_up([entry for entries in written for entry in entries])
        for (request, fresh, duplicates), entries in zip(admitted, written, strict=True):
            if request.error is None:
                head = entries[-1].hash if entries else None
                request.receipt = Receipt([e["id"] for e in fresh], duplicates, head, stored, problem)

    def _check_and_append(self, group: list[_Request]) -> tuple[list[tuple[_Request, list[ev.Event], list[str]]],
                                                                list[list[Entry]]]:
        """Each request's events checked against the journal (as its index holds it) and the group's earlier
        requests, and appended; a request refused gets its error. Returns what was admitted and its entries."""
        when = ev.now()  # taken under the lock, so stamps follow journal order
        self.index.catch_up()
        owners: dict[str, str] = {}  # runs first named in this group
        taken: dict[str, set[str]] = {}  # event ids each submitter sent earlier in this group
        runs = _Runs(self.index)  # runs named earlier in this group
        admitted: list[tuple[_Request, list[ev.Event], list[str]]] = []
        for request in group:
            try:
                admitted.append((request, *self._admit(request, when, owners, taken, runs)))
            except ProvgraphError as exc:
                request.error = exc
        return admitted, self._append(admitted)

    def _admit(self, request: _Request, when: str, owners: dict[str, str],
               taken: dict[str, set[str]], runs: _Runs) -> tuple[list[ev.Event], list[str]]:
        """The events of ``request`` to append (stamped, with those they imply first) and the ids its
        submitter sent before (in the journal, or earlier in this group); :class:`Forbidden` when it
        records for another agent's run."""
        who = request.who
        events, implied = request.imply(request.events, runs) if request.imply else (request.events, [])
        claims: dict[str, str] = {}
        for event in events:
            run_id = event.get("run", {}).get("id")
            if run_id is None:
                continue
            owner = self.index.owner(run_id) or owners.get(run_id) or claims.setdefault(run_id, who.agent)
            if owner != who.agent and who.role != "admin":
                raise Forbidden(f"run {run_id!r} belongs to agent {owner!r}, who started it; agent "
                                f"{who.agent!r} may not record events for it (event {event['id']!r}); "
                                "nothing was recorded")
        earlier = taken.setdefault(who.agent, set())
        implied_ids = {event["id"] for event in implied}
        seen = self.index.sent(who.agent, (event["id"] for event in implied + events)) | earlier
        fresh: list[ev.Event] = []
        duplicates: list[str] = []
        for event in implied + events:
            if event["id"] in seen:
                duplicates.append(event["id"])
            else:
                seen.add(event["id"])
                fresh.append(stamp(self.project.scoped(event), who, when, implied=event["id"] in implied_ids))
        fresh = runs.check(fresh)
        for run_id, agent in claims.items():
            owners.setdefault(run_id, agent)
        earlier.update(event["id"] for event in fresh)
        runs.add(fresh)
        return fresh, duplicates

    def _append(self, admitted: list[tuple[_Request, list[ev.Event], list[str]]]) -> list[list[Entry]]:
        """Append every request's events in one journal write (one fsync); if that fails, each request's
        alone, so an unwritable event fails its own caller only. Returns each request's entries."""
        try:
            entries = self.project.record_many([event for _, fresh, _ in admitted for event in fresh])
        except ProvgraphError as exc:
            if len(admitted) == 1:
                admitted[0][0].error = exc
                return [[]]
        else:
            split, position = [], 0
            for _, fresh, _ in admitted:
                split.append(entries[position:position + len(fresh)])
                position += len(fresh)
            return split
        written: list[list[Entry]] = []
        for request, fresh, _ in admitted:
            try:
                written.append(self.project.record_many(fresh))
            except ProvgraphError as exc:
                request.error = exc
                written.append([])
        return written

    def rebuild(self) -> int:
        """Replay the whole journal into an emptied store."""
        with self._lock:
            return self.project.rebuild()

    def health(self) -> dict[str, Any]:
        """Whether the last store operation worked (answers at once, even during a long write)."""
        problem = redact(self._store_problem)
        return {"status": "degraded" if problem else "ok", "store": redact(self.project.store_uri),
                "store_problem": problem or None}

    def close(self) -> None:
        with self._lock:
            self.project.close()  # and the journal's index
