"""The query layer: the questions in ``queries/*.rq`` as Python functions returning typed results.

>>> from provgraph.query import impact
>>> result = impact(store, "data/raw.csv")
>>> [row["label"] for row in result.models]       # which models used this dataset
>>> print(result)                                  # a table: depth, type, kind, label, id, run

References (paths, hash prefixes, names, run ids, IRIs) are resolved by :func:`resolve`; every
parameter is bound as a term, never pasted into query text.
"""

from __future__ import annotations

from .resolve import resolve
from .results import (
    DiffResult,
    GraphResult,
    InvalidatedResult,
    LabelFlowResult,
    RunsResult,
    Table,
    WhoResult,
)
from .sparql import load, sparql
from .traverse import impact, lineage

__all__ = [
    "DiffResult",
    "GraphResult",
    "InvalidatedResult",
    "LabelFlowResult",
    "RunsResult",
    "Table",
    "WhoResult",
    "impact",
    "lineage",
    "load",
    "resolve",
    "sparql",
]
