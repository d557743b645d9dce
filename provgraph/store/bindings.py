"""Binding query variables for engines that take no separate bindings: a ``VALUES`` block in the text.

:func:`inject_values` puts ``VALUES (?a ?b) { (<iri> "literal") }`` first inside the query's outermost
``WHERE`` group. That is the meaning of a pre-bound variable (the same as Oxigraph's substitutions): the
value joins every solution before filters, grouping and aggregates see them, so it also works for
variables that are not projected. Terms are written by pyoxigraph (IRIs are validated on creation,
literals escaped) and variable names are checked, so a binding is always data and never changes the
query. The query is only scanned (comments, strings and IRIs are skipped) to find where the group opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

from ..errors import QueryError

# One lexical token a match; strings, comments and IRIs first so that braces inside them are skipped.
_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<brace>[{}])
    | (?P<word>[A-Za-z_][\w.-]*(?::[\w.:%\\-]*)?|:[\w.:%\\-]*|[?$]\w+)
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def values_block(bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """``VALUES (?a ?b) { (t1 t2) }`` for ``bindings``; raises :class:`QueryError` on a bad name or term."""
    names, terms = [], []
    for name, term in bindings.items():
        try:
            variable = ox.Variable(name)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"{name!r} is not a valid SPARQL variable name") from exc
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise QueryError(f"?{name} must be bound to an IRI or a literal, not {type(term).__name__}")
        names.append(str(variable))
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def _where_brace(sparql: str) -> int:
    """Offset of the ``{`` opening the outermost WHERE group of a query."""
    depth, form, template_done = 0, "", False
    for match in _TOKEN.finditer(sparql):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and depth == 0 and not form and text.upper() in _FORMS:
            form = text.upper()
            after = _TOKEN.search(sparql, match.end())
            while after is not None and after.lastgroup == "comment":
                after = _TOKEN.search(sparql, after.end())
            if form == "CONSTRUCT" and after is not None and after.group().upper() == "WHERE":
                raise QueryError("bindings cannot be used with the short form CONSTRUCT WHERE { ... }; "
                                 "write the template out: CONSTRUCT { ... } WHERE { ... }")
        elif kind == "brace" and text == "{":
            if depth == 0 and form and (form != "CONSTRUCT" or template_done):
                return match.start()
            depth += 1
        elif kind == "brace":
            depth -= 1
            if depth == 0 and form == "CONSTRUCT":
                template_done = True
    raise QueryError("bindings need a query with a WHERE clause")


def inject_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """``sparql`` with ``bindings`` as a VALUES block first in its WHERE group (unchanged if empty)."""
    if not bindings:
        return sparql
    block = values_block(bindings)
    at = _where_brace(sparql) + 1
    return f"{sparql[:at]} {block} {sparql[at:]}"
