"""Sending captured events to a provgraph server (``PROVGRAPH_STORE=http://host:port``).

Events are always appended to the local journal first; a journal cursor (:mod:`provgraph.cursor`)
then hands the entries the server has not acknowledged to a :class:`ServerSink`, which posts them (JSON
Lines to ``POST /api/events``, bearer token from ``PROVGRAPH_TOKEN``), and moves its watermark past
each acknowledged batch. When the server is unreachable the events simply
stay in the journal (the spool) and go out with the next record or ``provgraph sync``. A batch whose
answer was lost is sent again; the server skips event ids it already has, so each event is stored
exactly once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from .journal import Entry

SERVER_SCHEMES = ("http://", "https://")
TOKEN_ENV = "PROVGRAPH_TOKEN"
BATCH = 500  # events per request
TIMEOUT_S = 10.0
HINTS = {401: f"set ${TOKEN_ENV} to a writer's token"}


def is_server_url(uri: str) -> bool:
    """Whether a store URI names a provgraph server (rather than a store)."""
    return uri.startswith(SERVER_SCHEMES)


def server_view(url: str) -> str:
    """A store URI that reads the server's SPARQL endpoint (read-only) with the remote store backend."""
    base = url.rstrip("/")
    return f"sparql+{base}?query=sparql&update=sparql&store=none&token_env={TOKEN_ENV}"


class ServerSink:
    """Journal entries posted to the provgraph server at ``url``, :data:`BATCH` per request, over one
    kept-alive connection; a failure is one :class:`StoreError` line and the entries stay in the journal."""

    batch: int | None = BATCH
    diverged = "the journal no longer matches what was forwarded to the server; run 'provgraph verify'"

    def __init__(self, url: str, token: str | None = None) -> None:
        from .store.http import HttpClient, bearer  # urllib3 and TLS: a tenth of a second, for a server only

        self.url = url.rstrip("/") + "/api/events"
        token = token if token is not None else os.environ.get(TOKEN_ENV)
        self.client = HttpClient(authorization=bearer(token), retries=0, timeout=TIMEOUT_S, hints=HINTS)

    def take(self, entries: Iterable[Entry]) -> list[dict[str, Any]]:
        """Post ``entries``; the server records each event id once, so a batch sent twice is harmless."""
        body = "".join(json.dumps(e.event, ensure_ascii=False, allow_nan=False) + "\n" for e in entries).encode()
        self.client.request("POST", self.url, body=body, headers={"Content-Type": "application/x-ndjson"})
        return []

    def close(self) -> None:
        self.client.close()
