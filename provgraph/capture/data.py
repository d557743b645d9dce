"""In-memory data (pandas DataFrames and Series, NumPy arrays) fingerprinted by content for ``r.use(df)``.

The fingerprint is the sha256 of a canonical byte form: the schema as sorted JSON followed by
``pandas.util.hash_pandas_object`` (index included; stable across processes and runs) as little-endian
uint64, or by an array's C-ordered bytes. It is recorded as the version's ``sha256``, so equal data is
one version wherever it is used, and the artifact is labelled ``fingerprint:pandas`` or
``fingerprint:numpy`` to say it is not the hash of a file. Neither library is imported here: data of
a type whose module is not loaded cannot be an instance of it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from ..errors import ProvgraphError

__all__ = ["fingerprint", "is_data"]


def is_data(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame or Series or a NumPy array (without importing either)."""
    pandas, numpy = sys.modules.get("pandas"), sys.modules.get("numpy")
    return bool((pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series))
                or (numpy is not None and isinstance(value, numpy.ndarray)))


def fingerprint(value: Any) -> tuple[str, str, dict[str, Any]]:
    """(sha256, ``pandas`` or ``numpy``, schema) of a DataFrame, Series or array; the schema is
    ``{"shape": [...], "columns": [...], "dtypes": [...]}``. Equal contents give equal hashes."""
    pandas, numpy = sys.modules.get("pandas"), sys.modules.get("numpy")
    if pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series):
        frame = value.to_frame() if isinstance(value, pandas.Series) else value
        schema = {"shape": list(frame.shape), "columns": [str(c) for c in frame.columns],
                  "dtypes": [str(t) for t in frame.dtypes]}
        rows = pandas.util.hash_pandas_object(frame, index=True).to_numpy()
        digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode() + rows.astype("<u8").tobytes())
        return digest.hexdigest(), "pandas", schema
    if numpy is not None and isinstance(value, numpy.ndarray):
        schema = {"shape": list(value.shape), "dtypes": [value.dtype.str]}
        if value.dtype.hasobject:
            raise ProvgraphError("an object array has no stable byte form to fingerprint; convert it first")
        digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode() + numpy.ascontiguousarray(value).tobytes())
        return digest.hexdigest(), "numpy", schema
    raise ProvgraphError(f"cannot fingerprint a {type(value).__name__}: pass a DataFrame, Series or array")
