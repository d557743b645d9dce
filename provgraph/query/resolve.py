"""Turning a reference typed by a person into the node it names.

A reference may be an IRI, a run id or a unique prefix of one, a run's step name (when one run has it),
an artifact location (a path, relative to the project root or absolute, or a URI), a logical dataset
name, the label a table shows for an artifact version, an agent id or name, or a sha256 or a prefix of
one (at least six hex digits; ``sha256-`` and ``sha256:`` in front are accepted, as provgraph prints
them). Every identifier provgraph prints is accepted back. It is only ever bound as a term, never
pasted into a query.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pyoxigraph import NamedNode

from ..errors import QueryError
from ..limits import check_reference
from ..store import Store
from ..vocab import PROV, PROVML, agent_iri, iri_text
from .sparql import ask, select, text_of

MIN_PREFIX = 6
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DETAILS = {PROV.specializationOf.value: "logical", PROVML.sha256.value: "sha256",
            PROVML.location.value: "location"}
#: How a reference matched, most specific first.
_RANK = ("run", "location", "name", "agent", "hash", "label", "step", "run prefix")
_HASH_FORM = re.compile(r"^sha256[-:]", re.IGNORECASE)


def exists(store: Store, node: NamedNode) -> bool:
    """Whether ``node`` appears in ``store``."""
    return ask(store, "exists", node=node)


def _as_iri(ref: str) -> NamedNode | None:
    if not iri_text(ref):  # the rule capture names artifacts by, so what it recorded is found
        return None
    try:
        return NamedNode(ref)
    except ValueError:
        return None


def _as_path(ref: str, root: Path | None) -> str:
    """The location a path reference was recorded under (relative to the project root when inside it)."""
    if _as_iri(ref) is not None and "://" in ref:
        return ref
    path = Path(ref)
    if root is not None and path.is_absolute():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            return path.as_posix()
    if root is not None and not path.is_absolute() and path.exists():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    normal = os.path.normpath(ref)
    return Path(normal).as_posix() if normal != "." else ref


def resolve(store: Store, ref: str, root: str | Path | None = None) -> NamedNode:
    """The node ``ref`` names in ``store``.

    ``root`` (the project folder) lets a path given from the shell match the location it was
    recorded under. Raises :class:`QueryError` when nothing matches, or when a hash prefix (or a
    location or name) matches several nodes, listing the candidates.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise QueryError("an empty reference names nothing")
    ref = ref.strip()
    check_reference(ref)
    iri = _as_iri(ref)
    if iri is not None and exists(store, iri):
        return iri
    if _IDENTIFIER.match(ref) and exists(store, agent_iri(ref)):
        return agent_iri(ref)
    digits = _HASH_FORM.sub("", ref)
    prefix = digits.lower() if MIN_PREFIX <= len(digits) <= 64 and _HEX.match(digits) else None
    path = _as_path(ref, Path(root) if root is not None else None)
    solutions = list(select(store, "resolve", text=ref, path=path))
    if prefix is not None:
        solutions += select(store, "resolve-hash", prefix=prefix).rows
    if not solutions and _IDENTIFIER.match(ref):
        solutions = select(store, "resolve-run-prefix", prefix=ref).rows
    by_how: dict[str, list[NamedNode]] = {}
    for row in solutions:
        node, how = row["node"], text_of(row["how"])
        if isinstance(node, NamedNode) and how is not None and node not in by_how.get(how, []):
            by_how.setdefault(how, []).append(node)
    for how in _RANK:
        found = by_how.get(how)
        if not found:
            continue
        if len(found) == 1:
            return found[0]
        details = {node.value: _details(store, node) for node in found}
        if how == "location":
            logicals = {info.get("logical") for info in details.values()}
            if len(logicals) == 1 and None not in logicals:
                return NamedNode(str(logicals.pop()))
        candidates = [_describe(node, info) for node, info in sorted(details.items())]
        shown = "; ".join(candidates[:20]) + ("; ..." if len(candidates) > 20 else "")
        raise QueryError(f"{ref!r} is ambiguous ({len(candidates)} {how} matches): {shown}")
    if iri is not None:
        raise QueryError(f"<{ref}> is not in the store")
    hint = f" (a hash prefix needs at least {MIN_PREFIX} hex digits)" if _HEX.match(ref) else ""
    raise QueryError(f"no run, artifact, dataset or agent matches {ref!r}{hint}")


def _details(store: Store, node: NamedNode) -> dict[str, str | None]:
    info: dict[str, str | None] = {}
    for row in select(store, "candidate", node=node):
        prop = text_of(row["property"])
        if prop is not None:
            info.setdefault(_DETAILS.get(prop, prop), text_of(row["value"]))
    return info


def _describe(node: str, info: dict[str, str | None]) -> str:
    parts = [info.get("sha256") or node]
    if info.get("location"):
        parts.append(str(info["location"]))
    return " ".join(parts)
