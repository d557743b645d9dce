"""provgraph: a W3C PROV lineage graph store for machine-learning pipelines."""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "ExportError",
    "InvalidEvent",
    "JournalError",
    "ProvgraphError",
    "QueryError",
    "RenderError",
    "StoreError",
    "UnsupportedOperation",
    "ValidationError",
    "__version__",
]
