"""DVC pipelines -> provgraph events, from ``dvc.yaml`` and, when present, ``dvc.lock``.

:func:`events_from_dvc` reads a ``dvc.yaml`` (validated against the dvc.yaml JSON Schema of
iterative/dvcyaml-schema when one is known: the ``schema`` argument, ``$PROVGRAPH_DVC_SCHEMA`` or a
packaged copy; otherwise only the structure this importer reads is checked) and makes one run per stage:

- ``deps`` are used (``*.py``, ``*.R``, ``*.sh``, ... as code, the rest as datasets); ``outs`` are
  generated datasets (models when the top-level ``artifacts`` section types their path ``model``),
  ``metrics`` and ``plots`` generated evaluations; paths are relative to ``wdir`` and located relative
  to ``root`` (default: the folder of ``dvc.yaml``);
- ``params`` are params named ``key`` (from ``params.yaml``) or ``file:key``, with the values
  ``dvc.lock`` recorded (nested values flattened with dots); without a lock their values are unknown
  (``null``);
- ``cmd`` is the ``dvc.cmd`` annotation; the kind is guessed from the stage name (train -> training,
  eval/test -> evaluation, prepare/clean -> cleaning, feature -> feature engineering, split -> splitting,
  download/ingest/fetch/load -> ingestion; else other).

Hashes: DVC records md5, our events carry sha256. Each md5 in ``dvc.lock`` is kept as a
``dvc.md5:<path>`` annotation; when the file exists locally and its md5 still matches the lock, its
sha256 is computed and recorded, so the artifact joins the content-addressed graph (a file that changed
since, and directories, stay identified by location).

Times: DVC records none. A stage locked in ``dvc.lock`` ran and succeeded: it gets ``run.start`` and
``run.end`` (completed), both at the lock file's modification time. A stage without a lock entry was
declared but is not known to have run: it gets a ``run.start`` only, at ``dvc.yaml``'s modification
time, labelled ``dvc-declared``. ``foreach`` / ``matrix`` stages are taken from their expanded entries
(``name@key``) in ``dvc.lock``; unexpanded, they become one declared run with the template's ``cmd``.

Parsing YAML needs PyYAML (``pip install provgraph[dvc]``).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from .. import events as ev
from ..errors import InvalidEvent, ProvgraphError
from . import naming
from .naming import Imported
from .registry import Importer, ImportOptions

__all__ = ["events_from_dvc", "load_yaml", "validate_dvc_yaml"]

SCHEMA_ENV = "PROVGRAPH_DVC_SCHEMA"
PACKAGED_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "dvc" / "dvc.yaml.schema.json"
CODE_SUFFIXES = frozenset({".py", ".r", ".sh", ".ipynb", ".jl", ".scala", ".java", ".sql", ".js", ".ts", ".rb"})
KIND_WORDS = (("train", "training"), ("eval", "evaluation"), ("test", "evaluation"), ("feature", "feature_engineering"),
              ("split", "splitting"), ("prep", "cleaning"), ("clean", "cleaning"), ("download", "ingestion"),
              ("ingest", "ingestion"), ("fetch", "ingestion"), ("load", "ingestion"))
CHUNK = 1 << 20


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors name the file and line."""
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml is a declared dependency of provgraph[dvc]
        raise ProvgraphError("reading dvc.yaml needs PyYAML: pip install 'provgraph[dvc]'") from exc
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"{path}: cannot be read: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidEvent(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from exc


@cache
def _validators(schema_path: str) -> tuple[Draft7Validator, dict[str, Draft7Validator]]:
    try:
        schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvgraphError(f"cannot read the dvc.yaml schema {schema_path}: {exc}") from exc
    definitions = schema.get("definitions", {})
    variants = {name: Draft7Validator({"$ref": f"#/definitions/{name}", "definitions": definitions})
                for name in ("Stage", "ForeachDo", "Matrix") if name in definitions}
    return Draft7Validator(schema), variants


