"""Turning a user's reference (IRI, run id, sha256, location or name) into the node it names."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..errors import QueryError
from ..runinfo import load_query, select
from ..store import Store


def resolve(store: Store, ref: str) -> str:
    """The IRI ``ref`` names; :class:`QueryError` if it names nothing or is ambiguous.

    A run id, a sha256 and a location name one node; a name shared by several versions names the
    logical artifact they specialize.
    """
    if ":" in ref.split("/", 1)[0]:
        try:
            node = NamedNode(ref)
        except ValueError:
            node = None
        if node is not None and store.query(load_query("render-exists"), {"node": node}) is True:
            return ref
    ranked: dict[int, list[str]] = {}
    for row in select(store, "render-resolve", text=Literal(ref)):
        ranked.setdefault(int(row["how"].value), []).append(row["node"].value)
    if not ranked:
        raise QueryError(f"nothing in the store is named {ref!r} (try a run id, sha256, path or IRI)")
    found = sorted(set(ranked[min(ranked)]))
    if len(found) == 1:
        return found[0]
    labelled = sorted(set(ranked.get(4, [])) - set(found))
    if len(labelled) == 1:
        return labelled[0]
    raise QueryError(f"{ref!r} is ambiguous; it names {len(found)} nodes, e.g. {', '.join(found[:3])}")
