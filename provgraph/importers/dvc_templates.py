"""DVC's templating, as ``dvc repro`` resolves it: ``${...}`` interpolation and ``foreach``/``matrix`` stages.

A stage ``build`` with ``foreach: [us, eu]`` runs as ``build@us`` and ``build@eu``, each with
``${item}`` (and ``${key}`` for a mapping) replaced; a ``matrix`` stage runs once per combination, as
``name@v1-v2`` (a value that is not a scalar is named ``<dimension><index>``). Other ``${name}`` refer
to ``vars`` (the file's, then the stage's own, whose files are read from its ``wdir``) and, by default,
to ``params.yaml`` next to the ``dvc.yaml``. A whole-string reference keeps its value's type; a
reference DVC could not resolve is left as written.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_REFERENCE = re.compile(r"\$\{\s*([^}\s]+)\s*\}")
Loader = Callable[[Path], Any]


def context(document: dict[str, Any], folder: Path, load: Loader) -> dict[str, Any]:
    """The variables a ``dvc.yaml`` sees: ``params.yaml`` (when present), then its ``vars``."""
    sources: list[Any] = ["params.yaml"] if (folder / "params.yaml").is_file() else []
    return _loaded(sources + (document.get("vars") or []), folder, load)


def _loaded(sources: list[Any], folder: Path, load: Loader) -> dict[str, Any]:
    """The variables of a ``vars`` list: mappings as they are, files (``name[:keys]``) read from ``folder``."""
    found: dict[str, Any] = {}
    for source in sources:
        if isinstance(source, dict):
            found.update(source)
        elif isinstance(source, str):
            file = folder / source.split(":", 1)[0]
            loaded = load(file) if file.is_file() else None
            if isinstance(loaded, dict):
                found.update(loaded)
    return found


def _lookup(variables: dict[str, Any], dotted: str) -> Any:
    current: Any = variables
    for part in dotted.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(dotted)
    return current


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with every resolvable ``${...}`` replaced, recursively."""
    if isinstance(value, dict):
        return {resolve(k, variables): resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    try:
        if whole:
            return _lookup(variables, whole.group(1))
        return _REFERENCE.sub(lambda m: _text(_lookup(variables, m.group(1))), value)
    except KeyError:
        return value


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _stage(body: dict[str, Any], variables: dict[str, Any], folder: Path, load: Loader) -> dict[str, Any]:
    """One stage resolved as DVC does: its own ``vars`` (files read from its ``wdir``) added to ``variables``."""
    own = body.get("vars")
    if not isinstance(own, list) or not own:
        return resolve(body, variables)
    body = {key: value for key, value in body.items() if key != "vars"}
    wdir = resolve(body.get("wdir", "."), variables)
    return resolve(body, {**variables, **_loaded(own, folder / str(wdir), load)})


def expand(name: str, stage: dict[str, Any], variables: dict[str, Any], folder: Path,
           load: Loader) -> Iterator[tuple[str, dict[str, Any]]]:
    """The stages ``stage`` (of the ``dvc.yaml`` in ``folder``) stands for, as (name, resolved stage): itself,
    or its foreach/matrix expansion; stage-level ``vars`` are read with ``load``."""
    if "foreach" in stage:
        items = resolve(stage["foreach"], variables)
        body = stage.get("do") or {}
        if not isinstance(items, list | dict):  # unresolvable: the template stands for itself
            yield name, body
            return
        pairs = items.items() if isinstance(items, dict) else \
            ((_text(item) if _scalar(item) else str(index), item) for index, item in enumerate(items or ()))
        for key, item in pairs:
            yield f"{name}@{key}", _stage(body, {**variables, "item": item, "key": key}, folder, load)
        return
    if "matrix" in stage:
        matrix = resolve(stage["matrix"], variables)
        body = {key: value for key, value in stage.items() if key != "matrix"}
        if not isinstance(matrix, dict):
            yield name, body
            return
        dimensions = [(dim, values if isinstance(values, list) else [values]) for dim, values in matrix.items()]
        for combination in itertools.product(*(list(enumerate(values)) for _, values in dimensions)):
            key = "-".join(_text(value) if _scalar(value) else f"{dim}{index}"
                           for (dim, _), (index, value) in zip(dimensions, combination, strict=True))
            item = {dim: value for (dim, _), (_, value) in zip(dimensions, combination, strict=True)}
            yield f"{name}@{key}", _stage(body, {**variables, "item": item}, folder, load)
        return
    yield name, _stage(stage, variables, folder, load)
