"""provgraph: a W3C PROV lineage graph store for machine-learning pipelines.

Record a step::

    import provgraph

    with provgraph.run("train", kind="training") as r:
        r.use("data/train.csv")
        r.param("n_estimators", 100)
        ...
        r.generate("models/rf.pkl", kind="model")

then ask the store: ``provgraph.Project.find().synced_store()``.
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
    from .capture import sklearn
    from .capture.run import Run, current_run, run, step
    from .capture.sklearn import autolog
    from .project import Project
    from .store import Store, open_store

#: Public names imported on first use, so that ``import provgraph`` (and every command) starts fast:
#: name -> (module, attribute; ``None`` for the module itself).
_LAZY = {"Run": ("capture", "Run"), "current_run": ("capture", "current_run"), "run": ("capture", "run"),
         "step": ("capture", "step"), "Project": ("project", "Project"), "Store": ("store", "Store"),
         "open_store": ("store", "open_store"), "autolog": ("capture.sklearn", "autolog"),
         "sklearn": ("capture.sklearn", None)}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'provgraph' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    found = importlib.import_module(f".{module}", __name__)
    value = found if attribute is None else getattr(found, attribute)
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
    "autolog",
    "current_run",
    "open_store",
    "run",
    "sklearn",
    "step",
]
