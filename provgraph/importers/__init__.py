"""Importers: provenance written by other tools, read into the store.

:func:`import_file` reads a W3C PROV document (PROV-N, PROV-JSON, PROV-XML, PROV-JSONLD, Turtle,
TriG, N-Quads, RDF/XML or JSON-LD) into the store, each bundle as a named graph; :func:`read_document`
parses one into the ``prov`` package's record model without touching a store. Other tools' run records
come through the importers of :mod:`.registry`. Names are imported on first use (the ``prov`` package
is slow to import and most commands never need it).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"READ_FORMATS": "provgraph.provdoc.read", "guess_format": "provgraph.provdoc.read",
         "read_document": "provgraph.provdoc.read", "document_quads": "provgraph.provdoc.encode",
         "ImportResult": "provgraph.importers.prov_load", "import_bytes": "provgraph.importers.prov_load",
         "import_event": "provgraph.importers.prov_load", "import_file": "provgraph.importers.prov_load"}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'provgraph.importers' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
