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
import urllib.error
import urllib.request
from typing import Any

from .errors import StoreError
from .journal import Entry

SERVER_SCHEMES = ("http://", "https://")
TOKEN_ENV = "PROVGRAPH_TOKEN"
BATCH = 500  # events per request
TIMEOUT_S = 10.0


def is_server_url(uri: str) -> bool:
    """Whether a store URI names a provgraph server (rather than a store)."""
    return uri.startswith(SERVER_SCHEMES)


def server_view(url: str) -> str:
    """A store URI that reads the server's SPARQL endpoint (read-only) with the remote store backend."""
    base = url.rstrip("/")
    return f"sparql+{base}?query=sparql&update=sparql&store=none&token_env={TOKEN_ENV}"


def _post(url: str, batch: list[Entry], token: str | None) -> None:
    body = "".join(json.dumps(e.event, ensure_ascii=False, allow_nan=False) + "\n" for e in batch).encode()
    request = urllib.request.Request(url.rstrip("/") + "/api/events", data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", "")
        except (ValueError, AttributeError, OSError):
            message = ""
        raise StoreError(f"the provgraph server at {url} refused {len(batch)} event(s): "
                         f"HTTP {exc.code} {message or exc.reason}") from exc
    except (OSError, ValueError) as exc:  # URLError, connection refused, time-out, bad URL
        reason = getattr(exc, "reason", exc)
        raise StoreError(f"the provgraph server at {url} is unreachable: {reason}") from exc


class ServerSink:
    """Journal entries posted to the provgraph server at ``url``, :data:`BATCH` per request."""

    batch = BATCH
    diverged = "the journal no longer matches what was forwarded to the server; run 'provgraph verify'"

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token if token is not None else os.environ.get(TOKEN_ENV)

    def take(self, entries: list[Entry]) -> list[dict[str, Any]]:
        """Post ``entries``; the server records each event id once, so a batch sent twice is harmless."""
        _post(self.url, entries, self.token)
        return []
