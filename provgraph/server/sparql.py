"""The SPARQL 1.1 Protocol endpoint (``GET/POST /sparql``), read-only.

A query arrives as the ``query`` parameter (URL or form) or as an ``application/sparql-query`` body.
Updates (an ``update`` parameter or an ``application/sparql-update`` body) are refused with 403, and so
are ``SERVICE`` clauses, which would make the server fetch other URLs. SELECT and ASK answers are
written as SPARQL JSON, XML, CSV or TSV and graphs (CONSTRUCT, DESCRIBE) as Turtle, N-Triples, RDF/XML or
JSON-LD, chosen by the ``Accept`` header (or a ``format`` parameter).

Limits the operator sets (:class:`~provgraph.server.config.ServerConfig`): a query text that is too long
or too deeply nested is refused before it reaches the engine (:func:`provgraph.limits.check_sparql`),
at most ``query_slots`` queries are evaluated at once, an answer that takes longer than
``query_timeout_s`` is abandoned with a 503 (the engine cannot be interrupted, so the query keeps its
slot until it ends), and an answer of more than ``max_results`` rows is refused.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence

import anyio
import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from ..store import QueryResult, Solutions, Store
from ..store.bindings import is_update, tokens
from .problems import ApiError

READ_ONLY = "this SPARQL endpoint is read-only: updates are refused (record events with POST /api/events instead)"

#: Media type -> (short name, results format) for SELECT and ASK answers; the first is the default.
RESULT_TYPES: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "application/sparql-results+json": ("json", ox.QueryResultsFormat.JSON),
    "application/sparql-results+xml": ("xml", ox.QueryResultsFormat.XML),
    "text/csv": ("csv", ox.QueryResultsFormat.CSV),
    "text/tab-separated-values": ("tsv", ox.QueryResultsFormat.TSV),
    "application/json": ("json", ox.QueryResultsFormat.JSON),
}
#: SPARQL defines no CSV or TSV form for an ASK answer.
BOOLEAN_FORMATS = (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML)


def native(result: Solutions | bool) -> ox.QuerySolutions | ox.QueryBoolean:
    """``result`` as a pyoxigraph answer, which writes every SPARQL results format.

    Every store (embedded, memory, remote) answers with :class:`~provgraph.store.Solutions`, and
    pyoxigraph answers cannot be built from Python, so they are read back from SPARQL TSV, whose cells
    are the terms in N-Triples syntax (``str(term)``, written by pyoxigraph): lossless, and the one
    place where the server converts.
    """
    if isinstance(result, bool):
        text = "true" if result else "false"
    else:
        head = "\t".join(f"?{name}" for name in result.variables)
        lines = ["\t".join(str(row[name]) if name in row else "" for name in result.variables)
                 for row in result.rows]
        text = "\n".join([head, *lines, ""])
    return ox.parse_query_results(text.encode(), format=ox.QueryResultsFormat.TSV)


#: Media type -> (short name, RDF format) for CONSTRUCT and DESCRIBE answers; the first is the default.
GRAPH_TYPES: dict[str, tuple[str, ox.RdfFormat]] = {
    "text/turtle": ("turtle", ox.RdfFormat.TURTLE),
    "application/n-triples": ("ntriples", ox.RdfFormat.N_TRIPLES),
    "application/rdf+xml": ("rdfxml", ox.RdfFormat.RDF_XML),
    "application/ld+json": ("jsonld", ox.RdfFormat.JSON_LD),
    "text/plain": ("ntriples", ox.RdfFormat.N_TRIPLES),
}


def negotiate(accept: str, offered: Sequence[str], fmt: str | None, names: Mapping[str, str]) -> str:
    """The offered media type that best matches ``accept`` (``fmt``, a short name, wins); 406 if none."""
    if fmt:
        for media, name in names.items():
            if fmt in (name, media):
                return media
        choices = ", ".join(dict.fromkeys(names.values()))
        raise ApiError(400, f"unknown format {fmt!r} for this query; choose one of {choices}", "format")
    if not accept.strip():
        return offered[0]
    best, best_q = None, 0.0
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        wanted, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for media in offered:
            if wanted in (media, "*/*") or (wanted.endswith("/*") and media.startswith(wanted[:-1])):
                score = q - position * 1e-6
                if score > best_q:
                    best, best_q = media, score
                break
    if best is None:
        raise ApiError(406, f"cannot answer in {accept!r}; this query can be answered as {', '.join(offered)}")
    return best


def _is_refused_keyword(query: str, keyword: str) -> bool:
    """Whether ``keyword`` occurs as a word of the query (not inside a string, IRI or comment)."""
    return any(m.lastgroup == "word" and m.group().upper() == keyword for m in tokens(query))


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "the form body is not UTF-8") from exc


def extract_query(method: str, params: Mapping[str, list[str]], content_type: str, body: bytes) -> str:
    """The query text of a protocol request; 403 for updates, 400 for anything malformed."""
    fields = {k: list(v) for k, v in params.items()}
    if method == "POST":
        if content_type == "application/sparql-update":
            raise ApiError(403, READ_ONLY)
        if content_type == "application/x-www-form-urlencoded":
            for key, values in _form(body).items():
                fields.setdefault(key, []).extend(values)
        elif content_type == "application/sparql-query":
            try:
                fields.setdefault("query", []).append(body.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ApiError(400, "the query body is not UTF-8") from exc
        elif body.strip():
            raise ApiError(415, f"unsupported content type {content_type!r}; send application/sparql-query or "
                                "application/x-www-form-urlencoded")
    if "update" in fields:
        raise ApiError(403, READ_ONLY, "update")
    for dataset in ("default-graph-uri", "named-graph-uri"):
        if dataset in fields:
            raise ApiError(400, f"{dataset} is not supported: the default graph is the union of all named "
                                "graphs; use FROM or GRAPH in the query", dataset)
    queries = fields.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise ApiError(400, "give exactly one SPARQL query (the 'query' parameter or an "
                            "application/sparql-query body)", "query")
    query = queries[0]
    if is_update(query):
        raise ApiError(403, READ_ONLY, "query")
    if _is_refused_keyword(query, "SERVICE"):
        raise ApiError(403, "SERVICE (federated) queries are refused: the server does not fetch other URLs",
                       "query")
    return query


async def _evaluate(request: Request, store: Store, query: str) -> QueryResult:
    """``query``'s answer within the server's query slots, time and size limits."""
    config, slots = request.app.state.config, request.app.state.query_slots
    if not slots.acquire(blocking=False):
        raise ApiError(503, f"all {config.query_slots} query slots are busy; retry later",
                       headers={"Retry-After": "5"})

    def evaluate() -> QueryResult:
        try:
            return store.query(query)
        finally:
            slots.release()

    try:
        with anyio.fail_after(config.query_timeout_s):
            result = await anyio.to_thread.run_sync(evaluate, abandon_on_cancel=True)
    except TimeoutError as exc:
        raise ApiError(503, f"the query ran longer than this server's limit of {config.query_timeout_s:g} s; "
                            "narrow it down or add a LIMIT", "query") from exc
    size = len(result.rows) if isinstance(result, Solutions) else len(result) if isinstance(result, list) else 0
    if size > config.max_results:
        raise ApiError(400, f"the answer has {size} results; this server's limit is {config.max_results}: "
                            "add a LIMIT (and OFFSET to page through it)", "query")
    return result


async def answer(request: Request, store: Store, query: str) -> Response:
    """Run ``query`` on ``store`` and write the answer in the negotiated format."""
    result = await _evaluate(request, store, query)
    accept = request.headers.get("accept", "")
    fmt = request.query_params.get("format")
    if isinstance(result, list):
        graph_names = {media: name for media, (name, _) in GRAPH_TYPES.items()}
        media = negotiate(accept, list(GRAPH_TYPES), fmt, graph_names)
        body = ox.serialize(result, format=GRAPH_TYPES[media][1]) or b""
    else:
        offered = [m for m in RESULT_TYPES if not isinstance(result, bool) or RESULT_TYPES[m][1] in BOOLEAN_FORMATS]
        names = {media: RESULT_TYPES[media][0] for media in offered}
        media = negotiate(accept, offered, fmt, names)
        body = native(result).serialize(format=RESULT_TYPES[media][1]) or b""
    charset = "; charset=utf-8" if media.startswith("text/") else ""
    return Response(body, media_type=media + charset, headers={"Vary": "Accept"})

