"""The one HTTP client of provgraph: the SPARQL endpoint store and the provgraph server sink both use it.

An :class:`HttpClient` keeps its connections alive in a pool (urllib3), retries a connection failure, a
time-out or an HTTP 5xx answer with exponential back-off, applies one time-out per request and sends one
``Authorization`` header; all of it is configuration given when the client is made. Every failure leaves
through one table (:data:`TRANSPORT_FAILURES` for what went wrong on the wire, :data:`STATUS_ERRORS` for
what the server answered), as one line naming the URL, raised as a :class:`~provgraph.errors.StoreError`
subclass::

    client = HttpClient(authorization=bearer(token), retries=2, backoff=0.5, timeout=10)
    answer = client.request("POST", "http://host:8000/api/events", body=b"...")

After a request has failed for good, the following ones are tried once, without retries, until the
back-off would have ended (at least 5 s): a caller facing a down endpoint is not held up again and again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from ..errors import AccessDenied, ProvgraphError, StoreError, Unreachable
from ..version import __version__

#: Transport failures, most specific first, and how a message says them (urllib3 hands them over as the
#: ``reason`` of a ``MaxRetryError`` once the retries are spent).
TRANSPORT_FAILURES: tuple[tuple[type[HTTPError], str], ...] = (
    (NameResolutionError, "unreachable (the host name does not resolve)"),
    (NewConnectionError, "unreachable (the connection was refused)"),
    (ConnectTimeoutError, "unreachable (connecting timed out)"),
    (ReadTimeoutError, "no answer within the time-out"),
    (SSLError, "the TLS handshake failed"),
    (ProxyError, "the proxy failed"),
    (ProtocolError, "the connection was dropped"),
    (LocationValueError, "the URL is not valid"),
    (HTTPError, "the request failed"),
)

#: Answers that are not retried: the error they raise and what they mean (``None``: the caller's error
#: for a request it sent badly, a :class:`QueryError` for a query). Other 4xx answers are a StoreError.
STATUS_ERRORS: dict[int, tuple[type[ProvgraphError] | None, str]] = {
    400: (None, "rejected the request"),
    401: (AccessDenied, "refused the credentials"),
    403: (AccessDenied, "refused access"),
    404: (StoreError, "has no such service"),
    414: (StoreError, "refused a request as too long"),
}

MIN_PAUSE_S = 5.0  # after a request failed for good, the next ones are tried once for at least this long


@dataclass(frozen=True)
class Answer:
    """A successful (or explicitly accepted) answer, read whole."""

    status: int
    body: bytes
    media: str


def bearer(token: str | None) -> str | None:
    """The ``Authorization`` value for a bearer token (``None`` without one)."""
    return f"Bearer {token}" if token else None


def basic(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP basic authentication."""
    return str(urllib3.make_headers(basic_auth=f"{user}:{password}")["authorization"])


class _Retry(urllib3.Retry):
    """urllib3's retry policy, waiting ``backoff_factor`` seconds before the first retry too (urllib3
    retries the first at once), then twice as long each time."""

    def get_backoff_time(self) -> float:
        failures = len(self.history)
        return 0.0 if failures == 0 else min(self.backoff_max, self.backoff_factor * 2 ** (failures - 1))


def _said(answer: urllib3.BaseHTTPResponse) -> str:
    """The start of what the server said: the ``error`` of a JSON answer, else its text."""
    text = answer.data.decode("utf-8", "replace")
    if answer.headers.get("Content-Type", "").startswith("application/json"):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if isinstance(found, dict) and isinstance(found.get("error"), str):
            text = found["error"]
    text = " ".join(text.split())
    return text[:400] + ("..." if len(text) > 400 else "")


@contextmanager
def _transport_errors(url: str, attempts: int) -> Iterator[None]:
    """Turn urllib3's transport exceptions into one :class:`Unreachable` line naming ``url``."""
    try:
        yield
    except HTTPError as exc:
        reason = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
        words = next(words for kind, words in TRANSPORT_FAILURES if isinstance(reason, kind))
        raise Unreachable(f"{url} failed after {attempts} attempt(s): {words}") from exc


class HttpClient:
    """A pooled, retrying HTTP client with one time-out and one ``Authorization`` header."""

    def __init__(self, *, authorization: str | None = None, retries: int = 4, backoff: float = 0.5,
                 timeout: float = 60.0, hints: Mapping[int, str] | None = None) -> None:
        """``timeout``: seconds for connecting and for each wait on the answer (0: no limit); ``hints``: per
        HTTP status, advice appended to its message (which option to check)."""
        self.retries, self.backoff = retries, backoff
        self.hints = dict(hints or {})
        self._headers = {"User-Agent": f"provgraph/{__version__}"}
        if authorization:
            self._headers["Authorization"] = authorization
        limit = timeout or None  # 0: no time-out
        self._pool = urllib3.PoolManager(maxsize=4, timeout=urllib3.Timeout(connect=limit, read=limit))
        self._retry = _Retry(total=retries, allowed_methods=None, status_forcelist=range(500, 600),
                             backoff_factor=backoff, raise_on_status=False, raise_on_redirect=False,
                             respect_retry_after_header=False)  # a server's "Retry-After: 3600" must not stall a run
        self._down_until = 0.0

    def request(self, method: str, url: str, *, body: bytes | None = None, fields: Mapping[str, str] | None = None,
                headers: Mapping[str, str] | None = None, invalid: type[ProvgraphError] = StoreError,
                accept: Collection[int] = ()) -> Answer:
        """Send one request; ``fields`` are form-encoded (POST) or put in the query string (GET).

        Returns a 2xx answer, or one whose status is in ``accept``; raises a StoreError subclass (or
        ``invalid`` for HTTP 400) otherwise."""
        headers = {**self._headers, **(headers or {})}  # urllib3 would replace its defaults, not add to them
        budget = 0 if time.monotonic() < self._down_until else self.retries
        policy = self._retry.new(total=budget)
        try:
            with _transport_errors(url, budget + 1):
                if fields is not None:
                    answer = self._pool.request(method, url, fields=dict(fields), headers=headers, retries=policy,
                                                encode_multipart=False)
                else:
                    answer = self._pool.request(method, url, body=body, headers=headers, retries=policy)
            if answer.status >= 500:
                raise Unreachable(f"{url} failed after {budget + 1} attempt(s): HTTP {answer.status}: {_said(answer)}")
        except Unreachable:
            self._down_until = time.monotonic() + max(MIN_PAUSE_S, self.backoff * 2 ** self.retries)
            raise
        self._down_until = 0.0
        if answer.status >= 300 and answer.status not in accept:
            kind, meaning = STATUS_ERRORS.get(answer.status, (StoreError, "answered"))
            hint = f"; {self.hints[answer.status]}" if answer.status in self.hints else ""
            raise (kind or invalid)(f"{url} {meaning} (HTTP {answer.status}): {_said(answer)}{hint}")
        return Answer(answer.status, answer.data, answer.headers.get("Content-Type", ""))

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()
