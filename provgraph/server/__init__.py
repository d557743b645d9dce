"""``provgraph serve``: an HTTP server over a project's journal and any store.

Native event ingest (``POST /api/events``), a read-only SPARQL 1.1 Protocol endpoint (``/sparql``),
runs, impact, lineage, who, exports and diagrams under ``/api``, a look-up page at ``/`` and an
OpenAPI description at ``/openapi.json``. Bearer tokens with roles (reader, writer, admin) come from
a tokens file; without one the server listens on loopback only. Needs ``provgraph[server]``.
"""

from __future__ import annotations

from .app import create_app, serve
from .backend import Backend, Receipt
from .config import ROLES, Principal, ServerConfig, load_tokens

__all__ = ["ROLES", "Backend", "Principal", "Receipt", "ServerConfig", "create_app", "load_tokens", "serve"]
