"""The query layer: the questions in ``queries/*.rq`` as Python functions returning typed results.

>>> from provgraph.query import impact
>>> result = impact(store, "data/raw.csv")
>>> [row["label"] for row in result.models]       # which models used this dataset
>>> print(result)                                  # a table: depth, type, kind, label, id, run

References (paths, hash prefixes, names, run ids, IRIs) are resolved by :func:`resolve`; every
parameter is bound as a term, never pasted into query text.
"""

from __future__ import annotations

from .graph import CriticalPath, critical_path, cycles, derivation_graph, layers, shortest_path
from .policy import invalidated, labels
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
from .runs import diff, runs, who
from .sparql import load, sparql
from .traverse import impact, lineage

__all__ = [
    "CriticalPath",
    "DiffResult",
    "GraphResult",
    "InvalidatedResult",
    "LabelFlowResult",
    "RunsResult",
    "Table",
    "WhoResult",
    "critical_path",
    "cycles",
    "derivation_graph",
    "diff",
    "impact",
    "invalidated",
    "labels",
    "layers",
    "lineage",
    "load",
    "resolve",
    "runs",
    "shortest_path",
    "sparql",
    "who",
]
