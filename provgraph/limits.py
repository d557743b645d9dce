"""Bounds on hostile input, checked before a parser or engine can be made to crash or stall.

:func:`parse_json` reads untrusted JSON (CLI ingest, HTTP bodies): nesting depth, integer size, repeated
keys and lone surrogates (which no UTF-8 file can hold) are refused as :class:`InvalidEvent` instead of surfacing as
``RecursionError`` or ``UnicodeEncodeError`` later. :func:`check_sparql` refuses query texts whose
nesting or operator chains would overflow the engine's recursive parser (Oxigraph dies with SIGSEGV on
5,000 nested groups, and on 10,000 chained ``!``), or that are longer than the operator allows.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from .errors import InvalidEvent, QueryError
from .store.bindings import tokens

MAX_REFERENCE = 4096  # an event's longest text: a longer reference cannot name anything recorded
MAX_JSON_DEPTH = 64
MAX_INT_DIGITS = 64
DEFAULT_BODY_TIMEOUT_S = 60.0  # the server: seconds a request body may take to arrive (else 408)
DEFAULT_QUERY_TIMEOUT_S = 30.0  # the server's SPARQL endpoint: seconds before a query is abandoned
DEFAULT_MAX_RESULTS = 100_000  # rows (or triples) of one answer
DEFAULT_QUERY_SLOTS = 4  # queries evaluated at once
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_OPERATORS = frozenset("!+-*/|&=<>^")
_OPERATOR_WORDS = frozenset({"UNION", "MINUS", "OPTIONAL"})


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise InvalidEvent(f"an integer of {len(text.lstrip('-'))} digits; the limit is {MAX_INT_DIGITS}")
    return int(text)


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: parsers disagree on which of two equal keys wins."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidEvent(f"the key {key[:200]!r} appears twice in one object")
            seen.add(key)
    return data


def _check_tree(data: Any, surrogates: bool) -> None:
    """Depth of ``data`` at most :data:`MAX_JSON_DEPTH`; with ``surrogates``, every string UTF-8 safe."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise InvalidEvent(f"nested more than {MAX_JSON_DEPTH} levels deep")
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if surrogates and isinstance(key, str):
                    _utf8(key)
                stack.append((item, depth + 1))
        elif surrogates and isinstance(value, str):
            _utf8(value)


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEvent(f"a string holds a lone surrogate (\\u{ord(text[exc.start]):04x}); "
                           "text must be valid Unicode") from exc


def parse_json(data: str | bytes) -> Any:
    """Untrusted JSON, parsed; anything malformed, too deep, too large a number or not Unicode is
    an :class:`InvalidEvent` with one line saying why."""
    try:
        parsed = json.loads(data, parse_int=_parse_int, parse_constant=_reject_constant,
                            object_pairs_hook=_unique_keys)
    except RecursionError as exc:
        raise InvalidEvent(f"not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidEvent(f"not valid JSON: {exc}") from exc
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    _check_tree(parsed, surrogates=bool(_ESCAPED_SURROGATE.search(raw)) or isinstance(data, str))
    return parsed


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """The regular file ``path``, open for reading. A folder, FIFO or device (reading one could block or never
    end) raises :class:`OSError` saying so, as a missing file does."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "rb")


def read_bounded(source: str | os.PathLike[str] | IO[bytes], limit: int) -> bytes:
    """The bytes of the regular file ``source`` (a path, see :func:`open_regular`, or an open file), which
    must not exceed ``limit``: else :class:`OSError` saying so."""
    if isinstance(source, str | os.PathLike):
        with open_regular(source) as handle:
            return read_bounded(handle, limit)
    data = source.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than the limit of {limit} bytes")
    return data


def check_reference(ref: str) -> None:
    """Raise :class:`QueryError` for a reference that cannot name anything: too long or with control
    characters (which file system calls and error messages would otherwise trip over)."""
    if len(ref) > MAX_REFERENCE:
        raise QueryError(f"the reference is {len(ref)} characters long; no recorded name exceeds {MAX_REFERENCE}")
    if any(ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 for c in ref):
        raise QueryError("a reference cannot contain control characters or lone surrogates")


@dataclass(frozen=True)
class QueryLimits:
    """How large a SPARQL text may be: characters, bracket nesting and chained operators."""

    max_length: int = 100_000
    max_depth: int = 64
    max_operators: int = 2_000


def check_sparql(query: str, limits: QueryLimits = QueryLimits()) -> None:
    """Raise :class:`QueryError` if ``query`` exceeds ``limits`` (strings, IRIs and comments are skipped)."""
    if len(query) > limits.max_length:
        raise QueryError(f"the query is {len(query)} characters long; the limit is {limits.max_length}")
    depth = operators = 0
    for match in tokens(query):
        text, kind = match.group(), match.lastgroup
        if kind in ("brace", "other"):
            if text in "{([":
                depth += 1
                if depth > limits.max_depth:
                    raise QueryError(f"the query nests brackets more than {limits.max_depth} levels deep")
            elif text in "})]":
                depth = max(0, depth - 1)
            elif text in _OPERATORS:
                operators += 1
        elif kind == "word" and text.upper() in _OPERATOR_WORDS:
            operators += 1
        if operators > limits.max_operators:
            raise QueryError(f"the query has more than {limits.max_operators} operators; the limit keeps "
                             "the query parser within its stack")
