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
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import Forbidden, ProvgraphError, StoreError
from ..forwarding import is_server_url
from ..journal import SUBMITTED_BY, submitter
from ..project import Project
from ..redaction import redact
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


def stamp(event: ev.Event, who: Principal, when: str) -> ev.Event:
    """A copy of ``event`` saying that ``who`` submitted it at ``when``."""
    stamped = dict(event)
    agents = list(event.get("agents", ()))
    if who is not LOCAL and all(agent.get("id") != who.agent for agent in agents):
        agents.append({"id": who.agent, "kind": who.kind, "name": who.name or who.agent, "role": SUBMITTER_ROLE})
    if agents:
        stamped["agents"] = agents
    stamped["annotations"] = {**event.get("annotations", {}), SUBMITTED_BY: who.agent, SUBMITTED_AT: when}
    claimed = [agent["id"] for agent in event.get("agents", ()) if agent.get("id") != who.agent]
    if claimed and who is not LOCAL:
        stamped["annotations"][CLAIMED_AGENTS] = ",".join(claimed)
    return stamped



class Backend:
    """The project and store behind a running server (thread-safe)."""

    def __init__(self, project_dir: str | Path, store_uri: str | None = None) -> None:
        found = Project.find(project_dir, create=True)
        self.project = Project(found.root, store_uri) if store_uri else found
        if is_server_url(self.project.store_uri):
            raise ProvgraphError(
                f"the server cannot use another provgraph server ({self.project.store_uri}) as its store; "
                "pass --store with a local or sparql+http(s):// store"
            )
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str]] = set()  # (submitter, event id)
        self._owners: dict[str, str] = {}  # run id -> the agent that started it
        self._scanned = 0
        self._store_problem = ""
        self.project.sync()
        self._scan_ids()

    @property
    def store(self) -> Store:
        """The store (caught up with the journal when possible)."""
        with self._lock:
            try:
                store = self.project.store
            except StoreError as exc:
                self._store_problem = str(exc)
                raise
            self._store_problem = ""
            return store

    def _scan_ids(self) -> None:
        """Learn the ids of events appended since the last scan (by us or another process)."""
        for entry in self.project.journal.entries(self._scanned):
            agent = submitter(entry.event)
            self._seen.add((agent, entry.event["id"]))
            if "run" in entry.event:
                self._owners.setdefault(entry.event["run"]["id"], agent)
            self._scanned = entry.end_offset

    def _check_owner(self, event: ev.Event, who: Principal, batch_owners: dict[str, str]) -> None:
        run_id = event.get("run", {}).get("id")
        if run_id is None:
            return
        owner = self._owners.get(run_id) or batch_owners.setdefault(run_id, who.agent)
        if owner != who.agent and who.role != "admin":
            raise Forbidden(f"run {run_id!r} belongs to agent {owner!r}, who started it; agent {who.agent!r} "
                            f"may not record events for it (event {event['id']!r}); nothing was recorded")

    def record(self, events: list[ev.Event], who: Principal) -> Receipt:
        """Stamp, dedupe and append ``events`` to the journal in one go, then update the store."""
        with self._lock:
            when = ev.now()  # taken under the lock, so stamps follow journal order
            self._scan_ids()
            fresh: list[ev.Event] = []
            duplicates: list[str] = []
            batch_ids: set[str] = set()
            batch_owners: dict[str, str] = {}
            for event in events:
                self._check_owner(event, who, batch_owners)
            for event in events:
                if (who.agent, event["id"]) in self._seen or event["id"] in batch_ids:
                    duplicates.append(event["id"])
                else:
                    batch_ids.add(event["id"])
                    fresh.append(stamp(event, who, when))
            entries = self.project.journal.append_many(fresh)
            self._scan_ids()
            stored, problem = True, ""
            try:
                self.project.sync()
                self._store_problem = ""
            except StoreError as exc:
                stored, problem = False, str(exc)
                self._store_problem = problem
        head = entries[-1].hash if entries else None
        return Receipt([e["id"] for e in fresh], duplicates, head, stored, problem)

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
            self.project.close()
