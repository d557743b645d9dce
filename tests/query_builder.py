"""Hand-written pipelines for the query tests, recorded as real events through the real mapping.

Every run becomes a validated ``run.start`` and ``run.end`` event mapped by
:func:`provgraph.mapping.event_to_quads` into the store under test. Artifacts carry the sha256 of
their (made-up) content, computed here with hashlib.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from provgraph import events as ev
from provgraph.mapping import event_to_quads
from provgraph.store import Store

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def art(location: str, kind: str = "dataset", content: str | None = None, **extra: Any) -> dict[str, Any]:
    """An artifact at ``location`` whose bytes are ``content`` (default: the location itself)."""
    return {"location": location, "kind": kind, "sha256": sha(content or location), **extra}


def stamp(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


class Pipeline:
    """Records runs into ``store``; each run starts one minute after the previous one ended."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = 0.0
        self.events: list[dict[str, Any]] = []

    def record(self, event: dict[str, Any]) -> None:
        ev.validate(event)
        self.events.append(event)
        self.store.add(event_to_quads(event))

    def run(self, run_id: str, step: str, kind: str = "other", *, used: list[dict[str, Any]] = (),  # type: ignore[assignment]
            generated: list[dict[str, Any]] = (), minutes: float = 1.0, start: float | None = None,  # type: ignore[assignment]
            status: str = "completed", **fields: Any) -> str:
        """Record one run (start and end events); returns its id."""
        begin = self.clock + 1 if start is None else start
        end = begin + minutes
        self.clock = max(self.clock, end)
        run = {"id": run_id, "step": step, "kind": kind}
        if "parent" in fields:
            run["parent"] = fields.pop("parent")
        agents = fields.pop("agents", [{"id": "alice", "kind": "person", "name": "Alice"}])
        labels = fields.pop("labels", [])
        self.record(ev.new_event("run.start", time=stamp(begin), run=run, agents=agents, labels=labels,
                                 params=fields.get("params", {})))
        end_run = {**run, "status": status}
        if status == "failed":
            end_run["error"] = {"type": "RuntimeError", "message": "boom"}
        self.record(ev.new_event("run.end", time=stamp(end), run=end_run, agents=agents, labels=labels,
                                 used=list(used), generated=list(generated), **fields))
        return run_id
