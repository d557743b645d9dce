"""The OpenAPI 3.1 description of the server (served at ``/openapi.json``), derived from its routes.

Each route is an :class:`ApiRoute` that carries its operations, one per HTTP method, so a route and
its description are declared together and the route's methods are the described ones:

>>> ApiRoute("/api/health", health, get=operation("Liveness.", ok=json_ok("ok or degraded."), public=True))

:func:`openapi` walks the routes; path parameters come from the route's path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Route

from .. import __version__
from .. import events as ev

Operation = dict[str, Any]

_EVENT_SCHEMA = "https://w3id.org/provgraph/schemas/event-1.schema.json"
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")  # "{path:path}" -> "{path}"


def _response(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


BAD, NOT_FOUND, TOO_LARGE = _response("BadRequest"), _response("NotFound"), _response("TooLarge")
#: The refusals every protected operation may answer.
ERRORS = {"400": BAD, "401": _response("Unauthorized"), "403": _response("Forbidden")}


class ApiRoute(Route):
    """A route with its OpenAPI operations by HTTP method (``get=...``, ``post=...``), which are its methods."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **operations: Operation) -> None:
        super().__init__(path, endpoint, methods=[method.upper() for method in operations])
        self.operations = operations


def query_param(name: str, description: str = "", required: bool = False, schema: dict[str, Any] | None = None,
                many: bool = False) -> dict[str, Any]:
    """A query parameter (``many``: it may be repeated)."""
    value = schema or {"type": "string"}
    return {"name": name, "in": "query", "required": required, **({"description": description} if description else {}),
            "schema": {"type": "array", "items": value} if many else value, **({"explode": True} if many else {})}


def json_ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def text_ok(description: str, media_types: Sequence[str]) -> dict[str, Any]:
    """A response in one of ``media_types``."""
    return {"description": description, "content": {media: {"schema": {"type": "string"}} for media in media_types}}


def operation(summary: str, parameters: Sequence[dict[str, Any]] = (), ok: dict[str, Any] | None = None,
              responses: dict[str, Any] | None = None, public: bool = False, **more: Any) -> Operation:
    """An operation answering ``ok`` (200); a ``public`` one needs no token and refuses nothing."""
    answers = {**({"200": ok} if ok else {}), **({} if public else ERRORS), **(responses or {})}
    return {"summary": summary, **({"parameters": list(parameters)} if parameters else {}), **more,
            **({"security": []} if public else {}), "responses": answers}


def openapi(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI document describing the :class:`ApiRoute` among ``routes``."""
    paths: dict[str, dict[str, Operation]] = {}
    for route in routes:
        if not isinstance(route, ApiRoute):
            continue
        in_path = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                   for name in route.param_convertors]
        paths[_CONVERTOR.sub(r"{\1}", route.path)] = {
            method: {**op, **({"parameters": in_path + op.get("parameters", [])} if in_path else {})}
            for method, op in route.operations.items()
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "provgraph server", "version": __version__,
            "description": "W3C PROV lineage of machine-learning pipelines: record native events, ask SPARQL "
                           "(read-only), follow impact and lineage, export audit formats and render diagrams. "
                           "Send 'Authorization: Bearer <token>' when the server has tokens configured.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": _COMPONENTS,
    }


_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                   "description": "A token from the server's tokens file; its role "
                                                  "(reader, writer, admin) decides what it may do."}},
    "schemas": {
        "Event": {"description": f"A native provgraph event; full schema: {_EVENT_SCHEMA}",
                  "type": "object", "required": ["schema", "id", "type", "time"],
                  "properties": {"schema": {"const": ev.SCHEMA_VERSION}, "id": {"type": "string"},
                                 "type": {"enum": ["run.start", "run.update", "run.end", "artifact.invalidate"]},
                                 "time": {"type": "string", "format": "date-time"}}},
        "Receipt": {"type": "object", "properties": {
            "recorded": {"type": "integer"}, "duplicates": {"type": "integer"},
            "ids": {"type": "array", "items": {"type": "string"}},
            "duplicate_ids": {"type": "array", "items": {"type": "string"}},
            "journal_head": {"type": ["string", "null"]}, "stored": {"type": "boolean"},
            "store_problem": {"type": "string"}, "submitted_by": {"type": "string"}}},
        "GraphResult": {"type": "object", "properties": {
            "ref": {"type": "string"}, "iri": {"type": "string"}, "direction": {"type": "string"},
            "as_of": {"type": ["string", "null"]}, "rows": {"type": "array", "items": {"type": "object"}},
            "edges": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}},
        "Error": {"type": "object", "required": ["error", "status"], "properties": {
            "error": {"type": "string"}, "status": {"type": "integer"},
            "field": {"type": "string", "description": "The offending parameter or event field."}}},
    },
    "responses": {
        name: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for name, text in (("BadRequest", "Bad input; the message says what and where."),
                           ("Unauthorized", "No valid token."),
                           ("Forbidden", "The token's role is too weak, or the request is refused."),
                           ("NotFound", "No such thing."), ("TooLarge", "The body exceeds the size limit."))
    },
}
