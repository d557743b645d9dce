"""A store on any SPARQL 1.1 endpoint (Oxigraph server, Apache Jena Fuseki, GraphDB, Virtuoso, ...).

Queries and updates go through the SPARQL 1.1 Protocol; the default graph of the Graph Store Protocol
is read for ``dump`` and ``len``. Answers are parsed into pyoxigraph terms, so this store returns exactly
the :class:`~provgraph.store.Solutions` the embedded store returns. Every request goes through the one
HTTP client (:mod:`provgraph.store.http`): pooled keep-alive connections, retries, time-outs, and one
table from failures to errors.

Why not SPARQLWrapper (2.0), which this store used before: it sends every request through
``urllib.request.urlopen``, a new TCP connection each time (its ``setUseKeepAlive`` needs the third-party
``keepalive`` package and installs it as urllib's global opener, for the whole process); it has no
retries; its exceptions keep the server's answer only as a ``repr`` inside their message text, so the
reason for a 400 could be recovered only by parsing that text; and ``setQuery`` runs its regular
expressions over the whole text to guess the query form (19 s for an ``INSERT DATA`` of 100,000
triples, 6 MB), a form this store knows already. What it would add over the protocol (a form-encoded
POST, an ``Accept`` header) is a few lines here, and the answers are parsed by pyoxigraph anyway.

URI syntax::

    sparql+http[s]://[user[:password]@]host[:port][/base][?option=value&...]

Options (all optional):

``query=``, ``update=``, ``store=``
    The query, update and Graph Store Protocol addresses. A value starting with ``/`` is a path on the
    host, a value starting with ``http://`` or ``https://`` is used as it is, anything else is relative
    to ``/base``. Defaults suit Oxigraph server: ``query``, ``update`` and ``store`` under the base
    (Fuseki: ``sparql+http://host:3030/ds?query=sparql&update=update&store=data``).
    ``store=none`` says the server has no Graph Store Protocol: the default graph is then left out of
    ``dump`` and ``len`` (provgraph itself writes only named graphs).
``auth=basic|bearer|none``
    Basic auth takes ``user:password`` from the URI (or the password from ``PROVGRAPH_STORE_PASSWORD``);
    bearer auth sends the token in ``PROVGRAPH_STORE_TOKEN`` (or the variable named by ``token_env=``).
    The default is basic when the URI names a user, bearer when the token variable is set, else none.
    Prefer the environment to a password in the URI: the URI is written into the project config.
``union=server|param``
    How queries see the union of the named graphs as their default graph. ``server`` (the default): the
    server already does it: Oxigraph ``serve --union-default-graph``, Virtuoso and GraphDB by default,
    Fuseki/TDB2 with ``tdb2:unionDefaultGraph true``. ``param``: send Oxigraph's ``union-default-graph``
    request parameter with every query, for an Oxigraph server started without the flag.
``scope=IRI-PREFIX``
    Use only the named graphs whose IRI starts with the prefix (``graphs``, ``len``, ``dump`` and
    ``clear`` ignore everything else): for an endpoint shared with other data, or Virtuoso, whose
    system graphs must not be cleared. Example: ``scope=https://w3id.org/provgraph/id/``.
``retries=4``, ``backoff=0.5``, ``timeout=60``
    A request failing with a connection error, a time-out or an HTTP 5xx answer is retried ``retries``
    times, waiting ``backoff`` seconds and doubling the wait each time; ``timeout`` (seconds) bounds
    connecting and each wait for the answer (``timeout=0``: no limit). After a request has failed for
    good, the next ones are tried once until that much time has passed (at least 5 s), so recording
    against a down endpoint is not slowed down event after event.
``batch=0``
    Quads per update request. ``0`` (the default): each write is one request, stored whole or not at all.
    For an engine that refuses large requests (Virtuoso 7 compiles an ``INSERT DATA`` of about 5,000 quads
    out of memory): a write is then sent in requests of about that many quads, a run's bundle (a named
    graph) kept whole where it fits and the quads naming one blank node always together. Readers may see a
    write half done until its last request; one that fails part-way is sent whole again by the next
    catch-up or push (quads are a set: nothing is doubled).

Engines:

- Oxigraph server: ``oxigraph serve --location DIR --bind HOST:PORT --union-default-graph`` and
  ``sparql+http://HOST:PORT``.
- Virtuoso 7 (Debian's ``virtuoso-opensource``): grant updates to the endpoint's user once
  (``isql-vt HOST:1111 dba PASSWORD 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'``, or use an
  authenticated endpoint) and open
  ``sparql+http://HOST:8890?query=/sparql&update=/sparql&store=none&batch=1000&scope=https://w3id.org/provgraph/id/``.
  Virtuoso's default graph is already the union of all graphs, its own system graphs included, so
  ``scope`` keeps ``graphs``, ``len``, ``dump`` and, above all, ``clear`` off them.

Doubles: Virtuoso 7 writes an ``xsd:double`` with 6 significant digits in every result format (JSON, XML,
TSV, N-Triples: ``0.863946`` for ``0.8639455782312925``), and no server setting changes that. The first
time a SELECT answer holds a double, the store asks the engine to echo one that needs 17 digits. Where it
comes back rounded, a SELECT whose answer holds doubles (and whose projection is a list of variables) is
asked again whole, with a companion ``?v_exact`` for each variable ``?v`` that
held a double: ``STR(?v)`` (16 digits there) and the remainder ``STR(?v - xsd:double(STR(?v)))``, standard
SPARQL 1.1 (:func:`exact_text`), from which :func:`exact` rebuilds the double. So ``show``, ``diff``,
exports, ``dump``, ``write``, push and pull read every double as stored; answers without doubles, and every
answer of an engine that writes doubles whole, cost nothing more. CONSTRUCT answers, grouped answers and
the Graph Store Protocol's default graph are read as the engine writes them.

``graphs`` lists the named graphs holding at least one quad (an empty graph made by ``CREATE GRAPH``
is not listed, unlike the embedded store). ``add`` sends one ``INSERT DATA`` request per call (unless
``batch=`` says otherwise); SPARQL 1.1 Update makes a request atomic, so a batch is stored whole or not at
all, and a retried batch cannot be applied twice (quads are a set).
"""

