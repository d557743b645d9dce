"""provgraph: a W3C PROV lineage graph store for machine-learning pipelines.

Record a step::

    import provgraph

    with provgraph.run("train", kind="training") as r:
        r.use("data/train.csv")
        r.param("n_estimators", 100)
        ...
        r.generate("models/rf.pkl", kind="model")

then ask the store: ``provgraph.Project.find().store``.
"""

from __future__ import annotations

from .capture import Run, current_run, run, sklearn, step
from .capture.sklearn import autolog
from .errors import (
    ExportError,
    InvalidEvent,
    JournalError,
    ProvgraphError,
    QueryError,
    RenderError,
    StoreError,
    UnsupportedOperation,
    ValidationError,
)
from .project import Project
from .store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "ExportError",
    "InvalidEvent",
    "JournalError",
    "Project",
    "ProvgraphError",
    "QueryError",
    "RenderError",
    "Run",
    "Store",
    "StoreError",
    "UnsupportedOperation",
    "ValidationError",
    "__version__",
    "autolog",
    "current_run",
    "open_store",
    "run",
    "sklearn",
    "step",
]
