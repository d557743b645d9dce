"""Validation: PROV-CONSTRAINTS on PROV documents and the store, SHACL shapes for the ML profile.

:func:`check_document` validates a ``prov`` document against PROV-CONSTRAINTS and returns a
:class:`Report` whose violations name the constraint and the statements involved;
:func:`check_shapes` checks the store (or one run) against ``ontologies/shapes.ttl``;
:func:`check_store` does both for the store or one run.
"""

from __future__ import annotations

from .constraints import check_document
from .report import Report, Violation
from .shapes import check_graph, check_shapes
from .store import check_store

__all__ = ["Report", "Violation", "check_document", "check_graph", "check_shapes", "check_store"]
