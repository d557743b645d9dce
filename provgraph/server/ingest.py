"""Reading request bodies within the size limit, and parsing native events out of them.

``POST /api/events`` takes one JSON object, a JSON array of objects, or JSON Lines
(``application/x-ndjson``). Every event is validated and mapped before any is recorded; the first bad
one is reported with its position (``[2].run.id``), and nothing is written. A body may be sent gzip
compressed (``Content-Encoding: gzip``, as OpenLineage clients do); the size limit then applies to the
decompressed bytes too, so a small bomb is a 413; a body that arrives too slowly is a 408.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .. import events as ev
from ..errors import InvalidEvent
from ..limits import parse_json
from .problems import ApiError

JSON_TYPES = ("application/json",)
LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/jsonlines", "application/json-seq")


async def read_body(request: Request) -> bytes:
    """The request body within the server's limits: a 413 as soon as it exceeds the size limit (whatever
    Content-Length says), a 408 if it has not all arrived within the body time limit (a client trickling
    bytes would otherwise hold its connection, and the memory of what it sent, for ever)."""
    config = request.app.state.config
    limit = config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, f"Content-Length {declared!r} is not a number")
        if int(declared) > limit:
            raise ApiError(413, f"the request body is {int(declared)} bytes; the limit is {limit}")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(config.body_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"the request body exceeds the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError as exc:
        raise ApiError(408, f"the request body did not arrive within {config.body_timeout_s:g} s",
                       headers={"Connection": "close"}) from exc
    except ClientDisconnect as exc:  # nobody to answer; a 4xx keeps a traceback out of the log
        raise ApiError(400, "the client went away before its whole body arrived") from exc
    return _decoded(b"".join(chunks), request.headers.get("content-encoding", "identity"), limit)


def _decoded(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` without its content encoding (identity or gzip), at most ``limit`` bytes once inflated."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise ApiError(415, f"unsupported Content-Encoding {encoding!r}; send gzip or none")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ApiError(400, f"the gzip body is corrupt: {exc}") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise ApiError(413, f"the request body inflates beyond the limit of {limit} bytes")
    if not inflater.eof:
        raise ApiError(400, "the gzip body is truncated")
    return data


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-cased ('' when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def loads(text: bytes, where: str = "the body") -> Any:
    """JSON from an untrusted body (depth, number size and Unicode bounded); 400 naming ``where``."""
    try:
        return parse_json(text)
    except InvalidEvent as exc:
        raise ApiError(400, f"{where}: {exc}") from exc


def parse_events(body: bytes, content_type: str) -> list[ev.Event]:
    """Validated events from a body of ``content_type`` (JSON object or array, or JSON Lines)."""
    if content_type not in JSON_TYPES + LINES_TYPES:  # also refuses what a cross-site form or blob can send
        raise ApiError(415, f"unsupported content type {content_type or '(none)'!r}; send application/json "
                            "(an event or an array) or application/x-ndjson (JSON Lines)")
    if not body.strip():
        raise ApiError(400, "the request body is empty; send an event, a JSON array of events or JSON Lines")
    batch = True
    if content_type in LINES_TYPES:
        items = [(f"line {number}", loads(line, f"line {number}"))
                 for number, line in enumerate(body.split(b"\n"), start=1) if line.strip()]
    else:
        data = loads(body)
        if isinstance(data, list):
            items = [(f"event {index}", item) for index, item in enumerate(data)]
        else:
            items, batch = [("the event", data)], False
    if not items:
        raise ApiError(400, "no events in the request")
    found = []
    for index, (where, item) in enumerate(items):
        try:
            found.append(ev.validate(item))
        except InvalidEvent as exc:
            prefix = f"[{index}]" if batch else ""
            field = f"{prefix}.{exc.field}" if prefix and exc.field else (prefix or exc.field)
            raise ApiError(422, f"{where}: {exc}", field or None) from exc
    return found
