"""What the mapping asks the store of versions: the latest known version of a logical artifact (for a use
without any digest), and the versions a run generated of one (a run generates one version of it)."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..store import Store
from ..vocab import XSD, run_iri
from .sparql import select


def latest_version(store: Store, logical: NamedNode, time: str) -> tuple[str, NamedNode] | None:
    """``(when it was known, version)``: the latest version of ``logical`` generated or used no later than
    ``time``, if any."""
    rows = select(store, "latest-version", logical=logical, time=Literal(time, datatype=XSD.dateTime)).rows
    version, at = (rows[0].get("version"), rows[0].get("at")) if rows else (None, None)
    return (at.value, version) if isinstance(version, NamedNode) and isinstance(at, Literal) else None


def run_versions(store: Store, run_id: str, logical: NamedNode) -> list[NamedNode]:
    """The versions of ``logical`` that run ``run_id`` generated."""
    rows = select(store, "run-versions", run=run_iri(run_id), logical=logical).rows
    return [version for version in (row.get("version") for row in rows) if isinstance(version, NamedNode)]