from __future__ import annotations

import io
import math
import os
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, TypeGuard, TypeVar

import pyoxigraph as ox

from ..errors import ProvgraphError, QueryError, StoreError
from ..vocab import XSD
from .base import DURABLE, TRANSACTIONS, QueryResult, Solutions, Store, Term
from .bindings import inject_values, tokens, where_brace
from .http import HttpClient, basic, bearer
from .transfer import packed

T = TypeVar("T")

OPTIONS = ("query", "update", "store", "auth", "token_env", "union", "scope", "retries", "backoff", "timeout",
           "batch")
TOKEN_ENV = "PROVGRAPH_STORE_TOKEN"
PASSWORD_ENV = "PROVGRAPH_STORE_PASSWORD"
_RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
#: The name of the variable carrying another's exact value is that name with this suffix (see :func:`exact`).
EXACT = "_exact"
#: A double whose shortest text has 17 significant digits: an engine that answers it otherwise rounds doubles.
PROBE = 0.30000000000000004
#: Advice added to the HTTP client's message for these statuses.
HINTS = {401: f"see auth= in the store URI and ${TOKEN_ENV}", 404: "set query=, update= or store= in the store URI"}


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one SPARQL service, read from a ``sparql+http(s)://`` URI."""

    query_url: str
    update_url: str
    store_url: str | None
    authorization: str | None
    union: str = "server"
    scope: str | None = None
    retries: int = 4
    backoff: float = 0.5
    timeout: float = 60.0
    batch: int = 0
    display: str = ""

    @classmethod
    def from_uri(cls, uri: str) -> Endpoint:
        """Parse a store URI; raises :class:`StoreError` naming what is wrong."""
        if not uri.startswith(("sparql+http://", "sparql+https://")):
            raise StoreError(f"{uri!r} is not a sparql+http:// or sparql+https:// URI")
        parts = urllib.parse.urlsplit(uri.removeprefix("sparql+"))
        if not parts.hostname:
            raise StoreError(f"the store URI {uri!r} names no host")
        options: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            if key not in OPTIONS:
                raise StoreError(f"unknown option {key!r} in the store URI; valid options: {', '.join(OPTIONS)}")
            options[key] = value
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        base = parts.path.rstrip("/")

        def address(name: str) -> str:
            value = options.get(name, name)
            if value.startswith(("http://", "https://")):
                return value
            return origin + (value if value.startswith("/") else f"{base}/{value}")

        store = None if options.get("store") == "none" else address("store")
        union = options.get("union", "server")
        if union not in ("server", "param"):
            raise StoreError(f"union={union!r} in the store URI: use union=server or union=param")
        display = urllib.parse.urlunsplit(("sparql+" + parts.scheme, parts.netloc.rpartition("@")[2]
                                           if parts.password is None else
                                           f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}",
                                           parts.path, parts.query, ""))
        return cls(
            query_url=address("query"),
            update_url=address("update"),
            store_url=store,
            authorization=_authorization(parts, options),
            union=union,
            scope=options.get("scope") or None,
            retries=_number(options, "retries", 4, int),
            backoff=_number(options, "backoff", 0.5, float),
            timeout=_number(options, "timeout", 60.0, float),
            batch=_number(options, "batch", 0, int),
            display=display,
        )


