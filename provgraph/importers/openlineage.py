"""OpenLineage run events -> provgraph events.

:func:`events_from_openlineage` validates one OpenLineage event (against the OpenLineage JSON Schemas
when a spec folder is known, see :mod:`.openlineage_spec`) and maps it:

- ``START`` -> ``run.start``; ``COMPLETE`` -> ``run.end`` completed; ``FAIL`` -> ``run.end`` failed
  with the ErrorMessageRunFacet's message; ``ABORT`` -> ``run.end`` aborted; ``RUNNING`` -> ``run.update``
  (what it saw - outputs, statistics, facets - joins the run without changing its end or status, whether
  it arrives between START and end or after the end; one that comes first starts the run, see
  :func:`implied`; its run kind only when it has a JobTypeJobFacet); ``OTHER`` (the spec's "additional
  metadata", for example after the run is complete), or no eventType, is such an update too. Files of
  events fold RUNNING and OTHER events into their run instead, see :mod:`.openlineage_files`. A DatasetEvent or
  JobEvent describes no run: it is refused (:class:`InvalidEvent`, a 4xx at the HTTP endpoint) rather
  than accepted and dropped.
- ``runId`` -> run id, unchanged when it fits the identifier pattern (UUIDs do), else a cleaned form
  plus a digest; the ParentRunFacet's run -> the parent run, its job kept as ``openlineage.parent.job``,
  its ``root`` as ``openlineage.root.run`` and ``openlineage.root.job``.
- job ``namespace`` and ``name`` -> the step ``namespace/name``; JobTypeJobFacet ``DAG`` -> a pipeline.
- inputs / outputs -> used / generated datasets located by URI (``namespace/name`` for a namespace with
  ``://``, ``file://name`` for ``file``, else ``namespace:name``), whose logical name is that URI; the
  DatasetVersionDatasetFacet -> ``digests.openlineage-version`` (a reader that gives no version names no
  digest, so it reads the latest version known); outputStatistics size -> size (an inputStatistics size is
  the bytes the run read, not the version's size: ``openlineage.bytesRead:URI``); dataset tags -> labels;
  symlinks -> the same version used or generated under each other name (role ``symlink``, same digests).
- columnLineage -> column artifacts ``URI#field`` (kind ``features``): each output field generated and
  derived from the input fields it comes from, which are used, so ``impact``/``lineage`` of ``URI#field``
  follow ordinary derivations. Each derivation carries its transformations (an input field's
  ``transformations``: type, subtype, description, masking; else the 1.x ``transformationType`` and
  ``transformationDescription``, as written), stored as qualified derivations. The facet's ``dataset``
  entries (lineage that affects the whole dataset: filters, joins, sorts on input fields) derive the
  output dataset from those input fields by those transformations. The facet is kept as an annotation.
- lifecycleStateChange ``DROP``/``TRUNCATE`` of an output -> an ``artifact.invalidate`` of that dataset
  (``OVERWRITE`` and others are a new version, as any output).
- run annotations keyed by dataset: ``openlineage.schema:URI`` (fields and types),
  ``openlineage.rowCount:URI``, ``openlineage.lifecycleStateChange:URI``, and every facet this mapping
  does not read, as ``openlineage.facet.NAME:URI`` (dataset) or ``openlineage.facet.NAME`` (run).
- ``producer`` -> a software agent; OwnershipJobFacet owners -> agents (``team:``/``org:`` owners are
  organizations, others persons, the ownership type their role).
- run and job tags -> labels ``key:value``; ExecutionParametersRunFacet -> params;
  ProcessingEngineRunFacet -> environment packages (with ``openlineage-adapter``: its
  ``openlineageAdapterVersion``); externalQuery -> annotations; SourceCodeLocationJobFacet with a git
  commit -> ``code.git``; nominal times, SQL, documentation and source locations -> annotations.

Event ids are digests of the OpenLineage event, so the same event sent twice gives the same events. An
event naming more datasets than one provgraph event holds is several events of its run
(:mod:`.openlineage_split`).

:func:`implied` (:mod:`.openlineage_implied`) completes what single events cannot say: the start of a run
seen only ending or first running, a parent (and the root above it) known only from ParentRunFacets, one
start and one end per run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from . import naming
from .naming import Imported
from .openlineage_implied import PARENT_JOB, ROOT_JOB, ROOT_RUN, RecordedRuns, implied
from .openlineage_spec import OpenLineageSpec, event_kind, find_spec
from .openlineage_split import split
from .registry import Importer, ImportOptions

__all__ = ["OpenLineageSpec", "RecordedRuns", "events_from_openlineage", "events_from_openlineage_payload", "implied",
           "run_id"]

STATUS = {"COMPLETE": "completed", "FAIL": "failed", "ABORT": "aborted"}
#: OpenLineage eventTypes that add to their run without starting or ending it
UPDATES = ("RUNNING", "OTHER")
#: OpenLineage eventType -> provgraph event type
EVENT_TYPES = {"START": "run.start", **dict.fromkeys(UPDATES, "run.update"), **dict.fromkeys(STATUS, "run.end")}
#: dataset facets the mapping reads; any other (ownership, dataSource, storage, catalog, ...) is kept as an annotation
KNOWN_DATASET_FACETS = frozenset({"version", "tags", "schema", "symlinks", "lifecycleStateChange", "columnLineage",
                                  "inputStatistics", "outputStatistics"})
KNOWN_RUN_FACETS = frozenset({"parent", "nominalTime", "errorMessage", "executionParameters", "processing_engine",
                              "externalQuery", "tags"})
COLUMN_KEYS = ("namespace", "name", "field")
#: lifecycle states that end a dataset version: recorded as its invalidation
ENDING_STATES = ("DROP", "TRUNCATE")
_GIT_COMMIT = 40


def run_id(raw: str) -> str:
    """The provgraph run id of an OpenLineage ``runId``."""
    return naming.identifier(raw)


def _obj(parent: dict[str, Any], key: str, where: str, required: bool = True) -> dict[str, Any]:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent("is required and must be an object" if value is None else "must be an object", where)
    return value


def _str(parent: dict[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidEvent("is required and must be a non-empty string", where)
    return value


def _facet(facets: dict[str, Any], name: str) -> dict[str, Any]:
    value = facets.get(name)
    return value if isinstance(value, dict) else {}


def dataset_uri(namespace: str, name: str) -> str:
    """The URI of an OpenLineage dataset (see the module docstring)."""
    if "://" in namespace:
        return f"{namespace.rstrip('/')}/{name.lstrip('/')}"
    if namespace == "file":
        return f"file://{name}" if name.startswith("/") else f"file:{name}"
    return f"{namespace}:{name}"


def _dataset(dataset: Any, where: str, output: bool, notes: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset as artifacts: itself, then its symlinks (other names of the same version).

    Facets that describe the version rather than name it go into ``notes`` (run annotations keyed by the
    dataset URI): its schema, row count, lifecycle state change and unknown facets.
    """
    if not isinstance(dataset, dict):
        raise InvalidEvent("a dataset must be an object", where)
    uri = dataset_uri(_str(dataset, "namespace", f"{where}.namespace"), _str(dataset, "name", f"{where}.name"))
    facets = _obj(dataset, "facets", f"{where}.facets", required=False)
    extra = _obj(dataset, "outputFacets" if output else "inputFacets", where, required=False)
    version = _facet(facets, "version").get("datasetVersion")
    artifact: dict[str, Any] = {"location": uri, "name": naming.name(uri), "kind": "dataset"}
    if isinstance(version, str) and version and not any(c.isspace() for c in version):
        artifact["digests"] = {"openlineage-version": version[:512]}
    statistics = _facet(extra, "outputStatistics" if output else "inputStatistics")
    if isinstance(statistics.get("size"), int) and statistics["size"] >= 0:
        if output:  # the bytes written: the version's size
            artifact["size"] = statistics["size"]
        else:  # the bytes this run read (a partial read, pruned columns), not the version's size
            notes[naming.name(f"openlineage.bytesRead:{uri}")] = statistics["size"]
    if isinstance(statistics.get("rowCount"), int):
        notes[naming.name(f"openlineage.rowCount:{uri}")] = statistics["rowCount"]
    labels = _tags(_facet(facets, "tags"))
    if labels:
        artifact["labels"] = labels
    fields = _facet(facets, "schema").get("fields")
    if isinstance(fields, list):
        notes[naming.name(f"openlineage.schema:{uri}")] = naming.scalar(
            [{k: f[k] for k in ("name", "type") if k in f} for f in fields if isinstance(f, dict)])
    state = _facet(facets, "lifecycleStateChange").get("lifecycleStateChange")
    if isinstance(state, str):
        notes[naming.name(f"openlineage.lifecycleStateChange:{uri}")] = state
    for name, facet in {**facets, **extra}.items():
        if name not in KNOWN_DATASET_FACETS:
            notes[naming.name(f"openlineage.facet.{name}:{uri}")] = naming.scalar(facet)
    aliases = [{**artifact, "location": alias, "name": naming.name(alias), "role": "symlink"}
               for alias in _symlinks(_facet(facets, "symlinks")) if alias != uri]
    return [artifact, *aliases]


