"""Pachyderm pipeline specs and commits -> provgraph events.

SOURCE is a JSON file, or a folder of ``*.json`` files, holding pipeline specs (the JSON of a
CreatePipelineRequest, as given to ``pachctl create pipeline``) and commit records (pfs_v2 CommitInfo,
as ``pachctl inspect commit REPO@ID --raw`` prints them; several objects may follow one another, as
``pachctl list commit --raw`` prints them). Each object is parsed with the ``pachyderm-sdk`` message
classes (``pip install provgraph[pachyderm]``), which check the types of every known field.

- A repo is a logical dataset ``pfs://<project>/<repo>``; a commit is its version, located at
  ``pfs://<project>/<repo>@<commit id>`` with the digest ``pachyderm-commit: <id>``.
- A commit made by a pipeline (origin AUTO, or a repo named like an imported pipeline) is the output
  of a run ``pachyderm-<project>-<repo>-<id>`` from ``started`` to ``finished`` (failed when the commit
  records an error) that used the commits of its direct provenance (the pipeline's ``spec`` and
  ``meta`` commits are kept as annotations, not as data) and generated the commit (``details.size_bytes``
  as its size). Its step is the pipeline's name; the pipeline's spec, when imported too, gives its
  params (``transform.image``, ``transform.cmd``, ``transform.stdin``, ``parallelism_spec``) and
  annotations (the input tree with its pfs/cross/union/join/group structure and globs).
- Commits made by users (origin USER) are not runs: they appear as what runs used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from . import naming
from .mlmd import run_kind
from .naming import Imported
from .registry import Importer, ImportOptions, require

__all__ = ["events_from_pachyderm", "input_repos", "read_objects"]

STARTED, FINISHED = "started", "finished"


def read_objects(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The JSON objects of ``path`` (a file, or every ``*.json`` in a folder), with where each came from."""
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    if not files or not files[0].is_file():
        raise InvalidEvent(f"{path}: no such file, or a folder without *.json files")
    found = []
    decoder = json.JSONDecoder()
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidEvent(f"{file}: cannot be read: {exc}") from exc
        position, index = 0, 0
        while text[position:].strip():
            position += len(text[position:]) - len(text[position:].lstrip())
            try:
                obj, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as exc:
                raise InvalidEvent(f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") \
                    from exc
            for item in obj if isinstance(obj, list) else [obj]:
                if not isinstance(item, dict):
                    raise InvalidEvent(f"{file}: object {index}: not a JSON object")
                found.append((f"{file}: object {index}", item))
                index += 1
    return found


def input_repos(node: Any) -> list[dict[str, Any]]:
    """The pfs inputs of a pipeline's input tree (through cross, union, join and group), in order."""
    if not isinstance(node, dict):
        return []
    found = [node["pfs"]] if isinstance(node.get("pfs"), dict) else []
    for key in ("cross", "union", "join", "group"):
        for child in node.get(key) or ():
            found += input_repos(child)
    return found


def _parse(kind: str, obj: dict[str, Any], where: str) -> Any:
    """``obj`` parsed into the pachyderm-sdk message class of ``kind``; a type error names the record."""
    from pachyderm_sdk.api import pfs, pps

    message = {"spec": pps.CreatePipelineRequest, "commit": pfs.CommitInfo}[kind]()
    try:
        return message.from_dict(obj)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidEvent(f"{where}: not a valid Pachyderm {'pipeline spec' if kind == 'spec' else 'CommitInfo'}:"
                           f" {exc}") from exc


def _time(info: Any, raw: dict[str, Any], key: str, where: str) -> str | None:
    """The time ``key`` of a parsed CommitInfo when the record has it (the SDK fills absent times with 1970)."""
    if raw.get(key) is None:
        return None
    return naming.timestamp(getattr(info, key).isoformat().replace("+00:00", "Z"), f"{where}.{key}")


def _commit_location(commit: Any) -> tuple[str, str]:
    """(location, logical name) of a parsed Commit."""
    project = commit.repo.project.name or "default"
    name = f"pfs://{project}/{commit.repo.name}"
    return f"{name}@{commit.id}", name


def _version(commit: Any, kind: str = "dataset") -> dict[str, Any]:
    location, name = _commit_location(commit)
    return {"location": location, "name": name, "kind": kind, "digests": {"pachyderm-commit": commit.id}}


class _Pipeline:
    """What a pipeline spec says about the runs of its output commits."""

    def __init__(self, spec: Any, raw: dict[str, Any]) -> None:
        self.name = spec.pipeline.name
        transform = spec.transform
        self.params: dict[str, Any] = {"transform.image": transform.image or None,
                                       "transform.cmd": naming.scalar(list(transform.cmd)) if transform.cmd else None,
                                       "transform.stdin": naming.scalar(list(transform.stdin))
                                       if transform.stdin else None}
        if spec.parallelism_spec and spec.parallelism_spec.constant:
            self.params["parallelism_spec.constant"] = spec.parallelism_spec.constant
        self.params = {k: v for k, v in self.params.items() if v is not None}
        repos = [r.get("repo") for r in input_repos(raw.get("input"))]
        self.annotations = {"pachyderm.input": naming.scalar(raw.get("input")),
                            "pachyderm.input_repos": naming.scalar(repos)}


def _run_events(info: Any, raw: dict[str, Any], pipeline: _Pipeline | None, where: str) -> list[ev.Event]:
    commit = info.commit
    project = commit.repo.project.name or "default"
    run_id = naming.identifier(f"{project}-{commit.repo.name}-{commit.id}", "pachyderm-")
    step = pipeline.name if pipeline else commit.repo.name
    run = {"id": run_id, "step": naming.name(step), "kind": run_kind(step)}
    used, annotations = [], dict(pipeline.annotations if pipeline else {})
    annotations["pachyderm.commit"] = commit.id
    if commit.branch and commit.branch.name:
        annotations["pachyderm.branch"] = commit.branch.name
    for source in info.direct_provenance:
        if source.repo.type in ("", "user"):
            used.append(_version(source))
        else:  # the pipeline's spec and meta repos: system bookkeeping, not data
            annotations[naming.name(f"pachyderm.provenance.{source.repo.type}")] = _commit_location(source)[0]
    generated = _version(commit)
    if info.details and info.details.size_bytes:
        generated["size"] = info.details.size_bytes
    started = _time(info, raw, STARTED, where) or _time(info, raw, FINISHED, where)
    if started is None:
        raise InvalidEvent("an output commit needs its started or finished time", f"{where}.started")
    params = pipeline.params if pipeline else {}
    start = ev.new_event("run.start", started, run=run, params=params, labels=["pachyderm"], annotations=annotations)
    finished = _time(info, raw, FINISHED, where)
    if finished is None:
        start.update({"generated": [generated], **({"used": used} if used else {})})
        return [naming.stamp(start, "pachyderm")]
    ended: dict[str, Any] = {**run, "status": "failed" if info.error else "completed"}
    if info.error:
        ended["error"] = {"type": "Pachyderm commit error", "message": info.error[:65536]}
    end = ev.new_event("run.end", finished, run=ended, params=params, used=used, generated=[generated],
                       labels=["pachyderm"])
    return [naming.stamp(start, "pachyderm"), naming.stamp(end, "pachyderm")]


def events_from_pachyderm(source: str | Path) -> Imported:
    """The runs behind the output commits among Pachyderm pipeline specs and CommitInfo records in ``source``."""
    require("pachyderm_sdk", "pachyderm")
    pipelines: dict[str, _Pipeline] = {}
    commits: list[tuple[str, Any, dict[str, Any]]] = []
    for where, obj in read_objects(Path(source)):
        if isinstance(obj.get("pipeline"), dict) and "transform" in obj:
            spec = _parse("spec", obj, where)
            if not spec.pipeline.name or (not spec.transform.cmd and not spec.transform.image):
                raise InvalidEvent(f"{where}: a pipeline spec needs pipeline.name and a transform")
            pipelines[spec.pipeline.name] = _Pipeline(spec, obj)
        elif isinstance(obj.get("commit"), dict):
            info = _parse("commit", obj, where)
            if not info.commit.id or not info.commit.repo.name:
                raise InvalidEvent(f"{where}: a CommitInfo needs commit.id and commit.repo.name")
            commits.append((where, info, obj))
        else:
            raise InvalidEvent(f"{where}: neither a Pachyderm pipeline spec (pipeline, transform) nor a CommitInfo "
                               "(commit)")
    from pachyderm_sdk.api import pfs

    outputs = [(where, info, raw) for where, info, raw in commits if info.commit.repo.name in pipelines
               or (pfs.OriginKind(info.origin.kind) == pfs.OriginKind.AUTO and info.direct_provenance)]
    events = [e for where, info, raw in outputs
              for e in _run_events(info, raw, pipelines.get(info.commit.repo.name), where)]
    notes = [f"pipeline {name} has no output commit in the import" for name in sorted(pipelines)
             if not any(info.commit.repo.name == name for _, info, _ in outputs)]
    counts = {"pipeline specs": len(pipelines), "commits": len(commits), "output commits": len(outputs)}
    return Imported(naming.finish(events, f"Pachyderm records {source}"), counts, notes)


def _read_source(source: str, options: ImportOptions) -> Imported:
    return events_from_pachyderm(source)


IMPORTER = Importer("pachyderm", "Pachyderm pipeline specs and `pachctl inspect commit --raw` JSON, or a folder",
                    _read_source, extra="pachyderm")