def _number(options: Mapping[str, str], name: str, default: T, kind: Callable[[str], T]) -> T:
    if name not in options:
        return default
    try:
        value = kind(options[name])
    except ValueError:
        value = None
    if value is None or value < 0:  # type: ignore[operator]
        raise StoreError(f"{name}={options[name]!r} in the store URI is not a non-negative number")
    return value


def _authorization(parts: urllib.parse.SplitResult, options: Mapping[str, str]) -> str | None:
    """The ``Authorization`` header value for the URI's credentials, options and environment."""
    token = os.environ.get(options.get("token_env", TOKEN_ENV))
    auth = options.get("auth") or ("basic" if parts.username else "bearer" if token else "none")
    if auth == "none":
        return None
    if auth == "basic":
        if not parts.username:
            raise StoreError("auth=basic needs a user in the store URI: sparql+https://user@host/...")
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        password = password if password is not None else os.environ.get(PASSWORD_ENV)
        if password is None:
            raise StoreError(f"no password for {user!r}: put it in {PASSWORD_ENV} (or the store URI)")
        return basic(user, password)
    if auth == "bearer":
        if not token:
            raise StoreError(f"auth=bearer needs a token in ${options.get('token_env', TOKEN_ENV)}")
        return bearer(token)
    raise StoreError(f"auth={auth!r} in the store URI: use basic, bearer or none")


