"""Running the shipped queries (``queries/*.rq``) and any other SPARQL with safely bound parameters.

Parameters are passed as terms (``bindings``), never pasted into the text: the embedded store
substitutes them, a remote store sends them as a ``VALUES`` block. Python values are turned into
literals here, so a string is always a string literal, however many quotes or braces it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from ..errors import QueryError
from ..events import parse_time
from ..resources import query_text
from ..store import QueryResult, Solutions, Store, Term
from ..store.bindings import inject_values, is_update, tokens, where_brace
from ..vocab import PREFIXES, XSD, literal

#: The text of the shipped query ``queries/<name>.rq``.
load = query_text


def moment(value: str | datetime, name: str) -> datetime:
    """A timezone-aware instant from a timestamp string or datetime; ``name`` says which option it was."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = parse_time(value)
        except ValueError as exc:
            raise QueryError(f"{name} {value!r} is not a date-time (e.g. 2024-05-01T12:00:00Z)") from exc
    if moment.tzinfo is None:
        raise QueryError(f"{name} {value!r} has no time zone; add one (e.g. Z or +02:00)")
    return moment


def term(value: Any) -> Term:
    """A SPARQL term for a Python value: terms pass through, everything else becomes a literal."""
    if isinstance(value, NamedNode | Literal | BlankNode):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise QueryError(f"{value.isoformat()} has no time zone; give one (e.g. +00:00)")
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    if isinstance(value, bool | int | float):
        return literal(value)
    if isinstance(value, str):
        return Literal(value)
    raise QueryError(f"cannot bind a {type(value).__name__} to a SPARQL variable")


def with_prefixes(text: str) -> str:
    """``text`` with the usual prefixes (prov, provml, rdf, rdfs, xsd, mls and the id namespaces such as
    ``run:`` and ``data:``) declared on one line before it, unless it declares them itself."""
    declared = {m.group().upper() for m in tokens(text) if m.lastgroup == "word"}
    missing = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if f"{name.upper()}:" not in declared]
    return " ".join(missing) + "\n" + text


def explain(exc: QueryError, text: str, what: str = "query") -> QueryError:
    """A syntax error of ``text`` (run as :func:`with_prefixes` wrote it) as one line with its position."""
    cause = exc.__cause__
    found = _POSITION.match(" ".join(str(cause).split())) if isinstance(cause, SyntaxError) else None
    if found is None:
        return exc
    line, column, detail = int(found["line"]) - 1, int(found["column"]), found["detail"]
    if "Prefix not found" in detail:
        detail = "unknown prefix (declare it: PREFIX name: <iri>)"
    elif len(detail) > 100:
        detail = detail[:97] + "..."
    source = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    near = source[max(column - 25, 0):column + 5].strip()
    return QueryError(f"invalid SPARQL {what} at line {line}, column {column}"
                      + (f" (near {near!r})" if near else "") + f": {detail}")


_POSITION = re.compile(r"error at (?P<line>\d+):(?P<column>\d+): (?P<detail>.*)")


def sparql(store: Store, text: str, /, **bindings: Any) -> QueryResult:
    """Run any SPARQL query on ``store`` with ``bindings`` (variable name -> value) bound safely.

    ``sparql(store, "SELECT ?s WHERE { ?s rdfs:label ?name }", name="raw.csv")``. A ``None`` value
    leaves the variable unbound. The usual prefixes are predefined (see :func:`with_prefixes`); a syntax
    error names its line and column. Returns :class:`Solutions`, a ``bool`` (ASK) or triples.
    """
    if is_update(text):
        raise QueryError("this is an update, not a query; run it with store.update() (provgraph sparql --update)")
    bound = {name: term(value) for name, value in bindings.items() if value is not None}
    try:
        return store.query(with_prefixes(text), bound)
    except QueryError as exc:
        raise explain(exc, text) from exc


def _shipped(store: Store, name: str, bindings: dict[str, Any]) -> QueryResult:
    """Run a shipped query with its parameters as a ``VALUES`` block, on every backend alike.

    The block is written by pyoxigraph from terms (see :mod:`provgraph.store.bindings`), so a value is
    always data. Embedded Oxigraph plans some traversals better this way than with substitutions, and
    every backend receives the very same text.
    """
    bound = {key: term(value) for key, value in bindings.items() if value is not None}
    return store.query(inject_values(load(name), bound) if bound else load(name))


def solutions(result: QueryResult, name: str) -> Solutions:
    """``result`` of the shipped SELECT query ``name``, checked to be solutions."""
    if not isinstance(result, Solutions):  # pragma: no cover - shipped queries are SELECT or ASK
        raise QueryError(f"query {name!r} is not a SELECT query")
    return result


