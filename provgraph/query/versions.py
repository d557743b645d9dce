"""The latest known version of a logical artifact, asked by the mapping for a use without any digest."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..store import Store
from ..vocab import XSD
from .sparql import select


def latest_version(store: Store, logical: NamedNode, time: str) -> tuple[str, NamedNode] | None:
    """``(when it was known, version)``: the latest version of ``logical`` generated or used no later than
    ``time``, if any."""
    rows = select(store, "latest-version", logical=logical, time=Literal(time, datatype=XSD.dateTime)).rows
    version, at = (rows[0].get("version"), rows[0].get("at")) if rows else (None, None)
    return (at.value, version) if isinstance(version, NamedNode) and isinstance(at, Literal) else None
