"""DVC projects -> provgraph events, from ``dvc.yaml``, ``dvc.lock`` and ``.dvc`` files.

:func:`events_from_dvc` reads a DVC project (a folder: every ``dvc.yaml`` under it, sub-folders included,
and its ``.dvc`` files), one ``dvc.yaml`` (or any ``*.yaml`` in its format), or a ``dvc.lock`` (read with
the ``dvc.yaml`` beside it). Each stage that ``dvc.lock`` records is a completed run:

- identity: the run id is a digest of the project, the ``dvc.yaml`` and the stage's lock entry, and
  event ids follow from it, so re-reading the same lock (after ``touch``, in a fresh clone) gives the
  same events, and a stage that ran again is a new run;
- history: every entry an older committed version of ``dvc.lock`` holds that the current one does not (a
  run a later ``dvc repro`` superseded) is a run too, with the same id as when it was current, its deps
  and outs as its entry names them, dated by the first commit holding it (its metric values and sha256
  are not recovered: the files on disk are later ones);
- namespace: the event ``namespace`` is the DVC project's identity (its git ``origin`` URL, with the
  sub-folder of a ``dvc init --subdir`` project, else its absolute path), and locations are relative to
  the project root (the folder holding ``.dvc/``, else the git work tree, else the pipeline's folder),
  so two projects' ``data/features`` never merge;
- ``deps`` are used (``*.py``, ``*.sh``, ... as code), ``outs`` generated, ``metrics``/``plots``
  generated evaluations, each with the locked md5 as ``digests.md5`` (directories: DVC's ``<md5>.dir``)
  and, when the local file still has that md5, its sha256; the top-level ``artifacts`` section gives the
  kind (``type: model``), labels and the ``dvc.artifact:<name>`` label;
- ``params`` are the locked values (``key`` from ``params.yaml``, else ``file:key``; nested values
  flattened with dots); metrics files (the stage's and the top-level ``metrics``) whose md5 still
  matches the lock give their numeric values as metrics of the stage;
- times, agent and code: the oldest commit since which the stage's entry in ``dvc.lock`` is as it is now,
  i.e. the commit of the ``dvc repro`` that ran it (its commit time as start and end, its author as the
  person, its sha and the ``origin`` URL as ``code.git``); a stage that later runs left alone keeps its
  own commit. An entry git does not hold as it is now is dated by the lock's modification time (which
  then changes no id);
- kind: from the stage name (train -> training, eval/test -> evaluation, featur -> feature
  engineering, split -> splitting, prep/clean -> cleaning, download/ingest/fetch/load/import -> ingestion);
- staleness: a stage ``dvc status`` would report changed (command, params or a present dependency
  differ from the lock, see :mod:`.dvc_status`), and every stage downstream of one, gets the label
  ``dvc:stale`` and a ``dvc.stale`` annotation saying why, on a ``run.update`` of the run; a dependency
  whose locked md5 differs from the md5 its producing stage locked is an inconsistent lock, reported in
  the notes and as staleness.

``foreach``/``matrix`` stages are expanded and ``${...}`` resolved as DVC does (:mod:`.dvc_templates`).
A stage with no lock entry was declared but never ran: it is not a run (it is counted and named in the
notes). A ``.dvc`` file with ``deps`` (``dvc import`` / ``dvc import-url``) is an ingestion run from the
source (``repo.url`` + path, its ``rev_lock`` as ``digests.commit``) to the tracked output, for each
committed version of the file (one ``dvc update`` superseded too); a ``.dvc``
file of ``dvc add`` only tracks data, which is no run. Parsing YAML needs PyYAML (``provgraph[dvc]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from ..gitinfo import git_remote
from ..vocab import remote_namespace
from . import dvc_status, gitlog, naming
from .dvc_dirs import container
from .dvc_history import Versions, as_ran, lock_stages
from .dvc_params import dig, flatten, load_params, numbers
from .dvc_templates import context, expand
from .dvc_yaml import load_yaml, path_entries, validate_dvc_yaml
from .gitlog import Commit
from .naming import Imported
from .registry import Importer, ImportOptions, Progress

__all__ = ["events_from_dvc", "load_yaml", "validate_dvc_yaml"]

CODE_SUFFIXES = frozenset({".py", ".r", ".sh", ".ipynb", ".jl", ".scala", ".java", ".sql", ".js", ".ts", ".rb"})
KIND_WORDS = (("train", "training"), ("eval", "evaluation"), ("test", "evaluation"), ("featur", "feature_engineering"),
              ("split", "splitting"), ("prep", "cleaning"), ("clean", "cleaning"), ("download", "ingestion"),
              ("ingest", "ingestion"), ("fetch", "ingestion"), ("load", "ingestion"), ("import", "ingestion"))
METRIC_SUFFIXES = frozenset({".json", ".yaml", ".yml"})
STALE = "dvc:stale"
_SKIP = frozenset({".dvc", ".git", ".venv", "node_modules"})


def _kind(stage: str) -> str:
    lowered = stage.lower()
    return next((kind for word, kind in KIND_WORDS if word in lowered), "other")


def _mtime(path: Path) -> str:
    moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Project:
    """The DVC project: its root, its namespace, and how its commits are dated."""

    root: Path
    namespace: str
    remote: str | None
    dated: dict[tuple[Path, str | None], tuple[str, dict[str, Any], str]] = field(default_factory=dict)
    versions: dict[Path, Versions] = field(default_factory=dict)

    @classmethod
    def find(cls, start: Path, namespace: str | None) -> _Project:
        folder = start.resolve()
        root = next((p for p in (folder, *folder.parents) if (p / ".dvc").is_dir()), None) \
            or gitlog.toplevel(folder) or folder
        remote = git_remote(root)
        named, top = remote_namespace(remote) if remote else naming.identifier(root.as_posix()), gitlog.toplevel(root)
        if remote and top is not None and root != top.resolve() and root.is_relative_to(top.resolve()):
            sub = root.relative_to(top.resolve()).as_posix().replace("/", "_")  # dvc init --subdir: one of several
            named = naming.identifier(f"{named}--{sub}")
        return cls(root, namespace or named, remote)

    def location(self, file: Path) -> str:
        full = Path(os.path.normpath(file.absolute()))
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            return full.as_posix()

    def dating(self, file: Path, current: Any, stage: str | None = None) -> tuple[str, dict[str, Any], str]:
        """(time, event fields, note) of a record as it is now (``current``): ``stage``'s entry in the dvc.lock
        ``file``, or the whole ``file``. The time, person and code are those of the oldest commit since which
        the record is unchanged (a stage that later ``dvc repro`` runs left alone keeps the commit it ran
        in); a record git does not hold as it is now is dated by the file's modification time."""
        if (file, stage) not in self.dated:
            self.dated[(file, stage)] = self._dating(file, current, stage)
        return self.dated[(file, stage)]

    def _dating(self, file: Path, current: Any, stage: str | None) -> tuple[str, dict[str, Any], str]:
        since = self.versions.setdefault(file, Versions(file)).unchanged_since(current, stage)
        what = f"stage {stage} in {file.name}" if stage else file.name
        if since is None:
            return _mtime(file), {}, f"{what} is not committed as it is: times are the file's modification time"
        return self.dated_by(since, f"times are the commit time of {since.sha[:10]}, since which {what} is unchanged")

    def history(self, lock: Path) -> dict[tuple[str, str], tuple[Commit, dict[str, Any]]]:
        """Every stage entry the committed versions of ``lock`` held (see :meth:`Versions.entries`)."""
        return self.versions.setdefault(lock, Versions(lock)).entries()

    def earlier(self, file: Path, current: Any) -> list[tuple[Commit, Any]]:
        """The committed versions of ``file`` other than ``current``, each with the oldest commit holding it."""
        now = naming.canonical(current)
        return [(commit, document) for commit, document in self.versions.setdefault(file, Versions(file)).documents()
                if naming.canonical(document) != now]

    def dated_by(self, commit: Commit, note: str) -> tuple[str, dict[str, Any], str]:
        """(time, event fields, ``note``) of a record ``commit`` wrote: its time, author and sha."""
        git: dict[str, Any] = {"commit": commit.sha}
        if self.remote:
            git["remote"] = self.remote[:2048]
        person = {"id": naming.identifier(commit.email or commit.author), "kind": "person",
                  "name": naming.name(commit.author or commit.email)}
        return commit.time, {"code": {"git": git}, "agents": [person]}, note


