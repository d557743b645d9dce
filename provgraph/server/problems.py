"""HTTP errors: every failure is a JSON body ``{"error": message, "status": code}`` (plus ``field`` for a bad
event), and provgraph's exceptions map to 4xx/5xx codes here, at the boundary. A user mistake is never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import (
    ExportError,
    Forbidden,
    InvalidEvent,
    JournalError,
    ProvgraphError,
    QueryError,
    RenderError,
    StoreError,
    UnsupportedOperation,
    ValidationError,
)
from ..redaction import redact

log = logging.getLogger("provgraph.server")

#: HTTP status for each provgraph exception; the first matching class (most specific first) wins.
STATUS: tuple[tuple[type[ProvgraphError], int], ...] = (
    (InvalidEvent, 422),
    (Forbidden, 403),
    (QueryError, 400),
    (ExportError, 400),
    (ValidationError, 400),
    (UnsupportedOperation, 501),
    (StoreError, 503),
    (JournalError, 500),
    (RenderError, 500),
    (ProvgraphError, 400),
)


class ApiError(Exception):
    """An HTTP error with a message for the caller (raised by handlers)."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers


def problem(status: int, message: str, field: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON error response (credentials in the message are masked)."""
    body: dict[str, Any] = {"error": redact(message), "status": status}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: ProvgraphError) -> int:
    """The HTTP status a provgraph exception maps to."""
    return next(code for kind, code in STATUS if isinstance(exc, kind))


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.message, exc.field, exc.headers)


async def on_provgraph_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProvgraphError)
    code = status_of(exc)
    if code >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, redact(str(exc)))
    return problem(code, str(exc), getattr(exc, "field", None) or None)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed unexpectedly", request.method, request.url.path)
    return problem(500, f"internal error ({type(exc).__name__}); the server log has the details")


HANDLERS: dict[Any, Any] = {
    ApiError: on_api_error,
    ProvgraphError: on_provgraph_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