def _symlinks(facet: dict[str, Any]) -> list[str]:
    return [dataset_uri(link["namespace"], link["name"]) for link in facet.get("identifiers") or ()
            if isinstance(link, dict) and isinstance(link.get("namespace"), str) and link["namespace"]
            and isinstance(link.get("name"), str) and link["name"]]


def _columns(outputs: list[Any], used: list[dict[str, Any]], notes: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level lineage (columnLineage facets) as column artifacts ``URI#field``: each output field is
    generated, derived from the input fields it was computed from (which are used) by the transformations
    the facet names (see :func:`_transformations`)."""
    found: list[dict[str, Any]] = []
    for dataset in outputs:
        facets = dataset.get("facets") if isinstance(dataset, dict) else None
        facet = _facet(facets if isinstance(facets, dict) else {}, "columnLineage")
        lineage = facet.get("fields")
        if not isinstance(lineage, dict):
            continue
        uri = dataset_uri(str(dataset.get("namespace")), str(dataset.get("name")))
        notes[naming.name(f"openlineage.columnLineage:{uri}")] = naming.scalar(
            {key: value for key, value in facet.items() if key in ("fields", "dataset")})
        for field, spec in lineage.items():
            spec = spec if isinstance(spec, dict) else {}
            sources: dict[str, list[dict[str, Any]]] = {}
            for source in spec.get("inputFields") or ():
                if isinstance(source, dict) and all(isinstance(source.get(k), str) for k in COLUMN_KEYS):
                    column = f"{dataset_uri(source['namespace'], source['name'])}#{source['field']}"
                    sources.setdefault(column, []).extend(_transformations(source, spec))
            for column in sources:
                if all(a["location"] != column for a in used):
                    used.append({"location": column, "name": naming.name(column), "kind": "features", "role": "column"})
            derived = [{"source": column, "transformations": _unique(how)} if how else column
                       for column, how in sources.items()]
            found.append({"location": f"{uri}#{field}", "name": naming.name(f"{uri}#{field}"), "kind": "features",
                          "role": "column", "derived_from": derived})
    return found


def _dataset_lineage(outputs: list[Any], generated: list[dict[str, Any]], used: list[dict[str, Any]]) -> None:
    """Column lineage that affects a whole output dataset (the facet's ``dataset`` list: a filter, join,
    sort or grouping on input fields): the dataset is derived from those input fields by those
    transformations, and from everything else the run used, as any output."""
    for dataset in outputs:
        facets = dataset.get("facets") if isinstance(dataset, dict) else None
        entries = _facet(facets if isinstance(facets, dict) else {}, "columnLineage").get("dataset")
        how: dict[str, list[dict[str, Any]]] = {}
        for source in entries if isinstance(entries, list) else ():
            if isinstance(source, dict) and all(isinstance(source.get(k), str) for k in COLUMN_KEYS):
                column = f"{dataset_uri(source['namespace'], source['name'])}#{source['field']}"
                how.setdefault(column, []).extend(_transformations(source, {}))
        if not how:
            continue
        for column in how:
            if all(a["location"] != column for a in used):
                used.append({"location": column, "name": naming.name(column), "kind": "features", "role": "column"})
        uri = dataset_uri(str(dataset.get("namespace")), str(dataset.get("name")))
        target = next(a for a in generated if a["location"] == uri and "role" not in a)
        target["derived_from"] = [{"source": a["location"], "transformations": _unique(how[a["location"]])}
                                  if how.get(a["location"]) else a["location"] for a in used]


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({json.dumps(item, sort_keys=True): item for item in items}.values())


def _transformations(source: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    """How an output field was computed from one input field: the input field's ``transformations``
    (type, subtype, description, masking), else the 1.x form's ``transformationType`` (IDENTITY, MASKED)
    and ``transformationDescription`` of the output field, kept as written."""
    found = []
    for given in source.get("transformations") or ():
        if isinstance(given, dict) and isinstance(given.get("type"), str) and given["type"]:
            transformation: dict[str, Any] = {"type": naming.name(given["type"])}
            if isinstance(given.get("subtype"), str) and given["subtype"]:
                transformation["subtype"] = naming.name(given["subtype"])
            if isinstance(given.get("description"), str) and given["description"]:
                transformation["description"] = naming.clip(given["description"])
            if isinstance(given.get("masking"), bool):
                transformation["masking"] = given["masking"]
            found.append(transformation)
    if found or not isinstance(spec.get("transformationType"), str) or not spec["transformationType"]:
        return found
    legacy: dict[str, Any] = {"type": naming.name(spec["transformationType"])}
    if isinstance(spec.get("transformationDescription"), str) and spec["transformationDescription"]:
        legacy["description"] = naming.clip(spec["transformationDescription"])
    return [legacy]


def _tags(facet: dict[str, Any]) -> list[str]:
    found = []
    for tag in facet.get("tags") or ():
        if isinstance(tag, dict) and isinstance(tag.get("key"), str):
            value = tag.get("value")
            found.append(naming.label(f"{tag['key']}:{value}" if isinstance(value, str) and value else tag["key"]))
    return list(dict.fromkeys(found))


def _agents(producer: Any, ownership: dict[str, Any]) -> list[dict[str, Any]]:
    agents: list[dict[str, Any]] = []
    if isinstance(producer, str) and producer:
        agents.append({"id": naming.identifier(naming.digest(producer), "openlineage-producer-"),
                       "kind": "software", "name": naming.name(producer), "role": "producer"})
    for owner in ownership.get("owners") or ():
        if not isinstance(owner, dict) or not isinstance(owner.get("name"), str) or not owner["name"]:
            continue
        text = owner["name"]
        kind = "organization" if text.split(":", 1)[0].lower() in ("team", "org", "organization") else "person"
        agent = {"id": naming.identifier(text.replace(":", "-")), "kind": kind, "name": naming.name(text)}
        if isinstance(owner.get("type"), str) and owner["type"]:
            agent["role"] = naming.name(owner["type"])
        if all(a["id"] != agent["id"] for a in agents):
            agents.append(agent)
    return agents


def _code(location: dict[str, Any], annotations: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("url", "repoUrl", "path", "version", "tag", "branch"):
        if isinstance(location.get(key), str):
            annotations[f"openlineage.sourceCodeLocation.{key}"] = naming.clip(location[key])
    commit = location.get("version")
    if location.get("type") != "git" or not isinstance(commit, str):
        return None
    commit = commit.lower()
    if len(commit) not in (_GIT_COMMIT, 64) or any(c not in "0123456789abcdef" for c in commit):
        return None
    git: dict[str, Any] = {"commit": commit}
    if isinstance(location.get("branch"), str):
        git["branch"] = location["branch"][:500]
    remote = location.get("repoUrl") or location.get("url")
    if isinstance(remote, str):
        git["remote"] = remote[:2048]
    return {"git": git}


def _annotations(run_facets: dict[str, Any], job_facets: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    nominal = _facet(run_facets, "nominalTime")
    for key in ("nominalStartTime", "nominalEndTime"):
        if isinstance(nominal.get(key), str):
            found[f"openlineage.{key}"] = naming.clip(nominal[key])
    for facet, key, target in (("sql", "query", "sql"), ("documentation", "description", "documentation"),
                               ("sourceCode", "language", "sourceCode.language"),
                               ("jobType", "integration", "jobType.integration"),
                               ("jobType", "processingType", "jobType.processingType"),
                               ("jobType", "jobType", "jobType")):
        value = _facet(job_facets, facet).get(key)
        if isinstance(value, str):
            found[f"openlineage.{target}"] = naming.clip(value)
    return found


def _params(facet: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for parameter in facet.get("parameters") or ():
        if isinstance(parameter, dict) and isinstance(parameter.get("key"), str) and parameter["key"]:
            params[naming.name(parameter["key"])] = naming.scalar(parameter.get("value"))
    return params


def _error(run_facets: dict[str, Any]) -> dict[str, Any]:
    facet = _facet(run_facets, "errorMessage")
    language = facet.get("programmingLanguage")
    error: dict[str, Any] = {"type": naming.name(f"{language} error" if isinstance(language, str) and language
                                                 else "OpenLineage FAIL")}
    message = facet.get("message")
    if not isinstance(message, str):
        message = "the run failed (no ErrorMessageRunFacet)"
    if isinstance(facet.get("stackTrace"), str):
        message = f"{message}\n\n{facet['stackTrace']}"
    error["message"] = naming.clip(message, 65536)
    return error


def events_from_openlineage(run_event: dict[str, Any], *, spec: OpenLineageSpec | str | Path | None = None
                            ) -> list[ev.Event]:
    """The provgraph events one OpenLineage event stands for (none, one, or its parts), validated.

    ``spec`` is an :class:`OpenLineageSpec` or the folder holding ``OpenLineage.json`` and ``facets/``;
    by default ``$PROVGRAPH_OPENLINEAGE_SPEC`` or a packaged copy, else only the fields this mapping
    reads are checked. Raises :class:`InvalidEvent` naming the offending field.
    """
    checker = spec if isinstance(spec, OpenLineageSpec) else find_spec(spec)
    if not isinstance(run_event, dict):
        raise InvalidEvent(f"an OpenLineage event is a JSON object, not {type(run_event).__name__}")
    kind = checker.validate(run_event) if checker is not None else event_kind(run_event)
    if kind != "RunEvent":
        raise InvalidEvent(f"a {kind} describes no run; provgraph records run events (START, COMPLETE, FAIL, "
                           "ABORT), whose inputs and outputs carry the same dataset and job facets")
    time = naming.timestamp(run_event.get("eventTime"), "eventTime")
    run, job = _obj(run_event, "run", "run"), _obj(run_event, "job", "job")
    own_id = run_id(_str(run, "runId", "run.runId"))
    event_type = run_event.get("eventType", "OTHER")
    if not isinstance(event_type, str):
        raise InvalidEvent("must be a string", "eventType")
    if event_type not in EVENT_TYPES:
        return []
    run_facets = _obj(run, "facets", "run.facets", required=False)
    job_facets = _obj(job, "facets", "job.facets", required=False)
    job_type = _facet(job_facets, "jobType").get("jobType")
    fields: dict[str, Any] = {
        "id": own_id,
        "step": naming.name(f"{_str(job, 'namespace', 'job.namespace')}/{_str(job, 'name', 'job.name')}"),
    }
    if event_type not in UPDATES or job_type is not None:  # an update does not guess the kind its start states
        fields["kind"] = "pipeline" if job_type == "DAG" else "other"
    if "parent" in run_facets:
        parent_run = _obj(_obj(run_facets, "parent", "run.facets.parent"), "run", "run.facets.parent.run")
        fields["parent"] = run_id(_str(parent_run, "runId", "run.facets.parent.run.runId"))

    if event_type in STATUS:
        fields["status"] = STATUS[event_type]
        if event_type == "FAIL":
            fields["error"] = _error(run_facets)
    annotations = _annotations(run_facets, job_facets)
    parent_job = _facet(_facet(run_facets, "parent"), "job")
    if isinstance(parent_job.get("namespace"), str) and isinstance(parent_job.get("name"), str):
        annotations[PARENT_JOB] = naming.name(f"{parent_job['namespace']}/{parent_job['name']}")
    root = _facet(_facet(run_facets, "parent"), "root")
    root_run, root_job = _facet(root, "run"), _facet(root, "job")
    if (isinstance(root_run.get("runId"), str) and root_run["runId"] and isinstance(root_job.get("namespace"), str)
            and isinstance(root_job.get("name"), str)):
        annotations[ROOT_RUN] = run_id(root_run["runId"])
        annotations[ROOT_JOB] = naming.name(f"{root_job['namespace']}/{root_job['name']}")
    code = _code(_facet(job_facets, "sourceCodeLocation"), annotations)
    engine = _facet(run_facets, "processing_engine")
    packages = {}
    if isinstance(engine.get("name"), str) and isinstance(engine.get("version"), str):
        packages[naming.name(engine["name"])] = engine["version"][:200]
    if isinstance(engine.get("openlineageAdapterVersion"), str):
        packages["openlineage-adapter"] = engine["openlineageAdapterVersion"][:200]
    query = _facet(run_facets, "externalQuery")
    for key in ("externalQueryId", "source"):
        if isinstance(query.get(key), str):
            annotations[f"openlineage.externalQuery.{key}"] = naming.clip(query[key])
    for name, facet in run_facets.items():
        if name not in KNOWN_RUN_FACETS:
            annotations[naming.name(f"openlineage.facet.{name}")] = naming.scalar(facet)
    inputs = run_event.get("inputs") or []
    outputs = run_event.get("outputs") or []
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise InvalidEvent("inputs and outputs must be arrays", "inputs" if not isinstance(inputs, list) else "outputs")
    used = [a for i, d in enumerate(inputs) for a in _dataset(d, f"inputs[{i}]", False, annotations)]
    generated = [a for i, d in enumerate(outputs) for a in _dataset(d, f"outputs[{i}]", True, annotations)]
    generated += _columns(outputs, used, annotations)
    _dataset_lineage(outputs, generated, used)
    event = ev.new_event(
        EVENT_TYPES[event_type], time,
        run=fields, used=used, generated=generated,
        params=_params(_facet(run_facets, "executionParameters")),
        agents=_agents(run_event.get("producer"), _facet(job_facets, "ownership")),
        labels=list(dict.fromkeys([*_tags(_facet(run_facets, "tags")), *_tags(_facet(job_facets, "tags"))])),
        annotations=annotations, code=code, environment={"packages": packages} if packages else None,
    )
    event["id"] = naming.event_id("ol", run_event)
    found = [*split(event), *_invalidations(outputs, time, event["id"])]
    return naming.finish(found, f"OpenLineage {event_type} event of run {own_id}")


def _invalidations(outputs: list[Any], time: str, source: str) -> list[ev.Event]:
    """DROP and TRUNCATE of an output end the dataset's current version: an ``artifact.invalidate``."""
    found = []
    for dataset in outputs:
        facets = dataset.get("facets") if isinstance(dataset, dict) else None
        state = _facet(facets if isinstance(facets, dict) else {}, "lifecycleStateChange").get("lifecycleStateChange")
        if state in ENDING_STATES:
            uri = dataset_uri(str(dataset.get("namespace")), str(dataset.get("name")))
            event = ev.new_event("artifact.invalidate", time,
                                 invalidation={"target": uri, "reason": f"OpenLineage lifecycleStateChange {state}"})
            event["id"] = naming.event_id("ol", source, uri, state)
            found.append(event)
    return found


def events_from_openlineage_payload(payload: Any, *, spec: OpenLineageSpec | str | Path | None = None
                                    ) -> list[ev.Event]:
    """Events from what an OpenLineage client POSTs to ``/api/v1/lineage``: one event or a JSON array.

    ``payload`` may be bytes or text (parsed as JSON) or the parsed value. All events are validated
    before any is returned; a problem in the n-th event of an array is reported as ``[n].field``.
    This is the function an OpenLineage-compatible HTTP endpoint calls before ``Project.record_many``.
    """
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidEvent(f"not valid JSON: {exc}") from exc
    if not isinstance(payload, list):
        return events_from_openlineage(payload, spec=spec)
    found: list[ev.Event] = []
    for index, item in enumerate(payload):
        try:
            found.extend(events_from_openlineage(item, spec=spec))
        except InvalidEvent as exc:
            error = InvalidEvent(f"event {index}: {exc}")
            error.field = f"[{index}].{exc.field}" if exc.field else f"[{index}]"
            raise error from exc
    return found


def _read(source: str, options: ImportOptions) -> Imported:
    from .openlineage_files import read_files

    return read_files(source, options)


IMPORTER = Importer("openlineage", "a JSON event, a JSON array, JSON Lines, or a folder of those files", _read)