def select(store: Store, name: str, /, **bindings: Any) -> Solutions:
    """Run the shipped SELECT query ``name`` and return its solutions."""
    return solutions(_shipped(store, name, bindings), name)


#: Nodes per VALUES block in :func:`select_many`.
CHUNK = 2000


def select_many(store: Store, name: str, variable: str, nodes: list[NamedNode],
                text: str | None = None, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
    """Run the shipped SELECT query ``name`` (or its ``text``) for many nodes, ``VALUES ?variable { ... }``
    first in its WHERE group, in chunks, with ``bindings`` substituted by the store. The terms are written
    by pyoxigraph, so they are always data."""
    text = load(name) if text is None else text
    where = where_brace(text) + 1
    rows: list[dict[str, Term]] = []
    for start in range(0, len(nodes), CHUNK):
        terms = " ".join(str(node) for node in nodes[start:start + CHUNK])
        query = f"{text[:where]}\n  VALUES ?{variable} {{ {terms} }}{text[where:]}"
        rows += solutions(store.query(query, bindings), name).rows
    return rows


def select_numbered(store: Store, name: str, variable: str, iris: Sequence[str],
                    text: str | None = None) -> Iterator[tuple[int, dict[str, Term]]]:
    """Run the shipped SELECT query ``name`` (or its ``text``) for many nodes, ``VALUES (?variable ?at)``
    first in its WHERE group numbering them, in chunks; yields (position in ``iris``, row) pairs, one
    chunk's answer held at a time.

    The query answers with ``?at`` rather than the node: writing out a long IRI costs the embedded store
    a dictionary look-up per row, a number costs nothing. The terms are written by pyoxigraph."""
    text = load(name) if text is None else text
    where = where_brace(text) + 1
    for start in range(0, len(iris), CHUNK):
        pairs = " ".join(f"({NamedNode(iri)} {start + offset})" for offset, iri in enumerate(iris[start:start + CHUNK]))
        result = solutions(store.query(f"{text[:where]}\n  VALUES (?{variable} ?at) {{ {pairs} }}{text[where:]}"), name)
        yield from ((int(row["at"].value), row) for row in result.rows)


def fill_values(text: str, variables: Sequence[str], rows: Iterable[Sequence[Term]]) -> str:
    """``text`` with the empty ``VALUES (?a ?b) { }`` block of ``variables`` filled with ``rows`` (terms
    written by pyoxigraph): a fixed table the caller owns, such as the classes it tells apart."""
    wanted = ["VALUES", "(", *(f"?{name}" for name in variables), ")", "{", "}"]
    found = [m for m in tokens(text) if m.lastgroup != "comment"]
    for i in range(len(found) - len(wanted) + 1):
        if [m.group().upper() if j == 0 else m.group() for j, m in enumerate(found[i:i + len(wanted)])] == wanted:
            at = found[i + len(wanted) - 1].start()
            block = " ".join(f"({' '.join(str(term) for term in row)})" for row in rows)
            return f"{text[:at]}{block} {text[at:]}"
    raise QueryError(f"the query has no empty VALUES ({' '.join('?' + v for v in variables)}) {{ }} block")


def ask(store: Store, name: str, /, **bindings: Any) -> bool:
    """Run the shipped ASK query ``name``."""
    result = _shipped(store, name, bindings)
    if not isinstance(result, bool):  # pragma: no cover
        raise QueryError(f"query {name!r} is not an ASK query")
    return result


def text_of(value: Term | None) -> str | None:
    """The lexical value of a term (``None`` stays ``None``); an ``xsd:boolean`` or ``xsd:dateTime`` in its
    canonical form, as Oxigraph stores them, where Virtuoso answers ``true`` as ``"1"`` and pads a fraction of
    a second with zeros (``10.6432Z`` as ``10.643200Z``): lexical forms XSD allows, that a reader would print."""
    if value is None:
        return None
    if isinstance(value, Literal) and value.datatype == XSD.boolean:
        return _BOOLEAN_FORMS.get(value.value, value.value)
    if isinstance(value, Literal) and value.datatype == XSD.dateTime:
        return _PADDED_FRACTION.sub(r"\1", value.value)
    return value.value if isinstance(value, NamedNode | Literal) else str(value)


#: The lexical forms of ``xsd:boolean`` by their canonical form.
_BOOLEAN_FORMS = {"1": "true", "0": "false"}
#: The trailing zeros of a dateTime's fraction of a second (and its point, if nothing else is left).
_PADDED_FRACTION = re.compile(r"(T\d\d:\d\d:\d\d(?:\.\d*[1-9])?)\.?0+(?=\D|$)")
