"""Turning other tools' names, ids and times into the forms provgraph events accept, deterministically.

Importing the same record twice must give the same events (same ids, same run ids), so that a second
import adds nothing to the graph and a server skips the duplicate event ids.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from ..vocab import short_hash

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
MAX_NAME = 200
MAX_TEXT = 4096


def digest(*parts: str, n: int = 12) -> str:
    """A short, stable hex digest of ``parts`` (:func:`provgraph.vocab.short_hash`, 12 digits by default)."""
    return short_hash(*parts, n=n)


def identifier(text: str, prefix: str = "") -> str:
    """``prefix + text`` when that is a valid identifier, else a readable cleaned form plus a digest."""
    candidate = f"{prefix}{text}"
    if _IDENTIFIER.match(candidate):
        return candidate
    cleaned = _ID_UNSAFE.sub("_", candidate).strip("._-")[:100] or "id"
    if not (cleaned[0].isalnum() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    return f"{cleaned}-{digest(text)}"


def label(text: str) -> str:
    """A label (``[A-Za-z0-9_.:-]``, at most 64 characters) for free text, e.g. ``stage:Production``."""
    cleaned = _LABEL_UNSAFE.sub("_", text).strip("_") or "_"
    return cleaned if len(cleaned) <= 64 and cleaned == text else f"{cleaned[:51]}-{digest(text)}"


def name(text: str) -> str:
    """A step, parameter or metric name: control (and other unsafe) characters replaced, at most 200 characters."""
    cleaned = "".join(" " if ord(char) < 32 or ev.UNSAFE_TEXT.match(char) else char for char in text) or "_"
    return cleaned if len(cleaned) <= MAX_NAME else f"{cleaned[:MAX_NAME - 13]}-{digest(text)}"


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, marked when cut, its unsafe characters (a colour code in a stack
    trace) escaped: another tool's free text is kept, not refused (see :data:`~provgraph.events.UNSAFE_TEXT`)."""
    text = ev.escape_unsafe(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def non_finite(value: Any) -> str | None:
    """The name of a number JSON cannot carry (``"NaN"``, ``"inf"``, ``"-inf"``); None for any other value."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "inf" if value > 0 else "-inf"
    return None


def scalar(value: Any) -> Any:
    """A parameter or annotation value: JSON scalars kept (long strings clipped), NaN and infinities by
    name, others as JSON text."""
    if (name := non_finite(value)) is not None:
        return name
    if value is None or isinstance(value, bool | int | float):
        return value
    return clip(value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                               default=str))


def canonical(value: Any) -> str:
    """``value`` as canonical JSON text to hash (the form of :func:`provgraph.events.dumps`), whatever a
    YAML file holds: NaN and infinities as JavaScript writes them, dates and other values as text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def millis(value: Any, where: str) -> str:
    """An event timestamp from epoch milliseconds (MLflow's times)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidEvent(f"{value!r} is not a time in epoch milliseconds", where)
    try:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidEvent(f"{value!r} is out of range as a time in epoch milliseconds", where) from exc
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp(text: Any, where: str) -> str:
    """An RFC 3339 timestamp from ISO 8601 text (kept as written when it is one); no zone means UTC."""
    if not isinstance(text, str):
        raise InvalidEvent(f"{text!r} is not a date-time", where)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"{text!r} is not an ISO 8601 date-time", where) from exc
    if _RFC3339.match(text):
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def pipeline_plan(pipeline: str) -> str:
    """The logical name of a pipeline's plan (``kfp-pipeline:NAME``): the compiled KFP pipeline is a
    version of it, and runs of that pipeline recorded elsewhere (ML Metadata) use it as their plan."""
    return clip(f"kfp-pipeline:{pipeline}")


def event_id(source: str, *parts: Any) -> str:
    """A deterministic event id from what the event was made of."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return f"{source}-{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def finish(events: list[ev.Event], source: str) -> list[ev.Event]:
    """Validate imported events; a failure names the source record and the event field."""
    for event in events:
        try:
            ev.validate(event)
        except InvalidEvent as exc:
            error = InvalidEvent(f"{source} maps to an invalid provgraph event: {exc}")
            error.field = exc.field
            raise error from exc
    return events


def stamp(event: ev.Event, source: str) -> ev.Event:
    """Give ``event`` a deterministic id: a digest of everything else in it."""
    event["id"] = event_id(source, {key: value for key, value in event.items() if key != "id"})
    return event


@dataclass
class Imported:
    """What an importer read: the events to record and how many records of each kind they came from."""

    events: list[ev.Event]
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        """How many distinct runs the events describe."""
        return len({event["run"]["id"] for event in self.events if "run" in event})

    def summary(self) -> str:
        """One line: ``12 events, 5 runs (3 run records, 4 model versions)``."""
        details = ", ".join(f"{count} {what}" for what, count in self.counts.items())
        return f"{len(self.events)} events, {self.runs} runs" + (f" ({details})" if details else "")
