"""Runs written by the Neptune 1.x client in offline (or async) mode -> provgraph events.

SOURCE is a ``.neptune`` folder, its ``offline``/``async`` folder, or one run's folder (``metadata.json``
and ``data-*.log``). Each logged operation is parsed with the client's own ``Operation.from_dict``
(``pip install provgraph[neptune]``), in version order. Each container becomes a run
``neptune-<container id>`` from ``metadata.json``'s ``createdAt`` to its last operation (completed,
or failed when ``sys/failed`` is true):

- ``parameters/*`` (also ``params/*``, ``config/*``) assignments are params (named by their path);
  other assigned values are annotations; ``sys/name`` is the step, ``sys/tags`` become ``tag:<tag>``
  labels, ``sys/hostname`` and the client's Python and OS the environment;
- ``LogFloats`` series are metric histories (step and time kept);
- uploaded files (``UploadFile``) are generated artifacts, hashed when the file is still there (a path
  holding ``model`` makes a model), ``track_files`` entries are used datasets;
- ``source_code/entrypoint`` is the script; the uploaded source files are the ``neptune.source_files``
  annotation.

Neptune's offline folder holds no git information (the client sends it to the server when a run is
created), and ``monitoring/*`` (hardware, stdout, stderr) is left out.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from ..limits import parse_json
from . import naming
from .mlmd import run_kind
from .naming import Imported
from .registry import Importer, ImportOptions, require

__all__ = ["events_from_neptune", "run_folders"]

PARAM_ROOTS = ("parameters", "params", "config")
_ASSIGN = ("AssignString", "AssignFloat", "AssignInt", "AssignBool", "AssignDatetime")


def run_folders(path: Path) -> list[Path]:
    """The run folders under ``path``: folders holding ``metadata.json`` and ``data-*.log``."""
    if not path.is_dir():
        raise InvalidEvent(f"{path}: not a folder; --from neptune reads a .neptune folder or one run's folder")
    found = sorted({meta.parent for meta in path.rglob("metadata.json") if any(meta.parent.glob("data-*.log"))})
    if not found:
        raise InvalidEvent(f"{path}: holds no Neptune run folder (metadata.json with data-*.log)")
    return found


def _seconds(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def _operations(folder: Path) -> list[tuple[float, Any]]:
    """(time, operation) of every logged operation in ``folder``, in version order, each version once."""
    from neptune.internal.operation import Operation

    by_version: dict[int, tuple[float, Any]] = {}
    for log in sorted(folder.glob("data-*.log")):
        # one JSON record per \n-ended line (U+2028 and the like are text inside a string)
        for number, line in enumerate(log.read_text(encoding="utf-8").split("\n"), 1):
            if not line.strip():
                continue
            try:
                record = parse_json(line)
                by_version[int(record["version"])] = (float(record["at"]), Operation.from_dict(record["obj"]))
            except (InvalidEvent, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise InvalidEvent(f"{log}: line {number}: not a Neptune operation: {exc}") from exc
    return [by_version[v] for v in sorted(by_version)]


def _file(path_text: str, root: Path | None, kind: str, role: str, time: str) -> dict[str, Any]:
    """An artifact for a file Neptune logged: hashed when still there, located relative to the project."""
    path = Path(path_text)
    artifact: dict[str, Any] = {"location": path.as_posix(), "kind": kind, "role": naming.name(role), "time": time}
    if root is not None and path.is_absolute() and path.resolve().is_relative_to(root.resolve()):
        artifact["location"] = path.resolve().relative_to(root.resolve()).as_posix()
    if path.is_file():
        content = path.read_bytes()
        artifact.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    return artifact


class _Run:
    """The fields of one Neptune container, collected from its operations."""

    def __init__(self, folder: Path, root: Path | None) -> None:
        try:
            self.meta = parse_json((folder / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, InvalidEvent) as exc:
            raise InvalidEvent(f"{folder / 'metadata.json'}: cannot be read as JSON: {exc}") from exc
        if not isinstance(self.meta, dict) or not isinstance(self.meta.get("containerId"), str):
            raise InvalidEvent(f"{folder / 'metadata.json'}: not a Neptune run's metadata (no containerId)")
        self.folder, self.root = folder, root
        self.params: dict[str, Any] = {}
        self.annotations: dict[str, Any] = {"neptune.container_id": self.meta["containerId"],
                                            "neptune.container_type": naming.scalar(self.meta.get("containerType"))}
        self.metrics: dict[str, list[dict[str, Any]]] = {}
        self.labels: list[str] = []
        self.used: list[dict[str, Any]] = []
        self.generated: list[dict[str, Any]] = []
        self.code: dict[str, Any] = {}
        self.failed = False
        self.last = 0.0

    def add(self, at: float, op: Any) -> None:
        self.last = max(self.last, at)
        kind, path = type(op).__name__, list(op.path)
        key, time = "/".join(path), _seconds(at)
        if path[0] == "monitoring":
            return
        if kind == "AssignBool" and key == "sys/failed":
            self.failed = bool(op.value)
        elif kind in _ASSIGN and path[0] in PARAM_ROOTS and len(path) > 1:
            self.params[naming.name("/".join(path[1:]))] = naming.scalar(op.value)
        elif kind in _ASSIGN and key == "source_code/entrypoint":
            self.code["script"] = {k: v for k, v in _file(str(op.value), self.root, "code", key, time).items()
                                   if k in ("location", "sha256")}
            self.code["script"]["path"] = self.code["script"].pop("location")
        elif kind in _ASSIGN:
            self.annotations[naming.name(key)] = naming.scalar(op.value if kind != "AssignDatetime"
                                                               else op.value.isoformat())
        elif kind == "AddStrings" and key == "sys/tags":
            self.labels += [naming.label(f"tag:{tag}") for tag in op.values]
        elif kind == "LogFloats":
            for point in op.values:
                measurement: dict[str, Any] = {"value": point.value, "time": _seconds(point.ts)}
                if point.step is not None and float(point.step).is_integer():
                    measurement["step"] = int(point.step)
                self.metrics.setdefault(naming.name(key), []).append(measurement)
        elif kind == "UploadFile" and op.file_path:
            self.generated.append(_file(op.file_path, self.root, "model" if "model" in key.lower() else "other",
                                        key, time))
        elif kind == "UploadFileSet":
            self.annotations[naming.name(f"neptune.{key}")] = naming.scalar(list(op.file_globs))
        elif kind == "TrackFilesToArtifact":
            for entry, _destination in op.entries:
                self.used.append(_file(entry, self.root, "dataset", key, time))

    def events(self) -> list[ev.Event]:
        where = f"{self.folder / 'metadata.json'}: createdAt"
        start_time = naming.timestamp(self.meta.get("createdAt"), where)
        step = self.annotations.get("sys/name") or f"neptune-{self.meta.get('containerType', 'run')}"
        run = {"id": naming.identifier(self.meta["containerId"], "neptune-"), "step": naming.name(str(step)),
               "kind": run_kind(str(step))}
        environment = {key: str(value)[:limit] for key, value, limit in (
            ("python", str(self.meta.get("pythonVersion", "")).split(" ")[0], 200),
            ("platform", self.meta.get("os"), 500), ("hostname", self.annotations.get("sys/hostname"), 255)) if value}
        labels = list(dict.fromkeys(self.labels))
        start = ev.new_event("run.start", start_time, run=run, params=self.params, labels=labels,
                             environment=environment, code=self.code, annotations=self.annotations)
        ended: dict[str, Any] = {**run, "status": "failed" if self.failed else "completed"}
        if self.failed:
            ended["error"] = {"type": "neptune sys/failed", "message": "the Neptune run recorded sys/failed = true"}
        end_time = max(ev.parse_time(start_time), datetime.fromtimestamp(self.last, UTC))
        end = ev.new_event("run.end", end_time.isoformat().replace("+00:00", "Z"), run=ended, params=self.params,
                           metrics=self.metrics, used=self.used, generated=self.generated, labels=labels)
        return [naming.stamp(start, "neptune"), naming.stamp(end, "neptune")]


def events_from_neptune(source: str | Path, project_root: Path | None = None) -> Imported:
    """The events of every Neptune run folder under ``source``."""
    require("neptune", "neptune")
    events, operations = [], 0
    folders = run_folders(Path(source))
    for folder in folders:
        run = _Run(folder, project_root)
        for at, op in _operations(folder):
            run.add(at, op)
            operations += 1
        events += run.events()
    counts = {"runs": len(folders), "operations": operations}
    return Imported(naming.finish(events, f"Neptune folder {source}"), counts)


def _read_source(source: str, options: ImportOptions) -> Imported:
    return events_from_neptune(source, options.project_root)


IMPORTER = Importer("neptune", "a .neptune folder the neptune 1.x client wrote in offline mode, or one run folder",
                    _read_source, extra="neptune")