class SparqlStore(Store):
    """The store behind a SPARQL 1.1 Protocol (and optionally Graph Store Protocol) service."""

    capabilities = frozenset({DURABLE, TRANSACTIONS})

    def __init__(self, uri: str) -> None:
        self.endpoint = Endpoint.from_uri(uri)
        super().__init__(self.endpoint.display)
        self._parser = ox.Store()  # empty: checks syntax and reads the query form without a round trip
        self._http = HttpClient(authorization=self.endpoint.authorization, retries=self.endpoint.retries,
                                backoff=self.endpoint.backoff, timeout=self.endpoint.timeout, hints=HINTS)
        self._rounds: bool | None = None  # whether the engine answers doubles rounded; asked when one comes

    # -- HTTP ---------------------------------------------------------------------------------------
    def _ask(self, text: str, accept: str) -> tuple[bytes, str]:
        """POST a query (form-encoded); returns the answer's body and media type."""
        fields = {"query": text}
        if self.endpoint.union == "param":
            fields["union-default-graph"] = "true"
        answer = self._http.request("POST", self.endpoint.query_url, fields=fields, headers={"Accept": accept},
                                    invalid=QueryError)
        return answer.body, answer.media

    def _write(self, sparql: str, invalid: type[ProvgraphError]) -> None:
        """POST an update as it is (no URL-encoding of large updates)."""
        self._http.request("POST", self.endpoint.update_url, body=sparql.encode(),
                           headers={"Content-Type": "application/sparql-update; charset=UTF-8"},
                           invalid=invalid)

    def _get_graph_store(self, params: str) -> bytes:
        """GET from the Graph Store Protocol service (``params``: ``default`` or ``graph=...``)."""
        assert self.endpoint.store_url is not None
        answer = self._http.request("GET", f"{self.endpoint.store_url}?{params}",
                                    headers={"Accept": "application/n-triples"}, accept=(404,))
        return b"" if answer.status == 404 else answer.body  # GSP: no such graph, i.e. it is empty

    def close(self) -> None:
        self._http.close()

    # -- reading ------------------------------------------------------------------------------------
    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        try:
            local = self._parser.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL query: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"query failed on {self.uri}: {exc}") from exc
        if isinstance(local, ox.QueryTriples):
            body, media = self._ask(inject_values(sparql, bindings or {}), _GRAPH_ACCEPT)
            return [ox.Triple(q.subject, q.predicate, q.object) for q in self._parse_rdf(body, media)]
        if isinstance(local, ox.QueryBoolean):
            answer = self._results(inject_values(sparql, bindings or {}))
            if not isinstance(answer, bool):
                raise StoreError(f"{self.endpoint.query_url} answered a query of one form with results of another")
            return answer
        names = [v.value for v in local.variables]
        rows = self._rows(inject_values(sparql, bindings or {}), names)
        if self._rounds is not False:  # unknown, or known to round: which variables hold doubles?
            doubles = [name for name in names if any(_double(row.get(name)) for row in rows)]
            if doubles and self._rounds is None:
                self._rounds = self._rounds_doubles()
            exact_sparql = exact_text(sparql, doubles, self._parser) if doubles and self._rounds else None
            if exact_sparql:
                again = self._rows(inject_values(exact_sparql, bindings or {}), [*names, *(v + EXACT for v in doubles)])
                rows = _exact_rows(rows, again, doubles)
        return Solutions(names, rows)

    def _rows(self, text: str, names: list[str]) -> list[dict[str, Term]]:
        """The solutions of the SELECT query ``text`` on the variables ``names``."""
        answer = self._results(text)
        if isinstance(answer, bool):
            raise StoreError(f"{self.endpoint.query_url} answered a query of one form with results of another")
        remote, solutions = answer
        wanted = set(names)
        return [{name: value for name, value in zip(remote, solution, strict=True)
                 if value is not None and name in wanted}
                for solution in solutions]

    def _results(self, text: str) -> bool | tuple[list[str], list[ox.QuerySolution]]:
        body, media = self._ask(text, _RESULTS_ACCEPT)
        return self._parse_results(body, media)

    def _rounds_doubles(self) -> bool:
        """Whether the engine answers doubles rounded: it echoes :data:`PROBE` as another value."""
        found = self._rows(f"SELECT ?d WHERE {{ VALUES ?d {{ {ox.Literal(repr(PROBE), datatype=XSD.double)} }} }}",
                           ["d"])
        echoed = found[0].get("d") if found else None
        return _double(echoed) and float(echoed.value) != PROBE

    def _parse_results(self, body: bytes, media: str) -> bool | tuple[list[str], list[ox.QuerySolution]]:
        """A boolean, or the variable names and every solution (read off the wire now, so a broken
        answer fails here)."""
        kind = ox.QueryResultsFormat.from_media_type(media.split(";")[0].strip())
        if kind is None:
            raise StoreError(f"{self.endpoint.query_url} answered in {media or 'no media type'}, "
                             "not SPARQL JSON or XML results")
        try:
            answer = ox.parse_query_results(body, format=kind)
            if isinstance(answer, ox.QueryBoolean):
                return bool(answer)
            return [v.value for v in answer.variables], list(answer)
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"unreadable answer from {self.endpoint.query_url}: {exc}") from exc

    def _parse_rdf(self, body: bytes, media: str) -> list[ox.Quad]:
        kind = ox.RdfFormat.from_media_type(media.split(";")[0].strip())
        if kind is None:
            raise StoreError(f"{self.endpoint.query_url} answered in {media or 'no media type'}, not RDF")
        try:
            return list(ox.parse(body, format=kind))
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"unreadable RDF from {self.endpoint.query_url}: {exc}") from exc

    def _select(self, sparql: str) -> Solutions:
        result = self.query(sparql)
        assert isinstance(result, Solutions)
        return result

    def _scope_filter(self) -> str:
        if not self.endpoint.scope:
            return ""
        return f"FILTER(STRSTARTS(STR(?g), {ox.Literal(self.endpoint.scope)}))"

    def graphs(self) -> list[ox.NamedNode]:
        found = self._select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._scope_filter()} }}")
        return [g for g in found.column("g") if isinstance(g, ox.NamedNode)]

    def _default_graph(self) -> list[ox.Triple]:
        if self.endpoint.scope or self.endpoint.store_url is None:
            return []
        data = self._get_graph_store("default")
        try:
            return [ox.Triple(q.subject, q.predicate, q.object)
                    for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
        except SyntaxError as exc:
            raise StoreError(f"unreadable default graph from {self.endpoint.store_url}: {exc}") from exc

    def _named_quads(self, graph: ox.NamedNode | None = None) -> list[ox.Quad]:
        """The quads of the named graphs in scope, or of ``graph``."""
        where = f"GRAPH ?g {{ ?s ?p ?o }} {'' if graph else self._scope_filter()}"
        found = self.query(f"SELECT ?g ?s ?p ?o WHERE {{ {where} }}", {"g": graph} if graph else None)
        assert isinstance(found, Solutions)
        return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in found  # type: ignore[arg-type]
                if isinstance(row.get("g"), ox.NamedNode)]

    def dump(self, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS, graph: ox.NamedNode | None = None) -> bytes:
        buffer = io.BytesIO()
        self._serialize(self._statements(fmt, graph), buffer, fmt)
        return buffer.getvalue()

    def write(self, out: IO[bytes], fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> None:
        """The endpoint's answer is read whole (SPARQL has no streamed dump), then written."""
        self._serialize(self._statements(fmt, None), out, fmt, prefixes)

    def _statements(self, fmt: ox.RdfFormat, graph: ox.NamedNode | None) -> list[ox.Quad] | set[ox.Triple]:
        """One graph's quads, the whole dataset's, or (``fmt`` without named graphs) the union's triples."""
        if graph is not None:
            return [ox.Quad(q.subject, q.predicate, q.object) for q in self._named_quads(graph)]
        if fmt.supports_datasets:
            return [*(ox.Quad(t.subject, t.predicate, t.object) for t in self._default_graph()),
                    *self._named_quads()]
        return {*self._default_graph(), *(ox.Triple(q.subject, q.predicate, q.object) for q in self._named_quads())}

    def _serialize(self, statements: list[ox.Quad] | set[ox.Triple], out: IO[bytes], fmt: ox.RdfFormat,
                   prefixes: dict[str, str] | None = None) -> None:
        try:
            ox.serialize(statements, out, format=fmt, prefixes=prefixes)
        except BrokenPipeError:  # the reader went away (``| head``): not the store's failure
            raise
        except (ValueError, OSError) as exc:
            raise StoreError(f"cannot dump {self.uri} as {fmt}: {exc}") from exc

    def __len__(self) -> int:
        found = self._select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._scope_filter()} }}")
        count = found.rows[0].get("n") if found.rows else None
        if not isinstance(count, ox.Literal):
            raise StoreError(f"{self.endpoint.query_url} did not count the quads")
        return int(count.value) + len(self._default_graph())

    # -- writing ------------------------------------------------------------------------------------
    def add(self, quads: Iterable[ox.Quad]) -> None:
        """One update request, or with ``batch=`` requests of about that many quads (see the module)."""
        written = list(quads)
        for quad in written:
            if not isinstance(quad, ox.Quad):
                raise TypeError(f"a store holds Quads, not {type(quad).__name__}")
        if not written:
            return
        size = self.endpoint.batch
        for request in packed(_inseparable(written, size), size) if size else [written]:
            self._write(_insert(request), StoreError)

    def update(self, sparql: str, touching: Iterable[ox.NamedNode] | None = None) -> None:
        self._write(sparql, QueryError)

    def drop_graph(self, graph: ox.NamedNode) -> None:
        if not isinstance(graph, ox.NamedNode):
            raise StoreError(f"a graph to drop is a NamedNode, not {type(graph).__name__}")
        self._write(f"DROP SILENT GRAPH {graph}", StoreError)

    def clear(self) -> None:
        if not self.endpoint.scope:
            self._write("DROP ALL", StoreError)
            return
        graphs = self.graphs()
        if graphs:
            self._write(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in graphs), StoreError)


