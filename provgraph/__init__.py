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

from typing import TYPE_CHECKING, Any

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
from .version import __version__

if TYPE_CHECKING:
    from .capture.run import Run, current_run, run, step
    from .project import Project
    from .store import Store, open_store

#: Public names imported on first use, so that ``import provgraph`` (and every command) starts fast.
_LAZY = {"Run": "capture", "current_run": "capture", "run": "capture", "step": "capture",
         "Project": "project", "Store": "store", "open_store": "store"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'provgraph' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

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
    "current_run",
    "open_store",
    "run",
    "step",
]