@dataclass
class _Stage:
    """One (expanded) stage of one dvc.yaml, with its lock entry."""

    name: str
    pipeline: _Pipeline
    spec: dict[str, Any]
    locked: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    superseded_by: Commit | None = None  # for an entry only an older dvc.lock holds: the oldest commit holding it

    def paths(self, key: str) -> dict[str, dict[str, Any]]:
        """Locked entries of ``deps`` or ``outs`` by location."""
        found = {}
        for entry in self.locked.get(key) or ():
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                found[self.pipeline.project.location(self.pipeline.base(self.spec) / entry["path"])] = entry
        return found


class _Pipeline:
    """One dvc.yaml with its lock."""

    def __init__(self, file: Path, document: dict[str, Any], lock: dict[str, Any] | None, project: _Project) -> None:
        self.file, self.folder, self.project = file, file.parent, project
        self.document, self.lock = document, lock or {}
        self.where = project.location(file)
        self.variables = context(document, self.folder, load_params)
        # top-level sections name paths from the dvc.yaml's folder, stages from their wdir: both kept as locations
        self.artifacts = {project.location(self.folder / str(a["path"])): (name, a) for name, a in
                          (document.get("artifacts") or {}).items() if isinstance(a, dict) and "path" in a}
        self.metrics = {project.location(self.folder / p) for p, _ in path_entries(document.get("metrics"))}
        self.declared: list[str] = []

    def base(self, spec: dict[str, Any]) -> Path:
        return self.folder / str(spec.get("wdir", "."))

    def specs(self) -> dict[str, dict[str, Any]]:
        """The stages of the dvc.yaml, ``foreach``/``matrix`` expanded, by full name."""
        return {full: spec for name, stage in (self.document.get("stages") or {}).items()
                for full, spec in expand(str(name), stage, self.variables, self.folder, load_params)}

    def stages(self) -> list[_Stage]:
        found = []
        for full, spec in self.specs().items():
            locked = self.lock.get(full)
            if isinstance(locked, dict):
                found.append(_Stage(full, self, spec, locked))
            else:
                self.declared.append(f"{self.where}:{full}")
        return found

    def superseded(self) -> list[_Stage]:
        """The stage runs that only older committed versions of the dvc.lock record, and those of stages the
        dvc.yaml no longer declares (removed or renamed: DVC leaves their entries in the lock): each as its
        lock entry says it ran (its deps and outs, each out in the section today's stage puts it in)."""
        lock = self.file.with_name("dvc.lock")
        if self.file.name != "dvc.yaml" or not lock.is_file():
            return []
        specs = self.specs()
        now = {(name, naming.canonical(entry)) for name, entry in self.lock.items() if name in specs}
        return [_Stage(name, self, as_ran(specs.get(name, {}), entry), entry, superseded_by=commit)
                for (name, text), (commit, entry) in self.project.history(lock).items() if (name, text) not in now]

    def current_params(self, stage: _Stage) -> dict[str, Any]:
        current: dict[str, Any] = {}
        for file, values in (stage.locked.get("params") or {}).items():
            path = self.base(stage.spec) / str(file)
            loaded = load_params(path) if path.is_file() else {}
            for key in values if isinstance(values, dict) else ():
                value = dig(loaded if isinstance(loaded, dict) else {}, str(key))
                if value is not None:
                    current[f"{file}:{key}"] = value
        return current