def _double(term: object) -> TypeGuard[ox.Literal]:
    return isinstance(term, ox.Literal) and term.datatype == XSD.double


def exact_text(sparql: str, variables: Collection[str], parser: ox.Store) -> str | None:
    """``sparql`` with beside each of ``variables`` ``?v`` its companion ``?v_exact``: ``STR(?v)`` and the
    remainder ``STR(?v - xsd:double(STR(?v)))``
    (``?v`` cast to a double); ``None`` for a projection that is not a list of variables (``*``, expressions),
    or a query that would not parse with them (grouped). Every solution is asked again: Virtuoso fails
    ``FILTER(isNumeric(?v))`` where ``?v`` is bound to a constant (SR586).

    Only for variables that hold doubles: Virtuoso fails a whole query whose arithmetic or cast it finds
    applied to a constant that is no number (``BIND("input" AS ?v)``, a one-row ``VALUES``), and hangs on some
    ``IF`` that could have guarded them."""
    found = [m for m in tokens(sparql) if m.lastgroup != "comment"]
    start = next((i for i, m in enumerate(found) if m.group().upper() == "SELECT"), len(found))
    names = []
    for token in found[start + 1:]:
        word = token.group()
        if word.upper() == "WHERE" or word == "{":
            break
        if token.lastgroup == "word" and word[0] in "?$":
            names += [word[1:]] if word[1:] in variables else []
        elif word.upper() not in ("DISTINCT", "REDUCED"):
            return None
    else:
        return None
    if not names:
        return None
    opened, depth = where_brace(sparql), 0
    for brace in (m for m in found if m.start() >= opened and m.lastgroup == "brace"):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            break
    double = f"<{XSD.double.value}>"
    # xsd:double(?v), not ?v: where ?v is no number, an error (unbound; " " on Virtuoso), not its text; and
    # Virtuoso refuses arithmetic on a variable it takes for a string (``?value`` of diff.rq), not a cast
    binds = " ".join(f'BIND(CONCAT(STR({double}(?{v})), " ", STR({double}(?{v}) - {double}(STR(?{v})))) '
                     f'AS ?{v}{EXACT})' for v in names)
    text = (f"{sparql[:token.start()]}{' '.join(f'?{v}{EXACT}' for v in names)} "
            f"{sparql[token.start():brace.start()]}{binds} {sparql[brace.start():]}")
    try:
        parser.query(text)
    except SyntaxError:
        return None
    return text


