"""Validating OpenLineage events against the OpenLineage JSON Schemas, read from a local folder.

The folder holds the core schema ``OpenLineage.json`` and the facet schemas under ``facets/`` as
published in the OpenLineage repository's ``spec/`` folder. Every ``$ref`` is resolved from that folder
(the facets point at the core schema by its ``$id``); nothing is fetched from the network.

The core schema checks the envelope (run, job, datasets, the base fields of every facet). Each facet
whose name and place match a published facet schema (``run.facets.parent`` -> ParentRunFacet,
``outputs[0].outputFacets.outputStatistics`` -> OutputStatisticsOutputDatasetFacet, ...) is then checked
against that schema; facets of other names are custom facets, which OpenLineage allows.

Input-dataset facets (``inputs[].inputFacets``) are not checked unless asked for, as in OpenLineage's
own validating proxy (``proxy/fluentd``, ``validate_input_dataset_facets`` defaults to false): the
published DataQualityMetricsInputDatasetFacet requires ``columnMetrics``, which OpenLineage's own full
example event leaves out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from ..errors import InvalidEvent, ProvgraphError

#: Environment variable naming a folder with the OpenLineage spec (``OpenLineage.json`` + ``facets/``).
SPEC_ENV = "PROVGRAPH_OPENLINEAGE_SPEC"
#: Where a packaged copy of the spec would live; used when present.
PACKAGED_SPEC = Path(__file__).resolve().parent.parent / "schemas" / "openlineage"
#: Facet kinds, most specific suffix first; a facet schema's kind is read from its file name.
FACET_KINDS = ("InputDatasetFacet", "OutputDatasetFacet", "DatasetFacet", "RunFacet", "JobFacet")
EVENT_KINDS = ("RunEvent", "DatasetEvent", "JobEvent")


def where(parts: Any) -> str:
    """A JSON path such as ``outputs[0].facets.ownership`` from path parts."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def event_kind(event: dict[str, Any]) -> str:
    """Which OpenLineage event ``event`` claims to be: RunEvent, DatasetEvent or JobEvent."""
    if "run" in event or "eventType" in event:
        return "RunEvent"
    if "dataset" in event:
        return "DatasetEvent"
    return "JobEvent" if "job" in event else "RunEvent"


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProvgraphError(f"cannot read the OpenLineage schema {path}: {exc}") from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("$id"), str):
        raise ProvgraphError(f"{path} is not a JSON Schema with an $id")
    return loaded


def _kinds(stem: str) -> tuple[str, ...]:
    for kind in FACET_KINDS:
        if stem.endswith(kind):
            return (kind,)
    return ("JobFacet", "DatasetFacet")  # LineageFacet: one schema for job and dataset lineage


