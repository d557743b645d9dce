"""Events: the one input language. Every entry point builds these and nothing bypasses them.

An event is a JSON object following ``schemas/event-1.schema.json`` (``provgraph.event/1``). A run is
told by ``run.start`` and ``run.end`` events, and ``run.update`` events in between or after: what the run
used, generated, measured or noted meanwhile (an OpenLineage RUNNING event), never its start, end or
status. An update may arrive before its run's start (OpenLineage allows it over HTTP): it is accepted,
and the run shows no start time (status "running") until its ``run.start`` arrives.
:func:`validate` checks one and raises :class:`InvalidEvent` naming the field; :func:`new_event`
builds one with an id and a timestamp filled in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import reprlib
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from fastjsonschema import JsonSchemaValueException

from .errors import InvalidEvent
from .vocab import ARTIFACT_KINDS as ARTIFACT_KINDS  # re-exported: capture checks kinds here
from .vocab import RUN_CLASSES

SCHEMA_VERSION = "provgraph.event/1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "event-1.schema.json"
MAX_EVENT_BYTES = 16 * 1024 * 1024
RUN_KINDS = tuple(RUN_CLASSES)
MAX_UTC_OFFSET = timedelta(hours=14)
#: Characters no event text may hold: control characters (Unicode's Cc: C0, DEL, C1) but tab, newline and
#: carriage return (XML 1.0, hence PROV-XML, cannot carry C0; Graphviz stops at NUL; a terminal obeys ESC and
#: CSI), the explicit bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: they
#: reorder what a reviewer reads, as in "Trojan Source"), lone surrogates (no UTF-8 file can hold them) and
#: the non-characters U+FFFE and U+FFFF.
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
#: What the ASCII JSON of an event shows when a text may hold an unsafe character (checked exactly then).
_UNSAFE_ESCAPE = re.compile(
    r"\\(?:u00(?:[01]|7[fF]|[89])|[bf]|u[dD][89a-fA-F]|u[fF]{3}[eEfF]|u20(?:2[a-eA-E]|6[6-9]))")
_SHORT = reprlib.Repr()  # quotes a long value in a message by its start
_SHORT.maxstring = _SHORT.maxother = 80

Event = dict[str, Any]


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of events."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # only to explain an invalid event: rare, and slow to import

    return Draft202012Validator(schema())


def _fast_validator() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: ~10x faster than jsonschema on valid events,
    which is nearly all of them; jsonschema then explains the rare invalid one. Compiled once, even
    when a server's first requests all ask at the same moment."""
    with _COMPILING:
        return _compiled()


_COMPILING = threading.Lock()


@cache
def _compiled() -> Callable[[Any], Any]:
    return fastjsonschema.compile(schema())


