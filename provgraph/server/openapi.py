"""The OpenAPI 3.1 description of the server (served at ``/openapi.json``), written by hand."""

from __future__ import annotations

from typing import Any

from .. import __version__
from .. import events as ev
from ..export import FORMATS as EXPORT_FORMATS
from .api import DIAGRAM_TYPES, DIRECTIONS
from .explorer import openapi_paths

_EVENT_SCHEMA = "https://w3id.org/provgraph/schemas/event-1.schema.json"


def _query(name: str, description: str, required: bool = False, schema: dict[str, Any] | None = None,
           many: bool = False) -> dict[str, Any]:
    value = schema or {"type": "string"}
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "array", "items": value} if many else value,
            **({"explode": True} if many else {})}


def _json_ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
_BAD = {"$ref": "#/components/responses/BadRequest"}
_TOO_LARGE = {"$ref": "#/components/responses/TooLarge"}
_REF = _query("ref", "A run id, sha256 (or a prefix of 8+ hex digits), path, dataset name, agent id or IRI.",
              required=True)


def _read(summary: str, parameters: list[dict[str, Any]], ok: dict[str, Any],
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": ok, **_ERRORS, **(extra or {})}}}


def openapi() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    graph = _json_ok("Rows (one per node reached, with its depth) and the edges traversed.",
                     {"$ref": "#/components/schemas/GraphResult"})
    results = {media: {"schema": {"type": "string"}} for media in (
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "text/tab-separated-values", "text/turtle", "application/n-triples", "application/rdf+xml",
        "application/ld+json")}
    sparql_ok = {"description": "The answer, in the format chosen by Accept or format.", "content": results}
    sparql_params = [_query("query", "The SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)."),
                     _query("format", "Answer format instead of Accept: json, xml, csv, tsv, turtle, ntriples, "
                                      "rdfxml, jsonld.")]
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
        "paths": {
            "/api/events": {"post": {
                "summary": "Record native events (all or nothing).",
                "description": "One event, a JSON array of events or JSON Lines. Every event is validated first; "
                               "a bad one is a 422 naming its position and field, and nothing is written. Each "
                               "event is stamped with the caller's agent (role 'submitter') and the time; an "
                               "event id already recorded is counted as a duplicate and not stored again.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/Event"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}]}},
                    "application/x-ndjson": {"schema": {"type": "string", "description": "One event a line."}},
                }},
                "responses": {
                    "201": _json_ok("Recorded in the journal and the store.", {"$ref": "#/components/schemas/Receipt"}),
                    "202": _json_ok("Recorded in the journal; the store will catch up (store_problem says why).",
                                    {"$ref": "#/components/schemas/Receipt"}),
                    **_ERRORS,
                    "413": _TOO_LARGE, "415": _BAD, "422": _BAD,
                },
            }},
            "/api/v1/lineage": {"post": {
                "summary": "Record OpenLineage run events (the OpenLineage HTTP transport's endpoint).",
                "description": "One OpenLineage event or a JSON array; START, COMPLETE, FAIL and ABORT run "
                               "events become native events (others are accepted and give none), all validated "
                               "before any is recorded.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}}},
                "responses": {
                    "201": _json_ok("Recorded.", {"$ref": "#/components/schemas/Receipt"}),
                    "202": _json_ok("Recorded in the journal; the store will catch up.",
                                    {"$ref": "#/components/schemas/Receipt"}),
                    **_ERRORS, "413": _TOO_LARGE, "415": _BAD, "422": _BAD,
                },
            }},
            "/sparql": {
                "get": {"summary": "SPARQL 1.1 Protocol query (read-only).", "parameters": sparql_params,
                        "responses": {"200": sparql_ok, **_ERRORS, "406": _BAD}},
                "post": {"summary": "SPARQL 1.1 Protocol query by POST; updates are refused with 403.",
                         "parameters": sparql_params[1:],
                         "requestBody": {"content": {
                             "application/sparql-query": {"schema": {"type": "string"}},
                             "application/x-www-form-urlencoded": {"schema": {
                                 "type": "object", "properties": {"query": {"type": "string"}}}}}},
                         "responses": {"200": sparql_ok, **_ERRORS, "413": _TOO_LARGE}},
            },
            "/api/runs": _read("Runs, newest first, filtered.", [
                _query("kind", "Run kind.", schema={"enum": list(ev.RUN_KINDS)}),
                _query("step", "Step name."), _query("agent", "Agent id (directly or on whose behalf)."),
                _query("label", "A label on the run."), _query("since", "Started at or after (RFC 3339)."),
                _query("until", "Started at or before (RFC 3339)."), _query("commit", "Git commit prefix."),
                _query("param", "Parameter condition such as n_estimators>=100.", many=True),
                _query("metric", "Condition on a metric's final value such as accuracy>0.9.", many=True),
                _query("limit", "At most this many runs.", schema={"type": "integer", "minimum": 1}),
            ], _json_ok("The runs.", {"type": "object", "properties": {
                "runs": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}}})),
            "/api/runs/{run_id}": _read("Everything recorded about one run.", [
                {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}},
            ], _json_ok("The run: status, times, agents, params, metrics, used, generated, environment, code."),
                {"404": {"$ref": "#/components/responses/NotFound"}}),
            "/api/impact": _read("What was derived from ref, transitively.",
                                 [_REF, _query("as_of", "Answer as the graph stood then (RFC 3339).")], graph),
            "/api/lineage": _read("Where ref came from, transitively.",
                                  [_REF, _query("as_of", "Answer as the graph stood then (RFC 3339).")], graph),
            "/api/who": _read("Who generated, used, invalidated or ran ref, and when.", [_REF],
                              _json_ok("One row per action and agent.")),
            "/api/export": _read("The store, one run, or a lineage or impact in an audit format.", [
                _query("format", "Export format.", schema={"enum": list(EXPORT_FORMATS), "default": "trig"}),
                _query("run", "Export this run."), _query("lineage", "Export the lineage of this reference."),
                _query("impact", "Export the impact of this reference."),
            ], {"description": "The document.", "content": {
                fmt.media_type: {"schema": {"type": "string"}} for fmt in EXPORT_FORMATS.values()}}),
            "/api/diagram": _read("The lineage diagram (W3C PROV visual convention).", [
                _query("ref", "Focus on this node."), _query("run", "Draw this run."),
                _query("format", "Diagram format.", schema={"enum": list(DIAGRAM_TYPES), "default": "svg"}),
                _query("direction", "Around the focus.", schema={"enum": list(DIRECTIONS), "default": "both"}),
                _query("depth", "Edges from the focus.", schema={"type": "integer", "minimum": 0}),
                _query("highlight", "Outline everything derived from this node."),
            ], {"description": "The diagram.", "content": {
                media: {"schema": {"type": "string"}} for media in DIAGRAM_TYPES.values()}}),
            "/api/journal": _read("Re-check the journal's hash chain.", [],
                                  _json_ok("The verification (409 when the chain is broken)."),
                                  {"409": _json_ok("The journal is broken.")}),
            "/api/admin/rebuild": {"post": {"summary": "Rebuild the store from the journal (admin).",
                                            "responses": {"200": _json_ok("How many events were replayed."),
                                                          **_ERRORS}}},
            "/api/health": {"get": {"summary": "Liveness and store state (no token needed).", "security": [],
                                    "responses": {"200": _json_ok("ok or degraded.")}}},
            "/openapi.json": {"get": {"summary": "This document.", "security": [],
                                      "responses": {"200": _json_ok("OpenAPI 3.1.")}}},
            **openapi_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from the server's tokens file; its role "
                                                          "(reader, writer, admin) decides what it may do."}},
            "schemas": {
                "Event": {"description": f"A native provgraph event; full schema: {_EVENT_SCHEMA}",
                          "type": "object", "required": ["schema", "id", "type", "time"],
                          "properties": {"schema": {"const": ev.SCHEMA_VERSION}, "id": {"type": "string"},
                                         "type": {"enum": ["run.start", "run.update", "run.end",
                                                           "artifact.invalidate"]},
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
                name: {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
                for name, text in (("BadRequest", "Bad input; the message says what and where."),
                                   ("Unauthorized", "No valid token."), ("Forbidden", "The token's role is too weak, "
                                                                                       "or the request is refused."),
                                   ("NotFound", "No such thing."), ("TooLarge", "The body exceeds the size limit."))
            },
        },
    }
