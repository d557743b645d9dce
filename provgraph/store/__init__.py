"""Stores: the contract (:class:`Store`) and its backends, opened by URI with :func:`open_store`."""

from __future__ import annotations

from .base import (
    BULK_LOAD,
    DURABLE,
    TRANSACTIONS,
    QueryResult,
    Solutions,
    Store,
    Term,
)
from .opening import open_store

__all__ = [
    "BULK_LOAD",
    "DURABLE",
    "TRANSACTIONS",
    "QueryResult",
    "Solutions",
    "Store",
    "Term",
    "open_store",
]
