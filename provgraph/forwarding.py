"""Sending captured events to a provgraph server (``PROVGRAPH_STORE=http://host:port``).

Events are always appended to the local journal first; :func:`forward` then posts the entries the
server has not acknowledged (JSON Lines to ``POST /api/events``, bearer token from ``PROVGRAPH_TOKEN``)
and moves a watermark past each acknowledged batch. When the server is unreachable the events simply
stay in the journal (the spool) and go out with the next record or ``provgraph sync``. A batch whose
answer was lost is sent again; the server skips event ids it already has, so each event is stored
exactly once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

from .errors import JournalError
from .journal import GENESIS, Entry, Journal, replace_json
from .store.http import HttpClient, bearer

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


def _read_mark(path: Path) -> tuple[int, str]:
    if not path.exists():
        return 0, GENESIS
    mark = json.loads(path.read_text())
    return int(mark["offset"]), str(mark["hash"])


def _write_mark(path: Path, entry: Entry) -> None:
    replace_json(path, {"seq": entry.seq, "hash": entry.hash, "offset": entry.end_offset})


def _post(url: str, batch: list[Entry], token: str | None) -> None:
    body = "".join(json.dumps(e.event, ensure_ascii=False, allow_nan=False) + "\n" for e in batch).encode()
    client = HttpClient(authorization=bearer(token), retries=0, timeout=TIMEOUT_S, hints=HINTS)
    try:
        client.request("POST", url.rstrip("/") + "/api/events", body=body,
                       headers={"Content-Type": "application/x-ndjson"})
    finally:
        client.close()


def forward(url: str, journal: Journal, mark_path: Path, progress: Callable[[int], object] | None = None,
            token: str | None = None) -> int:
    """Post the journal entries after the watermark at ``mark_path`` to the server at ``url``.

    Returns how many were acknowledged; raises :class:`StoreError` (after moving the watermark past
    what did go through) when the server is unreachable or refuses a batch.
    """
    token = token if token is not None else os.environ.get(TOKEN_ENV)
    mark_path.parent.mkdir(parents=True, exist_ok=True)
    sent = 0
    with open(mark_path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        offset, head = _read_mark(mark_path)
        if journal.hash_ending_at(offset) != head:
            raise JournalError("the journal no longer matches what was forwarded to the server; "
                               "run 'provgraph verify'")
        batch: list[Entry] = []
        for entry in journal.entries(offset):
            batch.append(entry)
            if len(batch) >= BATCH:
                sent += _send(url, batch, token, mark_path, progress)
                batch = []
        if batch:
            sent += _send(url, batch, token, mark_path, progress)
    return sent


def _send(url: str, batch: list[Entry], token: str | None, mark_path: Path,
          progress: Callable[[int], object] | None) -> int:
    _post(url, batch, token)
    _write_mark(mark_path, batch[-1])
    if progress:
        progress(len(batch))
    return len(batch)
