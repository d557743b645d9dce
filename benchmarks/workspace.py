"""One prepared workload per size on disk, shared by the measuring subprocesses.

``prepare(n, seed, root)`` generates the workload and writes, under ``root/n-<n>``: ``events.jsonl``
(the native events), ``landmarks.json`` (the IRIs the queries ask about), a provgraph project whose
store holds the workload, and ``quads.nq``, the store's quads, so that every baseline loads exactly
the statements provgraph stored.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from provgraph.store.lineage import FILENAME as INDEX_FILE

from . import workload


class Workspace:
    """The files of one prepared workload."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.events_path = self.path / "events.jsonl"
        self.landmarks_path = self.path / "landmarks.json"
        self.quads_path = self.path / "quads.nq"
        self.project_path = self.path / "project"

    def events(self) -> list[dict[str, Any]]:
        with open(self.events_path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    def landmarks(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.landmarks_path.read_text())
        return loaded

    def quads(self) -> list[Any]:
        from pyoxigraph import RdfFormat, parse

        with open(self.quads_path, "rb") as handle:
            return list(parse(handle, RdfFormat.N_QUADS))

    def store_uri(self) -> str:
        return f"oxigraph:{self.project_path / '.provgraph' / 'store'}"


def data_iri(sha256: str) -> str:
    from provgraph.vocab import iri

    return iri("data", f"sha256-{sha256}").value


def prepare(n: int, seed: int, root: str | Path) -> Workspace:
    """Generate the workload of ``n`` runs and build its store (reused if already prepared)."""
    space = Workspace(Path(root) / f"n-{n}-seed-{seed}")
    if space.quads_path.exists() and space.landmarks_path.exists():
        return space
    if space.path.exists():
        shutil.rmtree(space.path)
    space.path.mkdir(parents=True)
    load = workload.generate(n, seed)
    with open(space.events_path, "w", encoding="utf-8") as handle:
        for event in load.events:
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")
    landmarks = {name: data_iri(getattr(load, name)) for name in
                 ("impact_large", "impact_small", "lineage_large", "lineage_small")}
    landmarks.update(join_agent=load.join_agent, runs=n, events=len(load.events), chains=load.chains,
                     seed=seed)
    landmarks["quads"] = _build_store(space, load.events)
    space.landmarks_path.write_text(json.dumps(landmarks, indent=2))
    return space


def _build_store(space: Workspace, events: Iterable[dict[str, Any]]) -> int:
    from pyoxigraph import RdfFormat

    from provgraph import Project

    with Project.init(space.project_path) as project:
        project.record_many(events)
        store = project.synced_store()
        space.quads_path.write_bytes(store.dump(RdfFormat.N_QUADS))
        return len(store)


def database_bytes(folder: Path) -> int:
    """The size on disk of an Oxigraph store's folder: every file but RocksDB's diagnostic info logs
    (``LOG``, ``LOG.old.*``: each read-write open of the store leaves one more, about 140 KB, behind) and
    provgraph's lineage index (:func:`index_bytes`, a cache the store keeps beside its data)."""
    return sum(path.stat().st_size for path in folder.rglob("*")
               if path.is_file() and not path.name.startswith("LOG") and path.name != INDEX_FILE)


def index_bytes(folder: Path) -> int:
    """The size on disk of the lineage index in an Oxigraph store's folder (0 when it has none)."""
    path = folder / INDEX_FILE
    return path.stat().st_size if path.is_file() else 0


def store_bytes(space: Workspace) -> tuple[int, int]:
    """The size on disk of the workspace's embedded store and of its lineage index (see
    :func:`database_bytes`)."""
    folder = space.project_path / ".provgraph" / "store"
    return database_bytes(folder), index_bytes(folder)


def size_note(quads: float, runs: int, store: int, index: int) -> str:
    """Quads, bytes of store and bytes of lineage index per run, as the benchmark notes say them."""
    return (f"{quads / runs:.0f} quads and {store / runs / 1024:.1f} KB of store per run "
            f"(+ {index / runs / 1024:.1f} KB of lineage index)")
