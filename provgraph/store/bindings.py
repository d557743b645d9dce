"""Binding query variables for engines that take no separate bindings: a ``VALUES`` block in the text.

:func:`inject_values` puts ``VALUES (?a ?b) { (<iri> "literal") }`` first inside the query's outermost
``WHERE`` group. That is the meaning of a pre-bound variable (the same as Oxigraph's substitutions): the
value joins every solution before filters, grouping and aggregates see them, so it also works for
variables that are not projected. Terms are written by pyoxigraph (IRIs are validated on creation,
literals escaped) and variable names are checked, so a binding is always data and never changes the
query. The query is only scanned (comments, strings and IRIs are skipped) to find where the group opens.
Where they may, bound variables in the group are also replaced by their terms, so that the engine
plans from the constant as it would with a pre-bound variable (a VALUES join alone can make Oxigraph
walk a property path from every node first). Binding a variable the query itself assigns
(``BIND(... AS ?v)``) is not supported: engines answer it differently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

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


def tokens(sparql: str) -> Iterator[re.Match[str]]:
    """The lexical tokens of a SPARQL text (group names: comment, string, iri, brace, word, other)."""
    return _TOKEN.finditer(sparql)


UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})


def is_update(sparql: str) -> bool:
    """Whether the first keyword of ``sparql`` (after prologue declarations) is an update operation."""
    for match in tokens(sparql):
        word = match.group().upper()
        if match.lastgroup != "word" or word in ("PREFIX", "BASE") or ":" in word:
            continue
        return word in UPDATE_WORDS
    return False


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


def where_brace(sparql: str) -> int:
    """Offset of the ``{`` opening the outermost WHERE group of a query."""
    return (_kept_brace if len(sparql) <= _SCANNED_ONCE else _brace)(sparql)


def _brace(sparql: str) -> int:
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


def _substitute(sparql: str, at: int, terms: Mapping[str, str]) -> str:
    """The text with bound variables of the WHERE group opening at ``at`` replaced by their terms.

    Left alone: sub-queries (their variables are their own), and every occurrence of a variable that
    also appears where only a variable may stand (``AS ?v``, ``VALUES``, ``BOUND(?v)``).
    """
    scan = _kept_scan if len(sparql) <= _SCANNED_ONCE else _scan
    for start, end, name in reversed(scan(sparql, at, frozenset(terms))):
        sparql = f"{sparql[:start]}{terms[name]}{sparql[end:]}"
    return sparql


#: Texts up to this length have their scan kept (a shipped query asked again and again); longer ones, such
#: as a query with thousands of nodes written in, are scanned each time rather than kept.
_SCANNED_ONCE = 20_000


def _scan(sparql: str, at: int, names: frozenset[str]) -> tuple[tuple[int, int, str], ...]:
    """Where :func:`_substitute` writes a term: (start, end, variable name) of each occurrence of one of
    ``names`` it may replace, in text order."""
    depth, floor, in_values = 0, -1, False  # floor: the depth at which a skipped region ends
    seen: list[tuple[int, int, str]] = []
    unsafe: set[str] = set()
    before: list[str] = ["", ""]
    for match in _TOKEN.finditer(sparql, at):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        word = text.upper()
        if kind == "brace":
            depth += 1 if text == "{" else -1
            if text == "}" and depth == floor:
                floor, in_values = -1, False
            if depth == 0:
                break
        elif floor < 0 and word == "SELECT":
            floor = depth - 1
        elif floor < 0 and word == "VALUES":
            floor, in_values = depth, True
        elif kind == "word" and text[0] in "?$" and text[1:] in names:
            if in_values or before[-1] == "AS" or before[-2:] == ["BOUND", "("]:
                unsafe.add(text[1:])
            elif floor < 0:
                seen.append((match.start(), match.end(), text[1:]))
        before = [before[-1], word]
    return tuple(place for place in seen if place[2] not in unsafe)


_kept_scan = functools.lru_cache(maxsize=128)(_scan)
_kept_brace = functools.lru_cache(maxsize=128)(_brace)


@functools.lru_cache(maxsize=256)
def _substitution_parses(sparql: str, shape: tuple[tuple[str, str], ...], example: str) -> bool:
    """Whether ``sparql`` still parses with its variables replaced by terms of ``shape`` (name, kind):
    the answer depends on where the terms go and what kind they are, not on their values, so it is
    worked out once per query and shape, from ``example``."""
    try:
        ox.Store().query(example)
    except SyntaxError:
        return False
    return True


def inject_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """``sparql`` with ``bindings`` as a VALUES block first in its WHERE group (unchanged if empty).

    Where a bound variable may be replaced by its term in the group, it is as well: the engine then
    starts from the constant (a property path from one node rather than from every node, then
    joined), which is what pre-bound variables give an embedded engine.
    """
    if not bindings:
        return sparql
    block = values_block(bindings)
    at = where_brace(sparql)
    plain = f"{sparql[:at + 1]} {block} {sparql[at + 1:]}"
    substituted = _substitute(sparql, at, {name: str(term) for name, term in bindings.items()})
    if substituted == sparql:
        return plain
    fast = f"{substituted[:at + 1]} {block} {substituted[at + 1:]}"
    shape = tuple(sorted((name, type(term).__name__) for name, term in bindings.items()))
    return fast if _substitution_parses(sparql, shape, fast) else plain
