"""An event is valid only if it maps: the last check before anything is journaled.

The schema cannot say that an ``artifact.invalidate`` target is an IRI the store accepts, or that a
``document.import`` parses into values every export can carry (no control characters from escapes such as
``\\u0000``); the mapping can. :func:`admit` runs the mapping given to it (so this module
knows nothing of RDF vocabularies) and turns any failure into :class:`InvalidEvent`, so that an event
that would stop the store from catching up never reaches the journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import events as ev
from .errors import InvalidEvent


def admit(event: Any, to_quads: Callable[[ev.Event], Iterable[Any]]) -> ev.Event:
    """``event`` validated and mapped once with ``to_quads``; :class:`InvalidEvent` if either fails."""
    ev.validate(event)
    try:
        for quad in to_quads(event):  # pyoxigraph parses every IRI and literal as the quads are built
            unsafe = ev.UNSAFE_TEXT.search(getattr(quad.object, "value", ""))  # an imported escape, say
            if unsafe:
                raise InvalidEvent(f"the event maps to a value holding U+{ord(unsafe[0]):04X}, which PROV-XML and "
                                   f"terminals cannot carry ({ev.escape_unsafe(quad.object.value)[:100]!r}); "
                                   "nothing was recorded")
    except InvalidEvent:
        raise
    except Exception as exc:  # any mapping failure means the event cannot be stored
        raise InvalidEvent(f"the event cannot be mapped to RDF ({problem(exc)}); nothing was recorded") from exc
    return event


def problem(exc: BaseException) -> str:
    """One short line saying why a mapping failed."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
