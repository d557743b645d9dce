"""A run starts once, ends once, and does not end before it started: the rule new events are checked
against what the journal already holds of their runs. Events of provgraph's own API that break it are
refused (:func:`check_all`); another tool's, which provgraph records rather than judges, are fitted to
it (:func:`reconcile`).

Two starts of one run at two times make the store hold two start times (PROV-CONSTRAINTS then finds the
whole store invalid, and ``who`` lists the run twice); an end before the start gives a negative duration.
A start or end sent again with the same time (and status) states nothing new and passes. Events already in
the journal are never checked again: a journal written before this rule still replays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple, NoReturn

from . import events as ev
from .errors import InvalidEvent


class Clock(NamedTuple):
    """What the journal states of one run's times: its first start, its first end and that end's status."""

    start: str | None = None
    end: str | None = None
    status: str | None = None


def after(clock: Clock | None, event: ev.Event) -> Clock:
    """``clock`` as ``event`` leaves it (the first start and the first end stand)."""
    clock = clock or Clock()
    if event["type"] == "run.start" and clock.start is None:
        return clock._replace(start=event["time"])
    if event["type"] == "run.end" and clock.end is None:
        return clock._replace(end=event["time"], status=event["run"]["status"])
    return clock


def _conflict(event: ev.Event, clock: Clock | None) -> tuple[str, str] | None:
    """How ``event`` contradicts ``clock``: ``("again", why)`` for a second start or end that differs,
    ``("order", why)`` for a start after the end or an end before the start; None if it does not."""
    if clock is None or event["type"] not in ("run.start", "run.end"):
        return None
    run_id, time = event["run"]["id"], ev.parse_time(event["time"])
    if event["type"] == "run.start":
        if clock.start is not None and ev.parse_time(clock.start) != time:
            return "again", f"run {run_id!r} started at {clock.start} already; a run starts once"
        if clock.end is not None and ev.parse_time(clock.end) < time:
            return "order", f"run {run_id!r} ended at {clock.end}, before this start"
        return None
    if clock.end is not None and (ev.parse_time(clock.end) != time or clock.status != event["run"]["status"]):
        return "again", f"run {run_id!r} ended at {clock.end} ({clock.status}) already; a run ends once"
    if clock.start is not None and ev.parse_time(clock.start) > time:
        return "order", f"run {run_id!r} started at {clock.start}, after this end"
    return None


def check_all(events: Iterable[ev.Event],
              recorded: Callable[[str], Clock | None]) -> tuple[list[ev.Event], dict[str, Clock]]:
    """Check ``events`` in order against the clock ``recorded`` gives each run and against each other;
    returns them (one sent again at the recorded instant in another form takes the recorded form) and the
    clocks of their runs after them. The first contradiction is an :class:`InvalidEvent` naming the event."""
    return _walk(events, recorded, _refuse)


def reconcile(events: Iterable[ev.Event], recorded: Callable[[str], Clock | None], source: str) -> list[ev.Event]:
    """Another tool's ``events`` fitted to the rule rather than refused (what it says is kept): a second
    start or end that differs becomes a ``run.update`` carrying what it says, its time kept as the
    annotation ``<source>.startEventTime`` / ``<source>.endEventTime`` (an end's state as
    ``<source>.endStatus`` and ``<source>.endError``); an end dated before the start (clocks apart) ends
    the run at its start, a start dated after the end starts it at its end, the time given kept alike; one
    sent again at the recorded instant in another form takes the recorded form."""
    return _walk(events, recorded, lambda event, clock, conflict: _fitted(event, clock, conflict, source))[0]


_Settle = Callable[[ev.Event, Clock | None, tuple[str, str]], ev.Event]


def _walk(events: Iterable[ev.Event], recorded: Callable[[str], Clock | None],
          settle: _Settle) -> tuple[list[ev.Event], dict[str, Clock]]:
    """``events`` in order, each that contradicts its run's clock replaced by what ``settle`` makes of it
    and each that repeats it written as recorded, and the clocks of their runs after them."""
    clocks: dict[str, Clock] = {}
    kept = []
    for event in events:
        if "run" in event:
            run_id = event["run"]["id"]
            clock = clocks[run_id] if run_id in clocks else recorded(run_id)
            found = _conflict(event, clock)
            event = _as_recorded(event, clock) if found is None else settle(event, clock, found)
            clocks[run_id] = after(clock, event)
        kept.append(event)
    return kept, clocks


def _refuse(event: ev.Event, clock: Clock | None, conflict: tuple[str, str]) -> NoReturn:
    hint = " (give a new run its own id)" if conflict[0] == "again" and event["type"] == "run.start" else ""
    raise InvalidEvent(f"event {event['id']!r}: {conflict[1]}{hint}; nothing was recorded", "time")


def _as_recorded(event: ev.Event, clock: Clock | None) -> ev.Event:
    """A start or end sent again at the recorded instant, written as the journal wrote it: the same instant
    in another form (``12:05:00+02:00`` for ``10:05:00Z``, or nanoseconds the comparison does not see) would
    be a second start or end time in the store."""
    recorded = None if clock is None else {"run.start": clock.start, "run.end": clock.end}.get(event["type"])
    if recorded is None or recorded == event["time"]:
        return event
    return {**event, "time": recorded}


def _fitted(event: ev.Event, clock: Clock | None, conflict: tuple[str, str], source: str) -> ev.Event:
    which = "start" if event["type"] == "run.start" else "end"
    kept = {f"{source}.{which}EventTime": event["time"]}
    if conflict[0] == "order":
        assert clock is not None
        kept["provgraph.note"] = f"{conflict[1]}: {which}s at its {'start' if which == 'end' else 'end'}"
        return {**event, "time": clock.start if which == "end" else clock.end,
                "annotations": {**event.get("annotations", {}), **kept}}
    kept["provgraph.note"] = f"{conflict[1]}: kept as an update"
    run = {key: value for key, value in event["run"].items() if key not in ("status", "error")}
    if which == "end":
        kept[f"{source}.endStatus"] = event["run"]["status"]
        if "error" in event["run"]:
            kept[f"{source}.endError"] = event["run"]["error"].get("message") or event["run"]["error"]["type"]
    return {**event, "type": "run.update", "run": run, "annotations": {**event.get("annotations", {}), **kept}}
