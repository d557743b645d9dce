"""What single OpenLineage events imply, given the others and what was recorded before.

:func:`implied` completes what single events cannot say, the one rule for files
(:mod:`.openlineage_files`) and the HTTP endpoint, which also knows what it recorded before:

- a run seen only ending (a COMPLETE, FAIL or ABORT without START, as some producers send) starts at its
  end event's time, as OpenLineage consumers assume (an implied ``run.start``); a run seen first running
  (a RUNNING before any START, as a streaming job sends) starts at that event's time;
- a parent run known only from its children's ParentRunFacet is a run of its job (kind ``pipeline``,
  step ``openlineage.parent.job``). From files, which hold the whole story, it starts at its first
  child's event; over HTTP it is an implied ``run.update`` (no start time), so its own START, whenever
  it comes, gives it its start time; the facet's ``root`` (the DAG run above the task that started a
  Spark job) is the parent's parent, and, known only so, a run of its job alike;
- a START of a run already started (its start implied, or an earlier START of other content) is a
  ``run.update`` carrying what it says, its time kept as ``openlineage.startEventTime``: a run has one
  start time. Likewise a COMPLETE, FAIL or ABORT of a run already ended at another time or in another
  state is a ``run.update`` (its time in ``openlineage.endEventTime``, its state in
  ``openlineage.endStatus``, a FAIL's message in ``openlineage.endError``), and an end dated before the
  recorded start (emitters whose clocks disagree) ends the run at its start, its own time in
  ``openlineage.endEventTime``: a run has one end, never before its start
  (:func:`provgraph.runclock.reconcile`).

Implied events have ids made of their run's id, so a second child of one parent, or a retry, implies
nothing new.
"""

from __future__ import annotations

from typing import Any, Protocol

from .. import events as ev
from ..runclock import Clock, reconcile
from . import naming

#: Run annotations naming a run's parent's job, and its root run and job (ParentRunFacet ``root``).
PARENT_JOB = "openlineage.parent.job"
ROOT_RUN, ROOT_JOB = "openlineage.root.run", "openlineage.root.job"


class RecordedRuns(Protocol):
    """What was recorded before the events at hand, as :func:`implied` asks it (the HTTP endpoint's journal)."""

    def started(self, run_id: str) -> bool:
        """Whether a ``run.start`` of ``run_id`` was recorded (implied ones too)."""
        ...

    def known(self, run_id: str) -> bool:
        """Whether any event of ``run_id`` itself was recorded."""
        ...

    def clock(self, run_id: str) -> Clock | None:
        """The recorded start and end of ``run_id`` (:mod:`provgraph.runclock`)."""
        ...


def implied(found: list[ev.Event], before: RecordedRuns | None = None) -> tuple[list[ev.Event], list[ev.Event]]:
    """``found`` as it is to be recorded, and the events it implies (see the module docstring).

    ``before`` is what was recorded earlier when ``found`` is the next part of a stream (HTTP);
    ``None`` when ``found`` is the whole story (files). Events are taken in time order.
    """
    started: set[str] = set()
    extra: dict[str, ev.Event] = {}

    def is_started(run_id: str) -> bool:
        return run_id in started or (before is not None and before.started(run_id))

    def imply_start(event: ev.Event, which: str) -> None:
        run = event["run"]
        fields = {"kind": "other", **{k: v for k, v in run.items() if k not in ("status", "error")}}
        extra[run["id"]] = _implied_event("run.start", event["time"], fields, f"start time: its {which} event's time")
        started.add(run["id"])

    recorded = list(found)
    order = sorted((i for i, e in enumerate(found) if "run" in e), key=lambda i: ev.parse_time(found[i]["time"]))
    for i in order:
        event = found[i]
        if event["type"] == "run.start":
            if is_started(event["run"]["id"]):
                recorded[i] = {**event, "type": "run.update", "annotations": {
                    **event.get("annotations", {}), "openlineage.startEventTime": event["time"],
                    "provgraph.note": "a START of a run already started: kept as an update"}}
            started.add(event["run"]["id"])
        elif event["type"] == "run.end" and not is_started(event["run"]["id"]):
            imply_start(event, "end")
    named = {e["run"]["id"] for e in found if "run" in e}

    def unknown(run_id: str) -> bool:
        return run_id not in named and run_id not in extra and not (before is not None and before.known(run_id))

    type_, start = (("run.start", "start time: its first child's event") if before is None
                    else ("run.update", "its own START gives its start time"))
    for event in (found[i] for i in order):
        run, annotations = event["run"], event.get("annotations", {})
        if event["type"] == "run.update" and not is_started(run["id"]):
            imply_start(event, "first RUNNING")
        parent, job = run.get("parent"), annotations.get(PARENT_JOB)
        root, root_job = annotations.get(ROOT_RUN), annotations.get(ROOT_JOB)
        above = root is not None and root_job is not None and root != parent
        if parent and job and unknown(parent):
            fields = {"id": parent, "step": job, "kind": "pipeline", **({"parent": root} if above else {})}
            extra[parent] = _implied_event(type_, event["time"], fields,
                                           f"known from its children's ParentRunFacet; {start}")
        if above and unknown(root):
            extra[root] = _implied_event(type_, event["time"], {"id": root, "step": root_job, "kind": "pipeline"},
                                         f"known as the root of its descendants' ParentRunFacet; {start}")
    implied_first = list(extra.values())  # recorded before the events they complete
    fitted = reconcile([*implied_first, *recorded], before.clock if before is not None else _unknown, "openlineage")
    return fitted[len(implied_first):], fitted[:len(implied_first)]


def _unknown(run_id: str) -> Clock | None:
    """Nothing was recorded before (a file holds the whole story)."""
    return None


def _implied_event(type_: str, time: str, run: dict[str, Any], note: str) -> ev.Event:
    event = ev.new_event(type_, time, run=run, annotations={"provgraph.note": note})
    # an implied start keeps the id files always gave it (a re-import finds it recorded); an implied
    # update has an id of its own, so the run's implied start, if it comes later, is not its duplicate
    event["id"] = naming.event_id("ol-implied", run["id"], *(() if type_ == "run.start" else (type_,)))
    return event
