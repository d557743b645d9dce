"""Importers: provenance written by other tools, read into the store.

:func:`import_file` reads a W3C PROV document (PROV-N, PROV-JSON, PROV-XML, PROV-JSONLD, Turtle,
TriG, N-Quads, RDF/XML or JSON-LD) into the store, each bundle as a named graph; :func:`read_document`
parses one into the ``prov`` package's record model without touching a store.
"""

from __future__ import annotations

from ..provdoc.encode import document_quads
from ..provdoc.read import READ_FORMATS, guess_format, read_document
from .prov_load import ImportResult, import_bytes, import_event, import_file

__all__ = ["READ_FORMATS", "ImportResult", "document_quads", "guess_format", "import_bytes", "import_event",
           "import_file", "read_document"]
