"""Refusing cross-site writes before any handler runs.

A web page on another site can make a browser send a POST without a preflight as long as its body is
a form, multipart or plain text. So every state-changing request (any method but GET, HEAD and
OPTIONS, except the read-only ``/sparql``) must come from this origin (``Sec-Fetch-Site`` is
``same-origin`` or ``none``, and ``Origin``, when sent, names the host the request is addressed to) and
carry JSON: a browser can only send those content types cross-site after a CORS preflight, which this
server never grants.
"""

from __future__ import annotations

import urllib.parse

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_POSTS = frozenset({"/sparql"})  # the SPARQL protocol reads with form POSTs too
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})


def cross_site_refusal(headers: Headers) -> tuple[int, str] | None:
    """``(status, reason)`` if a state-changing request may come from another site, else ``None``."""
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site and site not in ("same-origin", "none"):
        return 403, f"cross-site write refused (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is not None:
        parts = urllib.parse.urlsplit(origin.strip())
        if not parts.scheme or parts.netloc.lower() != headers.get("host", "").strip().lower():
            return 403, f"cross-site write refused: Origin {origin!r} is not this server"
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media in SIMPLE_TYPES or media.startswith("multipart/"):
        return 415, f"writes take JSON (application/json or JSON Lines), not {media!r}"
    return None


class CrossSiteGuard:
    """ASGI middleware applying :func:`cross_site_refusal` to state-changing requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and scope["path"] not in READ_ONLY_POSTS:
            refused = cross_site_refusal(Headers(scope=scope))
            if refused:
                await problem(*refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)