class OpenLineageSpec:
    """The OpenLineage core and facet schemas from ``folder``, ready to validate events and facets."""

    def __init__(self, folder: str | Path, check_input_facets: bool = False) -> None:
        self.folder = Path(folder)
        self.check_input_facets = check_input_facets
        core_path = self.folder / "OpenLineage.json"
        if not core_path.is_file():
            raise ProvgraphError(f"{self.folder} holds no OpenLineage.json; point to the OpenLineage spec/ folder")
        core = _load(core_path)
        facet_schemas = {path.stem: _load(path) for path in sorted((self.folder / "facets").glob("*.json"))}
        resources = [(schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
                     for schema in (core, *facet_schemas.values())]
        registry: Registry[Any] = Registry().with_resources(resources)
        self.version = core["$id"]
        self._events = {kind: Draft202012Validator({"$ref": f"{core['$id']}#/$defs/{kind}"}, registry=registry)
                        for kind in EVENT_KINDS}
        self._files = {stem: Draft202012Validator({"$ref": schema["$id"]}, registry=registry)
                       for stem, schema in facet_schemas.items()}
        #: (facet kind, facet name) -> schema file stem, e.g. ("RunFacet", "parent") -> "ParentRunFacet"
        self.facets: dict[tuple[str, str], str] = {}
        for stem, schema in facet_schemas.items():
            for name in schema.get("properties", {}):
                for kind in _kinds(stem):
                    self.facets[(kind, name)] = stem

    def validate_facets(self, stem: str, document: Any, prefix: str = "") -> None:
        """Check ``document`` (``{facet name: facet}``) against the facet schema file ``stem``."""
        if stem not in self._files:
            raise ProvgraphError(f"no facet schema {stem!r} in {self.folder / 'facets'}")
        self._check(self._files[stem], document, f"{stem} facet", prefix)

    def validate(self, event: Any) -> str:
        """Check an OpenLineage event and its known facets; returns its kind (RunEvent, ...).

        Raises :class:`InvalidEvent` whose ``field`` is the JSON path of the first problem.
        """
        if not isinstance(event, dict):
            raise InvalidEvent(f"an OpenLineage event is a JSON object, not {type(event).__name__}")
        kind = event_kind(event)
        self._check(self._events[kind], event, f"OpenLineage {kind}", "")
        for path, facet_kind, name, facet in _facets(event):
            stem = self.facets.get((facet_kind, name))
            if stem is not None and (facet_kind != "InputDatasetFacet" or self.check_input_facets):
                self._check(self._files[stem], {name: facet}, f"{stem} facet", path[: -len(name) - 1])
        return kind

    @staticmethod
    def _check(validator: Draft202012Validator, instance: Any, what: str, prefix: str) -> None:
        try:
            error = best_match(validator.iter_errors(instance))
        except Unresolvable as exc:
            raise ProvgraphError(f"the OpenLineage schemas refer to {exc}, which is not in the spec folder") from exc
        if error is None:
            return
        field = where([*([prefix] if prefix else []), *error.absolute_path])
        message = error.message if len(error.message) < 300 else error.message[:300] + "..."
        raise InvalidEvent(f"not a valid {what}: {message}", field)


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """Every facet of a (schema-valid) event as (path, facet kind, name, value)."""
    places: list[tuple[str, Any, str]] = [
        ("run.facets", (event.get("run") or {}).get("facets"), "RunFacet"),
        ("job.facets", (event.get("job") or {}).get("facets"), "JobFacet"),
        ("dataset.facets", (event.get("dataset") or {}).get("facets"), "DatasetFacet"),
    ]
    for key, extra, extra_kind in (("inputs", "inputFacets", "InputDatasetFacet"),
                                   ("outputs", "outputFacets", "OutputDatasetFacet")):
        for index, dataset in enumerate(event.get(key) or ()):
            if isinstance(dataset, dict):
                places.append((f"{key}[{index}].facets", dataset.get("facets"), "DatasetFacet"))
                places.append((f"{key}[{index}].{extra}", dataset.get(extra), extra_kind))
    for path, facets, kind in places:
        if isinstance(facets, dict):
            for name, facet in facets.items():
                yield f"{path}.{name}", kind, name, facet


@cache
def _cached(folder: str, check_input_facets: bool) -> OpenLineageSpec:
    return OpenLineageSpec(folder, check_input_facets)


def find_spec(folder: str | Path | None = None, check_input_facets: bool = False) -> OpenLineageSpec | None:
    """The spec in ``folder``, else in ``$PROVGRAPH_OPENLINEAGE_SPEC``, else a packaged copy, else None."""
    chosen = folder if folder is not None else os.environ.get(SPEC_ENV)
    if chosen:
        return _cached(str(Path(chosen).resolve()), check_input_facets)
    return _packaged(check_input_facets)


@cache
def _packaged(check_input_facets: bool) -> OpenLineageSpec | None:
    return _cached(str(PACKAGED_SPEC), check_input_facets) if (PACKAGED_SPEC / "OpenLineage.json").is_file() else None