def _locked_params(stage: _Stage) -> dict[str, Any]:
    return {f"{file}:{key}": value for file, values in (stage.locked.get("params") or {}).items()
            if isinstance(values, dict) for key, value in values.items()}


def _flat(values: dict[str, Any]) -> dict[str, Any]:
    return {flat: item for key, value in values.items() for flat, item in flatten(value, key).items()}


def _params(stage: _Stage) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in _locked_params(stage).items():
        file, name = key.split(":", 1)
        label = name if file == "params.yaml" else key
        for flat, item in flatten(value, label).items():
            params[naming.name(flat)] = naming.scalar(item)
    return params


class _Events:
    """Turns the locked stages of a project into events."""

    def __init__(self, project: _Project, progress: Progress | None) -> None:
        self.project, self.progress = project, progress
        self.notes: list[str] = []
        self.outs: dict[str, str] = {}  # the current stages' outs: location -> locked md5

    def staleness(self, stages: list[_Stage]) -> None:
        producers = {loc: (stage, entry.get("md5")) for stage in stages for loc, entry in stage.paths("outs").items()}
        self.outs = {loc: md5 for loc, (_, md5) in producers.items() if isinstance(md5, str)}
        for stage in stages:
            pipeline = stage.pipeline
            deps = [(loc, pipeline.project.root / loc, entry["md5"]) for loc, entry in stage.paths("deps").items()
                    if isinstance(entry.get("md5"), str)]
            stage.reasons += dvc_status.changes(stage.locked.get("cmd"), stage.spec.get("cmd"),
                                                _flat(_locked_params(stage)), _flat(pipeline.current_params(stage)),
                                                deps, frozen=stage.spec.get("frozen") is True)
            for loc, entry in stage.paths("deps").items():
                producer, md5 = producers.get(loc, (None, None))
                if producer is not None and md5 and entry.get("md5") and md5 != entry["md5"]:
                    text = (f"inconsistent lock: {loc} used with md5 {entry['md5']}, "
                            f"but stage {producer.name} locked it as {md5}")
                    stage.reasons.append(text)
                    self.notes.append(f"{pipeline.where}: stage {stage.name}: {text}")
        changed = True
        while changed:  # flag every stage downstream of a stale one
            changed = False
            for stage in (s for s in stages if s.spec.get("frozen") is not True):  # dvc status skips frozen deps
                for loc in stage.paths("deps"):
                    upstream = [s for out, (s, _) in producers.items() if s.reasons and s is not stage
                                and (loc == out or loc.startswith(out + "/"))]
                    new = [why for s in upstream if (why := f"upstream stage {s.name} is stale") not in stage.reasons]
                    if new:
                        stage.reasons += new
                        changed = True

    def artifact(self, stage: _Stage, path: str, kind: str, locked: dict[str, Any] | None,
                 flags: dict[str, Any]) -> dict[str, Any]:
        pipeline = stage.pipeline
        file = pipeline.base(stage.spec) / path
        artifact: dict[str, Any] = {"location": self.project.location(file), "kind": kind}
        named = pipeline.artifacts.get(artifact["location"])
        labels = [str(text) for text in flags.get("labels") or () if str(text)]
        if named is not None:
            labels += [f"dvc.artifact:{named[0]}", *(str(t) for t in named[1].get("labels") or ())]
        if flags.get("type") == "model" or (named is not None and named[1].get("type") == "model"):
            artifact["kind"] = "model"
        if labels:
            artifact["labels"] = list(dict.fromkeys(naming.label(text) for text in labels))
        md5 = (locked or {}).get("md5")
        if isinstance(md5, str):
            artifact["digests"] = {"md5": md5}
            if isinstance((locked or {}).get("size"), int):
                artifact["size"] = locked["size"]  # type: ignore[index]
            if md5.endswith(".dir"):
                artifact["directory"] = True
            elif (found := dvc_status.file_hashes(file)) is not None and found[0] == md5:
                artifact["sha256"] = found[1]
        return artifact

    def metrics(self, stage: _Stage, outs: list[tuple[str, dict[str, Any], str]],
                locked: dict[str, dict[str, Any]], left_out: dict[str, str]) -> dict[str, float]:
        values: dict[str, float] = {}
        pipeline = stage.pipeline
        for path, _, kind in outs:
            file = pipeline.base(stage.spec) / path
            location = self.project.location(file)
            declared = kind == "evaluation" and any(p == path for p, _ in path_entries(stage.spec.get("metrics")))
            if not (declared or location in pipeline.metrics) or Path(path).suffix.lower() not in METRIC_SUFFIXES:
                continue
            found = dvc_status.file_hashes(file)
            entry = locked.get(location) or {}
            if found is None or found[0] != entry.get("md5"):
                continue  # the values on disk are not the ones this run wrote
            values.update(numbers(load_yaml(file), left_out))
        return values

    def stage(self, stage: _Stage) -> list[ev.Event]:
        pipeline, spec, locked = stage.pipeline, stage.spec, stage.locked
        lock_deps, lock_outs = stage.paths("deps"), stage.paths("outs")
        base = pipeline.base(spec)
        used = []
        for path, flags in path_entries(spec.get("deps")) or [(e["path"], {}) for e in locked.get("deps") or ()]:
            kind = "code" if Path(path).suffix.lower() in CODE_SUFFIXES else "dataset"
            used.append(self.artifact(stage, path, kind, lock_deps.get(self.project.location(base / path)), flags))
        for loc, entry in lock_deps.items():  # a file of another stage's directory output: that directory too
            held = container(loc, str(entry.get("md5")), self.outs, self.project.root, stage.superseded_by is None)
            if held is not None and held[0] not in {a["location"] for a in used}:
                used.append({"location": held[0], "kind": "dataset", "digests": {"md5": held[1]}, "directory": True,
                             "role": "container"})
        kinds = (("outs", "dataset"), ("metrics", "evaluation"), ("plots", "evaluation"))
        outs = [(p, f, k) for key, k in kinds for p, f in path_entries(spec.get(key))] \
            or [(e["path"], {}, "dataset") for e in locked.get("outs") or ()]
        generated = [self.artifact(stage, p, k, lock_outs.get(self.project.location(base / p)), f) for p, f, k in outs]
        identity = naming.digest(self.project.namespace, pipeline.where, stage.name, naming.canonical(locked), n=16)
        run = {"id": naming.identifier(f"{stage.name.replace('@', '.')}-{identity}", "dvc-"),
               "step": naming.name(stage.name.split("@")[0]), "kind": _kind(stage.name)}
        if stage.superseded_by is None:
            time, dated, note = self.project.dating(pipeline.file.with_name("dvc.lock"), locked, stage.name)
        else:
            time, dated, note = self.project.dated_by(stage.superseded_by, (
                f"times are the commit time of {stage.superseded_by.sha[:10]}, the first whose dvc.lock holds this "
                f"entry of stage {stage.name}; a later dvc repro superseded it"))
        cmd = locked.get("cmd", spec.get("cmd"))
        annotations = {"dvc.stage": stage.name, "dvc.file": pipeline.where, "provgraph.note": note}
        if cmd is not None:
            annotations["dvc.cmd"] = naming.clip("\n".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd))
        params = _params(stage)
        metrics = self.metrics(stage, outs, lock_outs, annotations)
        start = ev.new_event("run.start", time, namespace=self.project.namespace, run=run, params=params,
                             annotations=annotations, **dated)
        end = ev.new_event("run.end", time, namespace=self.project.namespace, run={**run, "status": "completed"},
                           used=used, generated=generated, params=params, metrics=metrics)
        found = [_stamp(start), _stamp(end)]
        if stage.reasons:
            reason = naming.clip("; ".join(stage.reasons))
            stale = ev.new_event("run.update", time, namespace=self.project.namespace, run=run, labels=[STALE],
                                 annotations={"dvc.stale": reason})
            found.append(_stamp(stale, reason))
        return found

    def imported(self, file: Path) -> list[ev.Event]:
        """The ingestion runs of a ``.dvc`` file written by ``dvc import``/``import-url``: as it is, and as each
        committed version before (an import ``dvc update`` superseded) was; none for ``dvc add``."""
        document = load_yaml(file)
        found = self.ingestion(file, document, None)
        for commit, earlier in self.project.earlier(file, document) if found else ():
            found += self.ingestion(file, earlier, commit)
        return found

    def ingestion(self, file: Path, document: Any, superseded_by: Commit | None) -> list[ev.Event]:
        """The run of one version of a ``.dvc`` file (``superseded_by``: the oldest commit of an earlier one)."""
        if not isinstance(document, dict) or not document.get("deps"):
            return []
        used = []
        for index, dep in enumerate(document.get("deps") or ()):
            if not isinstance(dep, dict) or not isinstance(dep.get("path"), str):
                raise InvalidEvent(f"{file}: deps[{index}] needs a path", f"deps[{index}].path")
            repo: dict[str, Any] = dep["repo"] if isinstance(dep.get("repo"), dict) else {}
            url = repo.get("url")
            location = f"{url}#{dep['path']}" if isinstance(url, str) else dep["path"]
            artifact: dict[str, Any] = {"location": location, "kind": "dataset", "role": "source"}
            digests = {k: str(dep[k]) for k in ("md5", "etag", "checksum") if dep.get(k)}
            if isinstance(repo.get("rev_lock"), str):
                digests["commit"] = repo["rev_lock"]
            if digests:
                artifact["digests"] = digests
            used.append(artifact)
        pseudo = _Stage(file.name, _Pipeline(file, {}, {}, self.project), {"wdir": "."}, document)
        generated = [self.artifact(pseudo, o["path"], "dataset", o, {}) for o in document.get("outs") or ()
                     if isinstance(o, dict) and isinstance(o.get("path"), str)]
        where = self.project.location(file)
        identity = naming.digest(self.project.namespace, where, naming.canonical(document))
        run = {"id": naming.identifier(f"{file.stem}-{identity}", "dvc-import-"), "step": "dvc import",
               "kind": "ingestion"}
        time, dated, note = self.project.dating(file, document) if superseded_by is None else self.project.dated_by(
            superseded_by, f"times are the commit time of {superseded_by.sha[:10]}, the first holding this version "
                           f"of {file.name}; a later dvc update superseded it")
        annotations = {"dvc.file": where, "provgraph.note": note}
        start = ev.new_event("run.start", time, namespace=self.project.namespace, run=run, annotations=annotations,
                             **dated)
        end = ev.new_event("run.end", time, namespace=self.project.namespace, run={**run, "status": "completed"},
                           used=used, generated=generated)
        return [_stamp(start), _stamp(end)]