def now() -> str:
    """The current UTC time as an RFC 3339 string with microseconds."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse an event timestamp (always timezone-aware)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_event(type_: str, time: str | None = None, **fields: Any) -> Event:
    """Build an event of ``type_`` with a fresh id and ``time`` (default: now); not yet validated."""
    event: Event = {"schema": SCHEMA_VERSION, "id": uuid.uuid4().hex, "type": type_, "time": time or now()}
    event.update({k: v for k, v in fields.items() if v not in (None, {}, [])})
    return event


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(event)"


def _check_text(event: Event, unsafe: bool) -> None:
    """Refuse NaN and infinities, which JSON cannot carry, and with ``unsafe`` texts holding :data:`UNSAFE_TEXT`
    (one ASCII encoding finds both quickly; a walk then names the field)."""
    try:
        text = json.dumps(event, allow_nan=False)
    except TypeError:
        return  # not JSON at all: the schema says where
    except (ValueError, RecursionError) as exc:
        with contextlib.suppress(RecursionError):  # a structure that contains itself has no field to name
            _find_infinite(event)
        raise InvalidEvent(f"the event is not JSON: {exc}") from exc
    if unsafe and _UNSAFE_ESCAPE.search(text):
        _find_unsafe(event)


def escape_unsafe(text: str) -> str:
    """``text`` with each :data:`UNSAFE_TEXT` character written as a visible escape (``\\x1b``, ``\\udcff``)."""
    return UNSAFE_TEXT.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256 else f"\\u{ord(m[0]):04x}", text)


def _nested(value: Any, where: list[str | int]) -> Iterator[tuple[Any, list[str | int]]]:
    """``value`` and every value inside it, each with its path from ``where``."""
    yield value, where
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nested(item, [*where, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nested(item, [*where, index])


def _find_unsafe(event: Event) -> None:
    for value, where in _nested(event, []):
        texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
        for text in (t for t in texts if isinstance(t, str)):  # a key from Python may be a number
            found = UNSAFE_TEXT.search(text)
            if found:
                code = ord(found[0])
                name = "a lone surrogate" if 0xD800 <= code < 0xE000 else "a non-character" if code > 0xFFFD \
                    else "a bidirectional control character, which reorders the text shown" if code > 0x2000 \
                    else "a control character"
                raise InvalidEvent(f"{_SHORT.repr(text)} holds {name} (U+{code:04X}); texts may hold tab, "
                                   "newline and carriage return but no other control character", _path(where))


def _find_infinite(event: Event) -> None:
    for value, where in _nested(event, []):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidEvent(f"{value} is not a finite number; JSON cannot carry it", _path(where))


def validate(event: Any, recorded: bool = False) -> Event:
    """Check ``event`` against the schema and the rules a schema cannot say; return it unchanged.

    Raises :class:`InvalidEvent` whose ``field`` is a path such as ``used[0].sha256``. With ``recorded`` (an
    event read back from a journal) the rules for new events only are skipped: unsafe text and offsets
    beyond ±14:00 were once accepted, and a journal that holds them stays valid.
    """
    if not isinstance(event, dict):
        raise InvalidEvent(f"an event is a JSON object, not {type(event).__name__}")
    if event.get("schema") not in (None, SCHEMA_VERSION) and isinstance(event.get("schema"), str):
        raise InvalidEvent(f"unsupported schema {event['schema']!r}; this provgraph reads {SCHEMA_VERSION}",
                           "schema")
    _check_text(event, unsafe=not recorded)
    try:
        _fast_validator()(event)
    except JsonSchemaValueException as fast_error:
        _raise_schema_error(event, fast_error)
    _check_semantics(event, offsets=not recorded)
    return event


def _raise_schema_error(event: Event, fast_error: JsonSchemaValueException) -> None:
    """Explain a schema violation: jsonschema's best match names the field and the problem."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(event))
    if error is None:  # the two validators disagree: keep the fast one's word
        raise InvalidEvent(fast_error.message.removeprefix("data").lstrip(". ") or "does not match the schema",
                           _path(fast_error.path[1:] if fast_error.path else []))
    field = _path(error.absolute_path)
    if error.validator == "additionalProperties":
        message = f"unknown field(s): {error.message.split('(')[-1].rstrip(')')}"
    elif error.validator == "required":
        message = error.message.replace("is a required property", "is required")
    elif error.validator == "not" and error.validator_value == {}:  # a field its type forbids (run.update's status)
        message = f"not allowed in a {event.get('type')} event"
    else:
        message = error.message.replace(repr(error.instance), _SHORT.repr(error.instance))
        message = message if len(message) < 300 else message[:300] + "..."
    raise InvalidEvent(message, field)


def _check_semantics(event: Event, offsets: bool) -> None:
    times = [("time", event["time"]), *((f"{key}[{index}].time", a["time"]) for key in ("used", "generated")
                                        for index, a in enumerate(event.get(key, ())) if "time" in a)]
    for field, text in times:
        try:
            offset = parse_time(text).utcoffset()
        except ValueError as exc:
            raise InvalidEvent(f"{text!r} is not a valid date-time: {exc}", field) from exc
        if offsets and offset is not None and abs(offset) > MAX_UTC_OFFSET:  # RFC 3339 allows it, xsd:dateTime does not
            raise InvalidEvent(f"{text!r} is offset more than 14:00 from UTC, which no time zone is "
                               "(and xsd:dateTime cannot carry)", field)
    agent_ids = {agent["id"] for agent in event.get("agents", ())}
    for index, agent in enumerate(event.get("agents", ())):
        if agent.get("on_behalf_of") == agent["id"]:
            raise InvalidEvent("an agent cannot act on behalf of itself", f"agents[{index}].on_behalf_of")
    if len(agent_ids) != len(event.get("agents", ())):
        raise InvalidEvent("agent ids must be unique", "agents")
    run = event.get("run", {})
    if run.get("parent") and run.get("parent") == run.get("id"):
        raise InvalidEvent("a run cannot be its own parent", "run.parent")
    if run.get("status") == "failed" and "error" not in run:
        raise InvalidEvent("a failed run must say its error", "run.error")
    document = event.get("document")
    if document and hashlib.sha256(document["content"].encode()).hexdigest() != document["sha256"]:
        raise InvalidEvent("does not match the sha256 of the content", "document.sha256")


def loads(line: str | bytes) -> Event:
    """Parse and validate one JSON event; malformed JSON is an :class:`InvalidEvent` too."""
    if len(line) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"event is {len(line)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        data = json.loads(line, parse_constant=_reject_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not valid JSON: {exc}") from exc
    return validate(data)


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"{name} is not valid JSON")


def dumps(event: Event) -> str:
    """Canonical JSON of an event: sorted keys, no spaces, UTF-8 kept (used for hashing)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
