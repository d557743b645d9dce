"""The ASGI application (Starlette) and :func:`serve`, which runs it under uvicorn.

>>> app = create_app(ServerConfig(project="."))          # any ASGI server can run this
>>> serve(ServerConfig(project=".", port=0), listening=print)  # or let provgraph run uvicorn (any free port)
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import __version__
from .. import events as ev
from ..errors import InvalidEvent
from ..export import FORMATS as EXPORT_FORMATS
from ..limits import check_sparql
from ..redaction import RedactingFilter
from . import api, explorer
from .auth import authorize
from .backend import Backend, Receipt
from .config import Principal, ServerConfig
from .guard import CrossSiteGuard
from .ingest import loads, media_type, parse_events, read_body
from .openapi import BAD, NOT_FOUND, TOO_LARGE, ApiRoute, json_ok, openapi, operation, query_param, text_ok
from .problems import HANDLERS, ApiError
from .sparql import GRAPH_TYPES, RESULT_TYPES, answer, extract_query


async def post_events(request: Request) -> Response:
    """Validate every event of the body, then record them all (journal, then store)."""
    who = authorize(request, "writer")
    body = await read_body(request)
    content_type = media_type(request)
    backend = request.app.state.backend
    receipt = await run_in_threadpool(lambda: backend.record(parse_events(body, content_type), who))
    return _received(receipt, who)


def _received(receipt: Receipt, who: Principal) -> JSONResponse:
    """The answer to a write: what was recorded (201), or journaled while the store is unreachable (202)."""
    return JSONResponse({**receipt.as_dict(), "submitted_by": who.agent}, status_code=201 if receipt.stored else 202)


async def post_openlineage(request: Request) -> Response:
    """OpenLineage's HTTP transport (``/api/v1/lineage``): run events mapped to native events, then recorded
    with what they imply given what was recorded before (:func:`~provgraph.importers.openlineage.implied`)."""
    from ..importers.openlineage import events_from_openlineage_payload, implied

    who = authorize(request, "writer")
    body = await read_body(request)
    if media_type(request) != "application/json":
        raise ApiError(415, f"OpenLineage events are application/json, not {media_type(request) or '(none)'!r}")
    backend = request.app.state.backend

    def record() -> Receipt | None:  # one trip to a worker thread: parse, map to events, record
        payload = loads(body)
        if payload in ({}, []):
            raise InvalidEvent("no OpenLineage run event in the body (nothing recorded)")
        events = events_from_openlineage_payload(payload)  # validated
        return backend.record(events, who, implied) if events else None

    receipt = await run_in_threadpool(record)
    if receipt is None:  # valid OTHER events: nothing about a run to record
        return JSONResponse({"recorded": 0, "note": "OTHER events state nothing provgraph records; START, RUNNING, "
                             "COMPLETE, FAIL and ABORT events do"}, status_code=202)
    return _received(receipt, who)


async def sparql_endpoint(request: Request) -> Response:
    authorize(request, "reader")
    body = b""
    if request.method == "POST":
        body = await read_body(request)
    params = {key: request.query_params.getlist(key) for key in request.query_params}
    params.pop("format", None)
    query = extract_query(request.method, params, media_type(request), body)
    check_sparql(query, request.app.state.config.query_limits)
    store = await run_in_threadpool(lambda: request.app.state.backend.store)
    return await answer(request, store, query)


async def rebuild(request: Request) -> Response:
    authorize(request, "admin")
    count = await run_in_threadpool(request.app.state.backend.rebuild)
    return JSONResponse({"replayed": count})


async def journal(request: Request) -> Response:
    authorize(request, "reader")
    result = await run_in_threadpool(request.app.state.backend.project.verify)
    return JSONResponse(result.as_dict(), status_code=200 if result.ok else 409)


async def health(request: Request) -> Response:
    return JSONResponse({**request.app.state.backend.health(), "version": __version__})


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi(request.app.routes))


_RECEIPT = {"$ref": "#/components/schemas/Receipt"}
_GRAPH = json_ok("Rows (one per node reached, with its depth) and the edges traversed.",
                 {"$ref": "#/components/schemas/GraphResult"})
_REF = query_param("ref", "A run id, sha256 (or a prefix of 8+ hex digits), path, dataset name, agent id or IRI.",
                   required=True)
_AS_OF = query_param("as_of", "Answer as the graph stood then (RFC 3339).")
_ANSWERS = text_ok("The answer, in the format chosen by Accept or format.", [*RESULT_TYPES, *GRAPH_TYPES])
_ANSWER_FORMAT = query_param("format", "Answer format instead of Accept: " + ", ".join(
    dict.fromkeys(name for name, _ in (*RESULT_TYPES.values(), *GRAPH_TYPES.values()))) + ".")
_INGEST_ERRORS = {"413": TOO_LARGE, "415": BAD, "422": BAD}

ROUTES = [
    ApiRoute("/openapi.json", openapi_document, get=operation("This document.", ok=json_ok("OpenAPI 3.1."),
                                                               public=True)),
    ApiRoute("/api/health", health, get=operation("Liveness and store state (no token needed).",
                                                   ok=json_ok("ok or degraded."), public=True)),
    ApiRoute("/api/events", post_events, post=operation(
        "Record native events (all or nothing).",
        description="One event, a JSON array of events or JSON Lines. Every event is validated first; a bad one "
                    "is a 422 naming its position and field, and nothing is written. Each event is stamped with "
                    "the caller's agent (role 'submitter') and the time; an event id already recorded is counted "
                    "as a duplicate and not stored again.",
        requestBody={"required": True, "content": {
            "application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/Event"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}]}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "One event a line."}}}},
        responses={"201": json_ok("Recorded in the journal and the store.", _RECEIPT),
                   "202": json_ok("Recorded in the journal; the store will catch up (store_problem says why).",
                                  _RECEIPT), **_INGEST_ERRORS})),
    ApiRoute("/api/v1/lineage", post_openlineage, post=operation(
        "Record OpenLineage run events (the OpenLineage HTTP transport's endpoint).",
        description="One OpenLineage event or a JSON array; START, RUNNING (an update of its run), COMPLETE, FAIL "
                    "and ABORT run events become native events (OTHER is accepted and gives none), all validated "
                    "before any is recorded. A run seen only ending starts at its end event's time; a parent run "
                    "known only from a ParentRunFacet becomes a run of its job (no start time until its own START); "
                    "a START of a run already started, or an end of a run already ended otherwise, is recorded as an "
                    "update; an end dated before the run's start ends it at its start. The receipt lists implied "
                    "events too.",
        requestBody={"required": True, "content": {"application/json": {"schema": {
            "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}}},
        responses={"201": json_ok("Recorded.", _RECEIPT),
                   "202": json_ok("Recorded in the journal; the store will catch up.", _RECEIPT),
                   **_INGEST_ERRORS})),
    ApiRoute("/api/runs", api.list_runs, get=operation("Runs, newest first, filtered.", [
        query_param("kind", "Run kind.", schema={"enum": list(ev.RUN_KINDS)}),
        query_param("step", "Step name."), query_param("agent", "Agent id (directly or on whose behalf)."),
        query_param("label", "A label on the run."), query_param("since", "Started at or after (RFC 3339)."),
        query_param("until", "Started at or before (RFC 3339)."), query_param("commit", "Git commit prefix."),
        query_param("param", "Parameter condition such as n_estimators>=100.", many=True),
        query_param("metric", "Condition on a metric's final value such as accuracy>0.9.", many=True),
        query_param("limit", "At most this many runs.", schema={"type": "integer", "minimum": 1}),
    ], json_ok("The runs.", {"type": "object", "properties": {
        "runs": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}}}))),
    ApiRoute("/api/runs/{run_id}", api.show_run, get=operation(
        "Everything recorded about one run.",
        ok=json_ok("The run: status, times, agents, params, metrics, used, generated, environment, code."),
        responses={"404": NOT_FOUND})),
    ApiRoute("/api/impact", api.get_impact,
             get=operation("What was derived from ref, transitively.", [_REF, _AS_OF], _GRAPH)),
    ApiRoute("/api/lineage", api.get_lineage,
             get=operation("Where ref came from, transitively.", [_REF, _AS_OF], _GRAPH)),
    ApiRoute("/api/who", api.get_who, get=operation("Who generated, used, invalidated or ran ref, and when.", [_REF],
                                                    json_ok("One row per action and agent."))),
    ApiRoute("/api/export", api.get_export, get=operation(
        "The store, one run, or a lineage or impact in an audit format.", [
            query_param("format", "Export format.", schema={"enum": list(EXPORT_FORMATS), "default": "trig"}),
            query_param("run", "Export this run."), query_param("lineage", "Export the lineage of this reference."),
            query_param("impact", "Export the impact of this reference.")],
        text_ok("The document.", [fmt.media_type for fmt in EXPORT_FORMATS.values()]))),
    ApiRoute("/api/diagram", api.get_diagram, get=operation(
        "The lineage diagram (W3C PROV visual convention).", [
            query_param("ref", "Focus on this node."), query_param("run", "Draw this run."),
            query_param("format", "Diagram format.", schema={"enum": list(api.DIAGRAM_TYPES), "default": "svg"}),
            query_param("direction", "Around the focus.", schema={"enum": list(api.DIRECTIONS), "default": "both"}),
            query_param("depth", "Edges from the focus.", schema={"type": "integer", "minimum": 0}),
            query_param("highlight", "Outline everything derived from this node.")],
        text_ok("The diagram.", list(api.DIAGRAM_TYPES.values())))),
    ApiRoute("/api/journal", journal, get=operation(
        "Re-check the journal's hash chain.", ok=json_ok("The verification (409 when the chain is broken)."),
        responses={"409": json_ok("The journal is broken.")})),
    ApiRoute("/api/admin/rebuild", rebuild, post=operation("Rebuild the store from the journal (admin).",
                                                           ok=json_ok("How many events were replayed."))),
    ApiRoute("/sparql", sparql_endpoint,
             get=operation("SPARQL 1.1 Protocol query (read-only).",
                           [query_param("query", "The SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)."),
                            _ANSWER_FORMAT], _ANSWERS, {"406": BAD}),
             post=operation("SPARQL 1.1 Protocol query by POST; updates are refused with 403.", [_ANSWER_FORMAT],
                            _ANSWERS, {"413": TOO_LARGE},
                            requestBody={"content": {
                                "application/sparql-query": {"schema": {"type": "string"}},
                                "application/x-www-form-urlencoded": {"schema": {
                                    "type": "object", "properties": {"query": {"type": "string"}}}}}})),
    *explorer.ROUTES,
]


def create_app(config: ServerConfig, backend: Backend | None = None) -> Starlette:
    """The application serving ``config.project`` (and ``config.store``); closes the store on shutdown."""
    config.check()
    opened = backend or Backend(config.project, config.store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            opened.close()

    app = Starlette(routes=ROUTES, exception_handlers=HANDLERS, lifespan=lifespan,
                    middleware=[Middleware(CrossSiteGuard)])
    app.state.config = config
    app.state.backend = opened
    app.state.query_slots = threading.BoundedSemaphore(config.query_slots)
    return app


def serve(config: ServerConfig, log_level: str = "info", listening: Callable[[str], None] | None = None) -> None:
    """Run the server under uvicorn until interrupted.

    ``listening`` is called with the server's address (``http://host:port``) once it listens; with
    ``config.port`` 0 the system chooses the port, and this is how to learn it.
    """
    import uvicorn

    app = create_app(config)
    settings = uvicorn.Config(app, host=config.host, port=config.port, log_level=log_level, server_header=False,
                              proxy_headers=False)  # configures logging; then every handler masks credentials
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(RedactingFilter())
    sock = settings.bind_socket()
    sock.listen(settings.backlog)  # connections made as soon as the address is announced wait, not fail
    # asyncio turns Nagle off only for sockets it made itself (proto IPPROTO_TCP; this one has proto 0);
    # with it on, a response written in two parts waits for the client's delayed ACK: 40 ms a request.
    # Linux gives accepted connections the listening socket's TCP_NODELAY.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if listening:
        host, port = sock.getsockname()[:2]
        listening(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}")
    uvicorn.Server(settings).run(sockets=[sock])
