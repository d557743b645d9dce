"""Reading ``dvc.yaml`` files: YAML parsing with located errors, and validation against DVC's JSON Schema.

A ``dvc.yaml`` is validated against the dvc.yaml JSON Schema of iterative/dvcyaml-schema when one is
known (the ``schema`` argument, ``$PROVGRAPH_DVC_SCHEMA`` or a packaged copy); otherwise only the
structure the importer reads is checked. A YAML file with none of DVC's top-level keys is not a DVC
pipeline, and the error names the ``--from`` that reads it when it looks like another tool's file.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from ..errors import InvalidEvent, ProvgraphError

__all__ = ["load_yaml", "parse_yaml", "validate_dvc_yaml"]

SCHEMA_ENV = "PROVGRAPH_DVC_SCHEMA"
PACKAGED_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "dvc" / "dvc.yaml.schema.json"
DVC_KEYS = frozenset({"stages", "vars", "params", "metrics", "plots", "artifacts", "datasets"})
#: top-level keys of other tools' pipeline files -> the ``--from`` that reads them
OTHER_TOOLS = (({"pipelineSpec"}, "kfp"), ({"pipelineInfo"}, "kfp"), ({"deploymentSpec"}, "kfp"),
               ({"pipeline", "transform"}, "pachyderm"), ({"eventType", "run", "job"}, "openlineage"))


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"{path}: cannot be read: {exc}") from exc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text read from ``source``; syntax errors name ``source`` and the line."""
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml is a declared dependency of provgraph[dvc]
        raise ProvgraphError("reading dvc.yaml needs PyYAML: pip install 'provgraph[dvc]'") from exc
    try:  # libyaml's loader when PyYAML has it: the same safe loading, about ten times faster
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidEvent(f"{source}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from exc
    except RecursionError as exc:
        raise InvalidEvent(f"{source}: not valid YAML: nested too deep to read") from exc


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
    if not DVC_KEYS & set(document):
        other = next((tool for keys, tool in OTHER_TOOLS if keys <= set(document)), None)
        hint = f"; it looks like a {other} file: use --from {other}" if other else ""
        raise InvalidEvent(f"{source}: not a DVC pipeline (none of {', '.join(sorted(DVC_KEYS))} at the top){hint}")
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


def path_entries(items: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[path, {path: {flags}}]`` list items as (path, flags)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for item in items or ():
        if isinstance(item, str):
            found.append((item, {}))
        elif isinstance(item, dict):
            found += [(str(path), flags if isinstance(flags, dict) else {}) for path, flags in item.items()]
    return found
