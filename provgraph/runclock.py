"""A run starts once, ends once, and does not end before it started: the rule new events are checked
against what the journal already holds of their runs.

Two starts of one run at two times make the store hold two start times (PROV-CONSTRAINTS then finds the
whole store invalid, and ``who`` lists the run twice); an end before the start gives a negative duration.
A start or end sent again with the same time (and status) states nothing new and passes. Events already in
the journal are never checked again: a journal written before this rule still replays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

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


def check(event: ev.Event, clock: Clock | None) -> Clock:
    """``clock`` after ``event``; :class:`InvalidEvent` when the event contradicts it."""
    if clock is not None and event["type"] in ("run.start", "run.end"):
        run_id, time = event["run"]["id"], ev.parse_time(event["time"])
        if event["type"] == "run.start":
            if clock.start is not None and ev.parse_time(clock.start) != time:
                raise InvalidEvent(f"run {run_id!r} started at {clock.start} already; a run starts once "
                                   "(give a new run its own id)", "time")
            if clock.end is not None and ev.parse_time(clock.end) < time:
                raise InvalidEvent(f"run {run_id!r} ended at {clock.end}, before this start", "time")
        else:
            status = event["run"]["status"]
            if clock.end is not None and (ev.parse_time(clock.end) != time or clock.status != status):
                raise InvalidEvent(f"run {run_id!r} ended at {clock.end} ({clock.status}) already; a run ends "
                                   "once", "time" if ev.parse_time(clock.end) != time else "run.status")
            if clock.start is not None and ev.parse_time(clock.start) > time:
                raise InvalidEvent(f"run {run_id!r} started at {clock.start}, after this end", "time")
    return after(clock, event)


def check_all(events: Iterable[ev.Event], recorded: Callable[[str], Clock | None]) -> dict[str, Clock]:
    """Check ``events`` in order against the clock ``recorded`` gives each run and against each other;
    returns the clocks of their runs after them. The first contradiction is an :class:`InvalidEvent`
    naming the event."""
    clocks: dict[str, Clock] = {}
    for event in events:
        if "run" in event:
            run_id = event["run"]["id"]
            try:
                clocks[run_id] = check(event, clocks[run_id] if run_id in clocks else recorded(run_id))
            except InvalidEvent as exc:
                error = InvalidEvent(f"event {event['id']!r}: {exc}; nothing was recorded")
                error.field = exc.field
                raise error from exc
    return clocks


def recorded_clocks(events: Iterable[ev.Event], runs: set[str]) -> dict[str, Clock]:
    """The clocks of ``runs`` as the journal's ``events`` state them."""
    clocks: dict[str, Clock] = {}
    for event in events:
        run_id = event.get("run", {}).get("id")
        if run_id in runs:
            clocks[run_id] = after(clocks.get(run_id), event)
    return clocks