def _schema_path(schema: str | Path | None) -> str | None:
    chosen = schema if schema is not None else os.environ.get(SCHEMA_ENV)
    if chosen:
        return str(Path(chosen).resolve())
    return str(PACKAGED_SCHEMA) if PACKAGED_SCHEMA.is_file() else None


def _message(error: Any) -> str:
    if error.validator == "additionalProperties":
        return f"unknown field(s): {error.message.split('(')[-1].rstrip(')')}"
    return error.message if len(error.message) < 300 else error.message[:300] + "..."


def _pick(errors: Any) -> Any:
    """The most telling error: an unknown field when there is one (the examples' usual mistake)."""
    errors = list(errors)
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    return best_match(unknown or errors)


def _where(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _invalid(source: str, field: str, message: str) -> InvalidEvent:
    error = InvalidEvent(f"{source}: {field}: {message}" if field else f"{source}: {message}")
    error.field = field
    return error


def validate_dvc_yaml(document: Any, schema: str | Path | None = None, source: str = "dvc.yaml") -> None:
    """Check a parsed ``dvc.yaml``; raises :class:`InvalidEvent` naming the field, e.g. ``stages.train.extra``."""
    if not isinstance(document, dict):
        raise InvalidEvent(f"{source}: a dvc.yaml is a mapping, not {type(document).__name__}")
    path = _schema_path(schema)
    if path is not None:
        whole, variants = _validators(path)
        if next(whole.iter_errors(document), None) is None:
            return
        stages = document.get("stages")
        for name, stage in (stages.items() if isinstance(stages, dict) else ()):
            if isinstance(stage, dict) and {"matrix", "foreach"} <= set(stage):
                raise _invalid(source, f"stages.{name}", "a stage cannot have both matrix and foreach")
            variant = "Matrix" if isinstance(stage, dict) and "matrix" in stage else \
                "ForeachDo" if isinstance(stage, dict) and "foreach" in stage else "Stage"
            error = _pick(variants[variant].iter_errors(stage)) if variant in variants else None
            if error is not None:
                raise _invalid(source, _where(["stages", name, *error.absolute_path]), _message(error))
        error = _pick(whole.iter_errors(document))
        if error is not None:
            raise _invalid(source, _where(error.absolute_path), _message(error))
    stages = document.get("stages", {})
    if not isinstance(stages, dict):
        raise _invalid(source, "stages", "must be a mapping of stage names to stages")
    for name, stage in stages.items():
        if not isinstance(stage, dict):
            raise _invalid(source, f"stages.{name}", "a stage is a mapping")
        for key in ("deps", "outs", "metrics", "plots", "params"):
            if key in stage and not isinstance(stage[key], list):
                raise _invalid(source, f"stages.{name}.{key}", "must be a list")


def _entries(items: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[path, {path: {flags}}]`` list items as (path, flags)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for item in items or ():
        if isinstance(item, str):
            found.append((item, {}))
        elif isinstance(item, dict):
            found += [(str(path), flags if isinstance(flags, dict) else {}) for path, flags in item.items()]
    return found


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: naming.scalar(value)}


def _hashes(path: Path) -> tuple[str, str] | None:
    """(md5, sha256) of a regular file, in one pass; None when it is not one."""
    if not path.is_file():
        return None
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                md5.update(chunk)
                sha256.update(chunk)
    except OSError:
        return None
    return md5.hexdigest(), sha256.hexdigest()


def _kind(stage: str) -> str:
    lowered = stage.lower()
    return next((kind for word, kind in KIND_WORDS if word in lowered), "other")


def _mtime(path: Path) -> str:
    moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class _Pipeline:
    """One dvc.yaml with its lock: turns stages into events."""

    def __init__(self, dvc_yaml: Path, document: dict[str, Any], lock: dict[str, Any] | None, root: Path) -> None:
        self.file, self.folder, self.root = dvc_yaml, dvc_yaml.parent, root
        self.document, self.lock = document, lock or {}
        self.lock_time = _mtime(dvc_yaml.with_name("dvc.lock")) if lock is not None else None
        self.yaml_time = _mtime(dvc_yaml)
        artifacts = document.get("artifacts") or {}
        self.models = {os.path.normpath(a["path"]) for a in artifacts.values()
                       if isinstance(a, dict) and a.get("type") == "model" and isinstance(a.get("path"), str)}
        try:
            self.where = self.file.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            self.where = self.file.resolve().as_posix()

    def _location(self, base: Path, path: str) -> str:
        full = Path(os.path.normpath(base / path))
        try:
            return full.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return full.resolve().as_posix()

    def _artifact(self, base: Path, path: str, kind: str, locked: dict[str, Any] | None,
                  flags: dict[str, Any], annotations: dict[str, Any]) -> dict[str, Any]:
        location = self._location(base, path)
        artifact: dict[str, Any] = {"location": location, "kind": kind}
        if (kind == "dataset" and os.path.normpath(path) in self.models) or flags.get("type") == "model":
            artifact["kind"] = "model"
        labels = [naming.label(str(text)) for text in flags.get("labels") or () if str(text)]
        if labels:
            artifact["labels"] = list(dict.fromkeys(labels))
        md5 = (locked or {}).get("md5")
        if isinstance(md5, str):
            annotations[naming.name(f"dvc.md5:{location}")] = md5
            if isinstance((locked or {}).get("size"), int):
                artifact["size"] = locked["size"]  # type: ignore[index]
            if md5.endswith(".dir"):
                artifact["directory"] = True
            else:
                found = _hashes(base / path)
                if found is not None and found[0] == md5:
                    artifact["sha256"] = found[1]
                elif found is not None:
                    annotations[naming.name(f"dvc.changed:{location}")] = "local file no longer matches dvc.lock"
        return artifact

    def _params(self, declared: Any, locked: Any) -> dict[str, Any]:
        values = locked if isinstance(locked, dict) else {}
        params: dict[str, Any] = {}
        for item in declared or ():
            files = {"params.yaml": [item]} if isinstance(item, str) else item if isinstance(item, dict) else {}
            for file, keys in files.items():
                found = values.get(file)
                recorded: dict[str, Any] = found if isinstance(found, dict) else {}
                wanted = keys if isinstance(keys, list) and keys else list(recorded)
                for key in wanted:
                    label = str(key) if file == "params.yaml" else f"{file}:{key}"
                    for flat, value in _flatten(_dig(recorded, str(key)), label).items():
                        params[naming.name(flat)] = value
        return params

    def stage_events(self, name: str, stage: dict[str, Any]) -> list[ev.Event]:
        locked = self.lock.get(name) if isinstance(self.lock.get(name), dict) else None
        source = locked or stage
        base = self.folder / str(stage.get("wdir", "."))
        annotations: dict[str, Any] = {"dvc.stage": name, "dvc.file": self.where}
        cmd = source.get("cmd")
        if cmd is not None:
            annotations["dvc.cmd"] = naming.clip("\n".join(cmd) if isinstance(cmd, list) else str(cmd))
        lock_deps = {d.get("path"): d for d in (locked or {}).get("deps") or () if isinstance(d, dict)}
        lock_outs = {o.get("path"): o for o in (locked or {}).get("outs") or () if isinstance(o, dict)}
        used = []
        for path, flags in _entries(stage.get("deps")) or [(p, {}) for p in lock_deps if isinstance(p, str)]:
            kind = "code" if Path(path).suffix.lower() in CODE_SUFFIXES else "dataset"
            used.append(self._artifact(base, path, kind, lock_deps.get(path), flags, annotations))
        generated = []
        kinds = (("outs", "dataset"), ("metrics", "evaluation"), ("plots", "evaluation"))
        declared_outs = [(p, f, k) for key, k in kinds for p, f in _entries(stage.get(key))]
        if not declared_outs and locked is not None:
            declared_outs = [(p, {}, "dataset") for p in lock_outs if isinstance(p, str)]
        for path, flags, kind in declared_outs:
            generated.append(self._artifact(base, path, kind, lock_outs.get(path), flags, annotations))
        params = self._params(stage.get("params"), (locked or {}).get("params"))
        identity = naming.digest(self.where, name, json.dumps(source, sort_keys=True, default=str), n=16)
        run = {"id": naming.identifier(f"{name.replace('@', '.')}-{identity}", "dvc-"),
               "step": naming.name(name.split("@")[0]), "kind": _kind(name)}
        note = "DVC records no run times: start and end are the modification time of "
        if locked is None or self.lock_time is None:
            annotations["provgraph.note"] = note + "dvc.yaml (the stage is declared; no dvc.lock entry)"
            start = ev.new_event("run.start", self.yaml_time, run=run, used=used, generated=generated,
                                 params=params, labels=["dvc-declared"], annotations=annotations)
            return [naming.stamp(start, "dvc")]
        annotations["provgraph.note"] = note + "dvc.lock"
        start = ev.new_event("run.start", self.lock_time, run=run, params=params, annotations=annotations)
        end = ev.new_event("run.end", self.lock_time, run={**run, "status": "completed"}, used=used,
                           generated=generated, params=params)
        return [naming.stamp(start, "dvc"), naming.stamp(end, "dvc")]

    def events(self) -> tuple[list[ev.Event], dict[str, int]]:
        found: list[ev.Event] = []
        counts = {"stages": 0, "locked": 0, "declared": 0}
        for name, stage in (self.document.get("stages") or {}).items():
            if "foreach" in stage or "matrix" in stage:
                expanded = [key for key in self.lock if isinstance(key, str) and key.startswith(f"{name}@")]
                template = stage.get("do") if "foreach" in stage else stage
                if expanded:
                    for key in expanded:
                        found += self.stage_events(key, {**(template or {}), **_expanded(self.lock[key])})
                        counts["locked"] += 1
                    counts["stages"] += len(expanded)
                    continue
                stage = {"cmd": (template or {}).get("cmd"), "wdir": (template or {}).get("wdir", ".")}
            events = self.stage_events(str(name), stage)
            counts["stages"] += 1
            counts["locked" if len(events) == 2 else "declared"] += 1
            found += events
        return found, counts


def _expanded(locked: Any) -> dict[str, Any]:
    """The deps/outs of an expanded (``name@key``) stage, as dvc.yaml lists, from its lock entry."""
    if not isinstance(locked, dict):
        return {}
    return {key: [item["path"] for item in locked.get(key) or () if isinstance(item, dict) and "path" in item]
            for key in ("deps", "outs")}


def _dig(values: dict[str, Any], dotted: str) -> Any:
    if dotted in values:
        return values[dotted]
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _lock(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InvalidEvent(f"{path}: a dvc.lock is a mapping")
    stages = data.get("stages", data) if "schema" in data else data
    if not isinstance(stages, dict):
        raise InvalidEvent(f"{path}: stages must be a mapping", "stages")
    return stages


def events_from_dvc(path: str | Path, root: str | Path | None = None, schema: str | Path | None = None) -> Imported:
    """The events of a DVC pipeline: ``path`` is a ``dvc.yaml`` (or any ``*.yaml`` in its format) or its folder.

    ``root`` is the folder artifact locations are relative to (default: the pipeline's folder).
    Raises :class:`InvalidEvent` naming the file and field when the pipeline is not valid.
    """
    file = Path(path)
    if file.is_dir():
        file = file / "dvc.yaml"
    if not file.is_file():
        raise InvalidEvent(f"{file}: no such file")
    document = load_yaml(file)
    validate_dvc_yaml(document, schema, str(file))
    lock = _lock(file.with_name("dvc.lock")) if file.name == "dvc.yaml" else None
    pipeline = _Pipeline(file, document, lock, Path(root) if root is not None else file.parent)
    events, counts = pipeline.events()
    return Imported(naming.finish(events, f"DVC pipeline {file}"), counts)


def _read(source: str, options: ImportOptions) -> Imported:
    path = Path(source)
    root = options.project_root if options.project_root and path.resolve().is_relative_to(options.project_root) \
        else None
    return events_from_dvc(path, root=root, schema=options.schema)


IMPORTER = Importer("dvc", "dvc.yaml or the folder holding it (dvc.lock read when present)", _read, extra="dvc")
