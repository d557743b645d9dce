"""Opening a store by URI: one table from scheme to backend, built lazily.

``oxigraph:///abs/path`` or ``oxigraph:rel/path`` (embedded, on disk), ``memory:`` (in memory),
``sparql+http(s)://host/path`` (any SPARQL 1.1 endpoint, with the ``remote`` extra). A bare path means an
embedded store. Backends are imported when first used, so a missing optional library costs nothing
until then.
"""

from __future__ import annotations

import importlib

from ..errors import StoreError, UnsupportedOperation
from .base import Store

#: URI scheme -> (module, extra it needs or None).
SCHEMES = {
    "memory:": ("provgraph.store.oxigraph", None),
    "oxigraph:": ("provgraph.store.oxigraph", None),
    "sparql+http://": ("provgraph.store.remote", "remote"),
    "sparql+https://": ("provgraph.store.remote", "remote"),
}


def open_store(uri: str) -> Store:
    """Open the store ``uri`` names; an unknown scheme names the valid ones."""
    scheme = next((prefix for prefix in SCHEMES if uri == prefix or uri.startswith(prefix)), None)
    if scheme is None:
        if "://" in uri or (":" in uri.split("/")[0] and len(uri.split(":")[0]) > 1):
            raise StoreError(f"unknown store URI {uri!r}; valid schemes: {', '.join(SCHEMES)} (or a plain path)")
        scheme = "oxigraph:"
    module, extra = SCHEMES[scheme]
    try:
        backend = importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on installed extras
        raise UnsupportedOperation(f"{scheme} stores need the {extra} extra: pip install 'provgraph[{extra}]' "
                                   f"({exc})") from exc
    opened: Store = backend.open_uri(uri)
    return opened
