"""The provgraph exception tree: one root, a few children, translated at every boundary.

Errors from pyoxigraph, rdflib, prov, urllib3 (HTTP) or the file system are re-raised as one of these
(``raise StoreError(msg) from exc``), so callers catch ``ProvgraphError`` and nothing else.
"""

from __future__ import annotations


class ProvgraphError(Exception):
    """Root of every error provgraph raises on purpose."""


class InvalidEvent(ProvgraphError):
    """An event failed validation; ``field`` names the offending field (a JSON path)."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class Forbidden(ProvgraphError):
    """The caller may not do this (for example, end a run another writer started)."""


class JournalError(ProvgraphError):
    """The journal cannot be read or written, or its hash chain is broken."""


class StoreError(ProvgraphError):
    """A store cannot be opened, read or written."""


class UnsupportedOperation(StoreError):
    """The store backend does not offer this optional capability."""


class Unreachable(StoreError):
    """A remote store or server cannot be reached, does not answer in time or keeps failing (HTTP 5xx)."""


class AccessDenied(StoreError):
    """A remote store or server refused the credentials (HTTP 401) or the request (HTTP 403)."""


class QueryError(ProvgraphError):
    """A query is malformed, a parameter is invalid, or a reference does not resolve."""


class ExportError(ProvgraphError):
    """A document cannot be exported or imported."""


class ValidationError(ProvgraphError):
    """A document or store cannot be validated (not: it was found invalid; that is a report)."""


class RenderError(ProvgraphError):
    """A diagram cannot be rendered (for example, the Graphviz ``dot`` binary is missing)."""


class MissingFile(ProvgraphError):
    """A file a run was told it used (or generated) does not exist; the run is recorded as aborted."""