def _exact_rows(rows: list[dict[str, Term]], again: list[dict[str, Term]], doubles: list[str]
                ) -> list[dict[str, Term]]:
    """``rows`` with each row holding one of ``doubles`` replaced by its row of ``again`` (the answer to
    :func:`exact_text`: the same values with their companions), rebuilt by :func:`exact`. Rows are paired by
    the values the engine wrote; rows that show the same differ at most in doubles that round alike, so any
    pairing gives the same rows."""
    exact_rows: dict[frozenset[tuple[str, Term]], list[dict[str, Term]]] = {}
    for row in again:
        companions = {name: row.pop(name + EXACT, None) for name in doubles}
        exact_rows.setdefault(frozenset(row.items()), []).append(
            {**row, **{name: exact(row[name], companions[name]) for name in doubles if name in row}})
    kept = []
    for row in rows:
        found = exact_rows.get(frozenset(row.items())) if any(_double(row.get(v)) for v in doubles) else None
        kept.append(found.pop() if found else row)
    return kept


def exact(term: Term, companion: Term | None) -> Term:
    """``term``, or the ``xsd:double`` its companion (``STR(?v)`` and the remainder, see :func:`exact_text`)
    says where that is another value: the engine wrote it rounded. Written as Python's ``repr``, the shortest
    text of the value, as provgraph writes doubles."""
    if not _double(term) or not isinstance(companion, ox.Literal):
        return term
    text, _, remainder = companion.value.partition(" ")
    try:
        value = float(text) + float(remainder)
        shown = float(term.value)
    except ValueError:
        return term
    return term if value == shown or not math.isfinite(value) else ox.Literal(repr(value), datatype=XSD.double)


