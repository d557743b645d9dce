"""What a store says about itself (its graph layout and the journal it was built from) and the latest
known version of a logical artifact (asked by the mapping for a use without any digest)."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..store import Store
from ..vocab import XSD
from .sparql import select

#: The layout this provgraph writes: run bundles plus one shared graph of content-addressed descriptions.
LAYOUT = "2"


def latest_version(store: Store, logical: NamedNode, time: str) -> NamedNode | None:
    """The latest version of ``logical`` generated or used no later than ``time``, if any."""
    rows = select(store, "latest-version", logical=logical, time=Literal(time, datatype=XSD.dateTime)).rows
    version = rows[0].get("version") if rows else None
    return version if isinstance(version, NamedNode) else None


def store_facts(store: Store) -> dict[str, str]:
    """What the store says about itself (property IRI -> value): its layout and journal, if recorded."""
    return {row["property"].value: row["value"].value for row in select(store, "layout")}
