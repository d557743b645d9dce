"""The importer contract and the one table of importers that the CLI and the server read.

An importer turns another tool's records into provgraph events; it never writes to a store or the
journal (the caller records the events, all or none). Each importer is a module in this package that
defines ``IMPORTER = Importer(...)``:

- ``kind``: the ``--from`` name (``dvc``, ``mlflow``, ...);
- ``help``: what SOURCE it reads, one line for ``--help``;
- ``read(source, options) -> Imported``: read SOURCE (a path, a folder or a URI) and return validated
  events with deterministic ids, so that importing the same records again records nothing new. A
  source that is not this importer's kind is an :class:`~provgraph.errors.InvalidEvent` or
  :class:`~provgraph.errors.ProvgraphError` naming the problem (and the right ``--from`` when it can tell);
- ``extra``: the ``provgraph[...]`` extra its client library comes with, or ``None``.

Modules are imported only when their importer is used, so a missing optional library costs nothing until
then, and then fails with ``pip install provgraph[extra]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProvgraphError
from .naming import Imported

#: ``--from`` name -> module defining ``IMPORTER``, in the order ``--help`` lists them.
MODULES = {
    "dvc": "provgraph.importers.dvc",
    "mlflow": "provgraph.importers.mlflow",
    "openlineage": "provgraph.importers.openlineage",
    "mlmd": "provgraph.importers.mlmd",
    "kfp": "provgraph.importers.kfp",
    "pachyderm": "provgraph.importers.pachyderm",
    "neptune": "provgraph.importers.neptune",
}

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ImportOptions:
    """What the caller tells an importer besides the source; an importer ignores what it does not use."""

    project_root: Path | None = None  # the provgraph project (relative locations are made relative to it)
    namespace: str | None = None  # the project namespace relative locations belong to
    since: str | None = None  # RFC 3339: only records at or after this time
    experiment: str | None = None  # mlflow: one experiment (name or id)
    spec: str | None = None  # openlineage: folder of the OpenLineage spec
    check_input_facets: bool = False  # openlineage: validate input-dataset facets too
    schema: str | None = None  # dvc: the dvc.yaml JSON Schema
    progress: Progress | None = None  # called with (done, total or None) while reading


@dataclass(frozen=True)
class Importer:
    """One importer: see the module docstring for the contract."""

    kind: str
    help: str
    read: Callable[[str, ImportOptions], Imported]
    extra: str | None = None


def importer(kind: str) -> Importer:
    """The importer for ``--from kind``; an unknown kind names the known ones."""
    module = MODULES.get(kind)
    if module is None:
        raise ProvgraphError(f"no importer for {kind!r}; known: {', '.join(MODULES)}")
    found: Importer = importlib.import_module(module).IMPORTER
    return found


def require(module: str, extra: str) -> None:
    """Fail with an actionable message when an optional library is missing."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ProvgraphError(f"this importer needs {module}: pip install 'provgraph[{extra}]'") from exc