def _stamp(event: ev.Event, *extra: str) -> ev.Event:
    """The event id follows from the run id and the event type (not from times, which may be mtimes)."""
    event["id"] = naming.event_id("dvc", event["run"]["id"], event["type"], *extra)
    return event


def _lock(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InvalidEvent(f"{path}: a dvc.lock is a mapping")
    stages = lock_stages(data)
    if stages is None:
        raise InvalidEvent(f"{path}: stages must be a mapping", "stages")
    return stages


def _walk(folder: Path, name: str | None, suffix: str | None) -> list[Path]:
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        found += [Path(current) / f for f in sorted(files) if f == name or (suffix and f.endswith(suffix))]
    return found


def events_from_dvc(path: str | Path, schema: str | Path | None = None, namespace: str | None = None,
                    progress: Progress | None = None) -> Imported:
    """The events of a DVC project: ``path`` is its folder, a ``dvc.yaml`` (or another YAML file in its
    format) or a ``dvc.lock``. Raises :class:`InvalidEvent` naming the file and field of a problem."""
    source = Path(path)
    if source.is_dir():
        files, tracked = _walk(source, "dvc.yaml", None), _walk(source, None, ".dvc")
        if not files and not tracked:
            raise InvalidEvent(f"{source}: holds no dvc.yaml and no .dvc file")
    elif source.is_file():
        files, tracked = [source.with_name("dvc.yaml") if source.name == "dvc.lock" else source], []
        if not files[0].is_file():
            raise InvalidEvent(f"{source}: a dvc.lock is read with the dvc.yaml beside it, and there is none")
    else:
        raise InvalidEvent(f"{source}: no such file or folder")
    project = _Project.find(source if source.is_dir() else source.parent, namespace)
    pipelines = []
    for file in files:
        document = load_yaml(file)
        validate_dvc_yaml(document, schema, str(file))
        lock = _lock(file.with_name("dvc.lock")) if file.name == "dvc.yaml" else None
        pipelines.append(_Pipeline(file, document, lock, project))
    stages = [stage for pipeline in pipelines for stage in pipeline.stages()]
    superseded = [stage for pipeline in pipelines for stage in pipeline.superseded()]
    maker = _Events(project, progress)
    maker.staleness(stages)
    events: list[ev.Event] = []
    total = len(superseded) + len(stages) + len(tracked)
    for done, stage in enumerate(superseded + stages, 1):  # the runs of older locks first
        events += maker.stage(stage)
        if progress:
            progress(done, total)
    imports = 0
    for done, file in enumerate(tracked, len(superseded) + len(stages) + 1):
        found = maker.imported(file)
        imports += bool(found)
        events += found
        if progress:
            progress(done, total)
    declared = [name for pipeline in pipelines for name in pipeline.declared]
    stale = sum(bool(stage.reasons) for stage in stages)
    counts = {key: value for key, value in (("stages run", len(stages)), ("superseded runs", len(superseded)),
                                            ("stale", stale),
                                            ("declared, never run", len(declared)), ("dvc imports", imports)) if value}
    notes = maker.notes + ([f"declared in dvc.yaml but not in dvc.lock (never ran), not recorded: "
                            f"{', '.join(declared)}"] if declared else [])
    return Imported(naming.finish(events, f"DVC project {source}"), counts, notes)


def _read(source: str, options: ImportOptions) -> Imported:
    return events_from_dvc(source, schema=options.schema, namespace=options.namespace, progress=options.progress)


IMPORTER = Importer("dvc", "a DVC project folder, a dvc.yaml or a dvc.lock", _read, extra="dvc")
