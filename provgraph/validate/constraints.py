"""PROV-CONSTRAINTS validation of a ``prov`` document (W3C Recommendation, 30 April 2013).

The steps follow the specification: records become statements with existential variables
(Definitions 1-4, :mod:`.statements`), the inferences that matter for validity are applied
(:mod:`.inferences`), uniqueness constraints unify statements (:mod:`.unification`), then typing
and impossibility (:mod:`.impossibility`) and event ordering (:mod:`.ordering`) are checked on the
result. The toplevel instance and every bundle are validated separately, as the specification says
a document is valid when each of them is.

>>> report = check_document(ProvDocument.deserialize("doc.provx", format="xml"))
>>> report.ok, [v.constraint for v in report.violations]
"""

from __future__ import annotations

from dataclasses import replace

import prov.model as pm

from .impossibility import Types, check_impossible
from .inferences import infer
from .ordering import check_ordering
from .report import Report
from .statements import Fresh, Statement, from_record
from .unification import unify_statements


def check_records(records: list[pm.ProvRecord], bundle: str | None = None) -> Report:
    """Validate one instance (the toplevel records of a document, or one bundle's records)."""
    report = Report()
    fresh = Fresh()
    statements: list[Statement] = []
    for record in records:
        statement, problem = from_record(record, fresh)
        if problem is not None:
            report.violations.append(replace(problem, bundle=bundle))
        if statement is not None:
            statements.append(statement)
    statements = infer(statements, fresh)
    unification = unify_statements(statements, bundle)
    report.violations.extend(unification.violations)
    find = unification.unifier.find
    types = Types(statements, find)
    report.violations.extend(check_impossible(statements, find, types, bundle))
    ordering, graph = check_ordering(statements, find, types, bundle)
    report.violations.extend(ordering)
    report.stats = {"records": len(records), "statements": len(statements), "merges": unification.merges,
                    "events": graph.events, "orderings": len(graph.edges)}
    return report


def check_document(document: pm.ProvDocument, *, flatten: bool = False) -> Report:
    """Validate a document: its toplevel instance and each bundle. Never raises for invalid PROV.

    With ``flatten``, the toplevel and all bundles are validated as one instance instead, which
    also finds inconsistencies between bundles (in the store: between runs).
    """
    if flatten:
        return check_records(list(document.flattened().get_records()))
    report = check_records(list(document.get_records()))
    for bundle in sorted(document.bundles, key=lambda b: str(b.identifier)):
        report.extend(check_records(list(bundle.get_records()), str(bundle.identifier)))
    return report
