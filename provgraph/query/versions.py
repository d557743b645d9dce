"""The latest known version of a logical artifact, asked by the mapping for a use without any digest."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..store import Store
from ..vocab import XSD
from .sparql import select


def latest_version(store: Store, logical: NamedNode, time: str) -> NamedNode | None:
    """The latest version of ``logical`` generated or used no later than ``time``, if any."""
    rows = select(store, "latest-version", logical=logical, time=Literal(time, datatype=XSD.dateTime)).rows
    version = rows[0].get("version") if rows else None
    return version if isinstance(version, NamedNode) else None
