"""Locate the files shipped with provgraph: ``ontologies/`` and ``queries/``.

In a wheel they live inside the package; in a source checkout (editable install) beside it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import QueryError

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the directory ``name`` (``"ontologies"`` or ``"queries"``) wherever it was installed."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"provgraph resource folder {name!r} is missing from the installation")


def ontology_path(name: str = "provml.ttl") -> Path:
    """Path of a shipped ontology file."""
    return resource_dir("ontologies") / name


def query_path(name: str) -> Path:
    """Path of a shipped SPARQL query (``impact`` -> ``queries/impact.rq``)."""
    return resource_dir("queries") / f"{name}.rq"


@cache
def query_text(name: str) -> str:
    """The text of the shipped query ``queries/<name>.rq``, read once per process."""
    try:
        return query_path(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise QueryError(f"no shipped query named {name!r}") from exc
