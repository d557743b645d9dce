"""Reading DVC parameter files as ``dvc`` does: by suffix, YAML (and JSON), TOML or Python.

``params:`` and ``vars:`` may name any of them (``params.toml:``, ``config.py:``); a Python file gives its
module-level and class-level assignments of literal values (``class Train: lr = 0.1`` is ``Train.lr``).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InvalidEvent
from .dvc_yaml import load_yaml

__all__ = ["load_params"]


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
