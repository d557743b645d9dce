"""Bearer-token authentication and role checks (reader < writer < admin)."""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request

from .config import LOCAL, Principal, ServerConfig, is_loopback
from .problems import ApiError

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="provgraph"'}


def authorize(request: Request, role: str) -> Principal:
    """The caller, if it holds ``role``; 401 without a valid token, 403 with too weak a role.

    Without configured tokens (the server then listens on loopback only) every caller is :data:`LOCAL`,
    provided the request is addressed to a loopback name (``Host`` header), except for admin routes,
    which always need a token.
    """
    config: ServerConfig = request.app.state.config
    if not config.tokens and role == "admin":
        raise ApiError(403, "admin operations always need an API token with the admin role: start the server "
                            "with --tokens FILE")
    if not config.tokens:
        host = urllib.parse.urlsplit("//" + request.headers.get("host", "")).hostname or ""
        if not is_loopback(host):  # a web page whose name was re-pointed at 127.0.0.1 (DNS rebinding)
            raise ApiError(403, f"without API tokens this server only answers requests addressed to a loopback "
                                f"name, not {host!r}")
        return LOCAL
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "this server needs an API token: send 'Authorization: Bearer <token>'",
                       headers=_CHALLENGE)
    who = config.authenticate(secret.strip())
    if who is None:
        raise ApiError(401, "the API token is not valid on this server", headers=_CHALLENGE)
    if not who.may(role):
        raise ApiError(403, f"agent {who.agent!r} has the {who.role} role; this needs {role}")
    return who
