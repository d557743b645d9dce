"""``provgraph serve``: run the HTTP server (ingest, read-only SPARQL, queries, exports, diagrams)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ..errors import ProvgraphError
from ..limits import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_MAX_RESULTS,
    DEFAULT_QUERY_SLOTS,
    DEFAULT_QUERY_TIMEOUT_S,
    QueryLimits,
)

_SIZE = re.compile(r"^(\d+)\s*([KMG]i?B?|B)?$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def size(text: str) -> int:
    """Bytes in ``text`` such as ``16MiB``, ``512K`` or ``1000000``."""
    match = _SIZE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (examples: 16MiB, 512K, 1000000)")
    return int(match.group(1)) * _UNITS[(match.group(2) or "")[:1].upper()]


def port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: the system chooses)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535; 0: any free port)")
    return int(text)


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the project over HTTP (ingest, SPARQL, lineage, diagrams)",
                       description="Run the provgraph HTTP server. Without --tokens it listens on loopback only.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=port, default=8750,
                   help="TCP port (default: 8750; 0: one the system chooses, printed once listening)")
    p.add_argument("--store", help="store URI to serve (default: the project's store)")
    p.add_argument("--tokens", metavar="FILE",
                   help="TOML or JSON file of API tokens with roles (default: $PROVGRAPH_TOKENS_FILE, "
                        "$PROVGRAPH_TOKENS; none: loopback only, no authentication)")
    p.add_argument("--max-body", type=size, default="16MiB",
                   help="request size limit, also for a gzip body once inflated (default: 16MiB)")
    p.add_argument("--body-timeout", type=float, default=DEFAULT_BODY_TIMEOUT_S, metavar="SECONDS",
                   help=f"a request body still arriving after this long is refused (408; default: "
                        f"{DEFAULT_BODY_TIMEOUT_S:g})")
    p.add_argument("--query-timeout", type=float, default=DEFAULT_QUERY_TIMEOUT_S, metavar="SECONDS",
                   help=f"/sparql answers 503 after this long (default: {DEFAULT_QUERY_TIMEOUT_S:g})")
    p.add_argument("--max-results", type=int, default=DEFAULT_MAX_RESULTS,
                   help=f"most rows of a /sparql answer (default: {DEFAULT_MAX_RESULTS})")
    p.add_argument("--query-slots", type=int, default=DEFAULT_QUERY_SLOTS,
                   help=f"/sparql queries evaluated at once (default: {DEFAULT_QUERY_SLOTS})")
    p.add_argument("--max-query-length", type=int, default=QueryLimits.max_length, metavar="CHARS",
                   help=f"longest SPARQL text accepted (default: {QueryLimits.max_length})")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..server import ServerConfig, load_tokens, serve
    except ImportError as exc:
        raise ProvgraphError(f"the server needs the server extra: pip install 'provgraph[server]' ({exc})") from exc
    config = ServerConfig(project=args.project, store=args.store, host=args.host, port=args.port,
                          tokens=load_tokens(args.tokens), max_body_bytes=args.max_body,
                          body_timeout_s=args.body_timeout,
                          query_limits=QueryLimits(max_length=args.max_query_length),
                          query_timeout_s=args.query_timeout, max_results=args.max_results,
                          query_slots=args.query_slots)
    config.check()
    if config.tokens:
        roles = ", ".join(f"{t.principal.agent} ({t.principal.role})" for t in config.tokens)
        print(f"provgraph serve: {len(config.tokens)} API token(s): {roles}", file=sys.stderr)
    else:
        print("provgraph serve: no API tokens configured: listening on loopback only, and every local caller "
              "may read and write (pass --tokens FILE to require tokens)", file=sys.stderr)

    def listening(url: str) -> None:
        print(f"provgraph serve: listening on {url}/ (API: /openapi.json, SPARQL: /sparql)", file=sys.stderr,
              flush=True)

    serve(config, log_level=args.log_level, listening=listening)
    return 0