def _blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _insert(quads: list[ox.Quad]) -> str:
    """An ``INSERT DATA`` of ``quads``; with blank nodes ``INSERT { ... } WHERE {}`` (same effect, and engines
    such as Virtuoso refuse blank nodes in INSERT DATA)."""
    by_graph: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[str]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(f"{quad.subject} {quad.predicate} {quad.object} .")
    parts = []
    for graph, triples in by_graph.items():
        body = "\n".join(triples)
        parts.append(body if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{\n{body}\n}}")
    data = "{\n" + "\n".join(parts) + "\n}"
    return f"INSERT {data} WHERE {{}}" if any(_blank(q) for q in quads) else f"INSERT DATA {data}"


def _inseparable(quads: list[ox.Quad], size: int) -> list[list[ox.Quad]]:
    """``quads`` in groups no request may split: the quads naming one blank node together (a blank node
    is one node only within one request), a named graph's other quads in pieces of ``size``."""
    parent: dict[str, str] = {}  # blank nodes joined by the quads that name two of them (union-find)

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = node = parent[parent[node]]
        return node

    for quad in quads:
        if isinstance(quad.subject, ox.BlankNode) and isinstance(quad.object, ox.BlankNode):
            parent[root(quad.subject.value)] = root(quad.object.value)
    joined: dict[str, list[ox.Quad]] = {}
    by_graph: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[ox.Quad]] = {}
    for quad in quads:
        node = quad.subject if isinstance(quad.subject, ox.BlankNode) else quad.object
        if isinstance(node, ox.BlankNode):
            joined.setdefault(root(node.value), []).append(quad)
        else:
            by_graph.setdefault(quad.graph_name, []).append(quad)
    pieces = [group[at:at + size] for group in by_graph.values() for at in range(0, len(group), size)]
    return pieces + list(joined.values())


def open_uri(uri: str) -> Store:
    """Open the ``sparql+http(s)://`` store at ``uri`` (see the module docstring for the syntax)."""
    return SparqlStore(uri)
