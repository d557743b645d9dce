"""Export: the store in the W3C PROV formats and plain RDF, and audit bundles.

:func:`prov_document` turns the store (or one run, or the graph around some nodes) into a ``prov``
package document; :func:`export` writes a scope as PROV-N, PROV-JSON, PROV-XML, PROV-JSONLD, Turtle,
TriG, N-Quads or JSON-LD (``FORMATS``). PROV-XML local names follow the escaping rule in
:mod:`provgraph.provdoc.xmlnames`.
"""

from __future__ import annotations

from .document import prov_document
from .formats import FORMATS, Format, export, get_format, serialize_document, serialize_quads, write

__all__ = ["FORMATS", "Format", "export", "get_format", "prov_document", "serialize_document", "serialize_quads",
           "write"]
