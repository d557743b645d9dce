"""Reading DVC parameter and metrics files as ``dvc`` does: by suffix, YAML (and JSON), TOML or Python;
their values by dotted name.

``params:`` and ``vars:`` may name any of them (``params.toml:``, ``config.py:``); a Python file gives its
module-level and class-level assignments of literal values (``class Train: lr = 0.1`` is ``Train.lr``).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InvalidEvent
from . import naming
from .dvc_yaml import load_yaml

__all__ = ["dig", "flatten", "load_params", "numbers"]


def load_params(path: Path) -> Any:
    """The values of the parameter file ``path``; errors name the file."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".py"):
        return load_yaml(path)
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text) if suffix == ".toml" else _assignments(ast.parse(text).body)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, SyntaxError, ValueError) as exc:
        raise InvalidEvent(f"{path}: cannot be read as a parameter file: {exc}") from exc


def _assignments(body: list[ast.stmt]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = _assignments(node.body)
            continue
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue  # not a literal: DVC does not read it either
    return found


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Nested mappings as one mapping by dotted name (``{"a": {"b": 1}}`` is ``{"a.b": 1}``)."""
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: value}


def dig(values: dict[str, Any], dotted: str) -> Any:
    """The value a dotted key (``train.lr``) names in loaded parameters, or None."""
    if dotted in values:
        return values[dotted]
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def numbers(value: Any, left_out: dict[str, str]) -> dict[str, float]:
    """The numbers of a metrics file by dotted name; NaN and infinities, which events cannot carry as
    numbers, go by name into ``left_out`` (``metric.loss: NaN``)."""
    found = {}
    for key, item in flatten(value, "").items():
        if (text := naming.non_finite(item)) is not None:
            left_out[naming.name(f"metric.{key}")] = text
        elif isinstance(item, int | float) and not isinstance(item, bool):
            found[naming.name(key)] = item
    return found
