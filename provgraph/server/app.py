"""The ASGI application (Starlette) and :func:`serve`, which runs it under uvicorn.

>>> app = create_app(ServerConfig(project="."))          # any ASGI server can run this
>>> serve(ServerConfig(project=".", port=8750))          # or let provgraph run uvicorn
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..admission import admit
from ..errors import InvalidEvent
from ..limits import check_sparql
from ..mapping import event_to_quads
from ..redaction import RedactingFilter
from . import api, explorer
from .auth import authorize
from .backend import Backend
from .config import ServerConfig
from .guard import CrossSiteGuard
from .ingest import loads, media_type, parse_events, read_body
from .openapi import openapi
from .problems import HANDLERS, ApiError
from .sparql import answer, extract_query


async def post_events(request: Request) -> Response:
    """Validate every event of the body, then record them all (journal, then store)."""
    who = authorize(request, "writer")
    body = await read_body(request, request.app.state.config.max_body_bytes)
    events = await run_in_threadpool(parse_events, body, media_type(request))
    receipt = await run_in_threadpool(request.app.state.backend.record, events, who)
    payload = {**receipt.as_dict(), "submitted_by": who.agent}
    return JSONResponse(payload, status_code=201 if receipt.stored else 202)


async def post_openlineage(request: Request) -> Response:
    """OpenLineage's HTTP transport (``/api/v1/lineage``): run events mapped to native events, then recorded."""
    from ..importers.openlineage import events_from_openlineage_payload

    who = authorize(request, "writer")
    body = await read_body(request, request.app.state.config.max_body_bytes)
    if media_type(request) != "application/json":
        raise ApiError(415, f"OpenLineage events are application/json, not {media_type(request) or '(none)'!r}")
    payload = await run_in_threadpool(loads, body)

    def convert() -> list[dict[str, object]]:
        if payload in ({}, []):
            raise InvalidEvent("no OpenLineage run event in the body (nothing recorded)")
        return [admit(event, event_to_quads) for event in events_from_openlineage_payload(payload)]

    events = await run_in_threadpool(convert)
    if not events:  # valid OTHER events: nothing about a run to record
        return JSONResponse({"recorded": 0, "note": "OTHER events state nothing provgraph records; START, RUNNING, "
                             "COMPLETE, FAIL and ABORT events do"}, status_code=202)
    receipt = await run_in_threadpool(request.app.state.backend.record, events, who)
    payload = {**receipt.as_dict(), "submitted_by": who.agent}
    return JSONResponse(payload, status_code=201 if receipt.stored else 202)


async def sparql_endpoint(request: Request) -> Response:
    authorize(request, "reader")
    body = b""
    if request.method == "POST":
        body = await read_body(request, request.app.state.config.max_body_bytes)
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
    return JSONResponse(openapi())


ROUTES = [
    Route("/openapi.json", openapi_document, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
    Route("/api/events", post_events, methods=["POST"]),
    Route("/api/v1/lineage", post_openlineage, methods=["POST"]),
    Route("/api/runs", api.list_runs, methods=["GET"]),
    Route("/api/runs/{run_id}", api.show_run, methods=["GET"]),
    Route("/api/impact", api.get_impact, methods=["GET"]),
    Route("/api/lineage", api.get_lineage, methods=["GET"]),
    Route("/api/who", api.get_who, methods=["GET"]),
    Route("/api/export", api.get_export, methods=["GET"]),
    Route("/api/diagram", api.get_diagram, methods=["GET"]),
    Route("/api/journal", journal, methods=["GET"]),
    Route("/api/admin/rebuild", rebuild, methods=["POST"]),
    Route("/sparql", sparql_endpoint, methods=["GET", "POST"]),
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


def serve(config: ServerConfig, log_level: str = "info") -> None:
    """Run the server under uvicorn until interrupted."""
    import uvicorn

    app = create_app(config)
    settings = uvicorn.Config(app, host=config.host, port=config.port, log_level=log_level, server_header=False,
                              proxy_headers=False)  # configures logging; then every handler masks credentials
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(RedactingFilter())
    uvicorn.Server(settings).run()
