"""ML Metadata (MLMD, the store of TFX and Kubeflow Pipelines) -> provgraph events, through MLMD's own API.

SOURCE is an MLMD SQLite file, or a text-format ``ConnectionConfig`` (``*.pbtxt``, e.g. a MySQL
server's ``mysql { host: ... database: ... }``); the store is opened read-only where MLMD allows it.

- Each execution becomes a run ``mlmd-<store>-<id>`` (``<store>``: a short digest of the store's
  identity, its resolved SQLite path or MySQL host/port/database): ``run.start`` at its creation time
  and, when its state is final, ``run.end`` at its last update (COMPLETE and CACHED -> completed,
  FAILED -> failed, CANCELED -> aborted). The step is the TFX component id or KFP task name (custom
  property ``component_id``/``task_name``/``display_name``), else the execution's name, else its type;
  the kind is guessed from the type (ExampleGen -> ingestion, Transform -> feature_engineering, Tuner ->
  hyperparameter_search, Trainer -> training, Evaluator/validators -> evaluation, Pusher -> deployment).
  Properties are params; custom properties and the type are annotations. A final state is the end's
  label ``mlmd.state:<STATE>`` and annotation ``mlmd.last_known_state``; a run not ended yet (NEW,
  RUNNING) has neither (its status is running). The start is identified by the run and its creation
  time, so re-importing after the execution changed adds its end, not a second start.
- Events: INPUT, DECLARED_INPUT and INTERNAL_INPUT are used artifacts, OUTPUT, DECLARED_OUTPUT and
  INTERNAL_OUTPUT generated ones; the event's path (``examples[0]``) is the role, a non-plain event
  type a label ``mlmd.event:<TYPE>``. PENDING_OUTPUT events are left out (not yet written).
- Artifacts: the uri is the location; the type is the kind (Examples -> dataset, Model -> model,
  ModelEvaluation/ModelBlessing -> evaluation, PushedModel -> deployment, Schema/statistics -> other;
  KFP's ``system.Dataset``/``Model``/``Metrics`` alike); a ``sha256``/``fingerprint``/``checksum``/
  ``digest``/``md5`` property holding a content hash becomes a digest (a sha256 also the artifact's
  ``sha256``), else the digest is ``mlmd-artifact: <store>:<id>``, which names the version only
  within its logical artifact (the uri). The state is a label ``mlmd.state:<STATE>``; properties and
  custom properties are annotations ``artifact.<id>.<name>`` of the run that generated the artifact.
- Contexts (pipeline, pipeline run, node) become runs of kind ``pipeline`` (a ``run.start`` at their
  creation time, labelled ``mlmd-context``): an execution's parent is its most specific associated
  context (a pipeline run before a pipeline), a context's parent is its parent context or, for a
  pipeline run, the pipeline it is attributed to. The context's name is the ``pipeline`` annotation
  of pipeline contexts (the key a KFP plan imported with ``--from kfp`` shares), and the artifacts
  attributed to a context are listed in its ``mlmd.attributions`` annotation.

Reading MLMD needs the ``ml-metadata`` package (``pip install provgraph[mlmd]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent, ProvgraphError
from . import naming
from .naming import Imported
from .registry import Importer, ImportOptions, require
from .sniff import sniff

__all__ = ["artifact_kind", "events_from_mlmd", "run_kind"]

USED = {"INPUT", "DECLARED_INPUT", "INTERNAL_INPUT"}
GENERATED = {"OUTPUT", "DECLARED_OUTPUT", "INTERNAL_OUTPUT"}
STATUS = {"COMPLETE": "completed", "CACHED": "completed", "FAILED": "failed", "CANCELED": "aborted"}
#: MLMD artifact type (TFX standard artifacts, KFP system types; the part after the last dot) -> kind.
ARTIFACT_KINDS = {
    "Examples": "dataset", "ExternalArtifact": "dataset", "Dataset": "dataset", "HTMLDataset": "dataset",
    "TransformGraph": "features", "TransformCache": "features",
    "Model": "model", "ModelRun": "other", "HyperParameters": "other",
    "ModelEvaluation": "evaluation", "ModelBlessing": "evaluation", "InfraBlessing": "evaluation",
    "Metrics": "evaluation", "ClassificationMetrics": "evaluation", "SlicedClassificationMetrics": "evaluation",
    "PushedModel": "deployment", "Schema": "other", "ExampleStatistics": "other", "ExampleAnomalies": "other",
}
#: Substring of an execution type or step (lower case) -> run kind, first match wins.
RUN_KINDS = (("examplegen", "ingestion"), ("importer", "ingestion"), ("transform", "feature_engineering"),
             ("tuner", "hyperparameter_search"), ("train", "training"), ("evaluat", "evaluation"),
             ("validator", "evaluation"), ("pusher", "deployment"), ("deploy", "deployment"))
_DIGEST_KEYS = ("sha256", "sha512", "sha1", "md5", "fingerprint", "checksum", "digest", "hash")
_HEX = re.compile(r"^(?:(sha256|sha512|sha1|md5)[:=])?([0-9a-f]+)$")
_HEX_LENGTHS = {64: "sha256", 128: "sha512", 40: "sha1", 32: "md5"}
_STEP_KEYS = ("component_id", "task_name", "display_name")


def artifact_kind(type_name: str) -> str:
    """The artifact kind of an MLMD artifact type name (``tfx.Examples``, ``system.Model``, ``Model``)."""
    return ARTIFACT_KINDS.get(type_name.rsplit(".", 1)[-1], "other")


def run_kind(type_name: str) -> str:
    """The run kind of an MLMD execution type name (``tfx.components.trainer.component.Trainer``)."""
    lowered = type_name.lower()
    return next((kind for key, kind in RUN_KINDS if key in lowered), "other")


def _value(value: Any) -> Any:
    """A JSON value of an MLMD ``Value`` (int, double, string, bool, struct or proto)."""
    which = value.WhichOneof("value")
    if which in ("int_value", "double_value", "string_value", "bool_value"):
        return getattr(value, which)
    if which == "struct_value":
        from google.protobuf.json_format import MessageToDict
        return MessageToDict(value.struct_value)
    if which == "proto_value":
        return {"type_url": value.proto_value.type_url}
    return None


def _properties(message: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({key: _value(v) for key, v in sorted(message.properties.items())},
            {key: _value(v) for key, v in sorted(message.custom_properties.items())})


def _digests(props: dict[str, Any]) -> dict[str, str]:
    """Content hashes among an artifact's properties: ``{"sha256": hex}`` and the like."""
    found: dict[str, str] = {}
    for key, value in props.items():
        if not isinstance(value, str) or not any(word in key.lower() for word in _DIGEST_KEYS):
            continue
        match = _HEX.match(value.strip().lower())
        if match and len(match[2]) in _HEX_LENGTHS:
            algorithm = match[1] or _HEX_LENGTHS[len(match[2])]
            if _HEX_LENGTHS.get(len(match[2])) == algorithm:
                found.setdefault(algorithm, match[2])
    return found


def _connect(source: str) -> tuple[Any, str]:
    """An open MLMD store for SOURCE and the identity its ids are scoped to."""
    require("ml_metadata", "mlmd")
    from google.protobuf import text_format
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    pb: Any = metadata_store_pb2
    path = Path(source)
    if not path.is_file():
        raise ProvgraphError(f"{source}: not an MLMD SQLite file or ConnectionConfig (.pbtxt) file")
    with open(path, "rb") as handle:
        head = handle.read(16)
    config = pb.ConnectionConfig()
    if head.startswith(b"SQLite format 3"):
        if sniff(path) != "mlmd":
            raise InvalidEvent(f"{source}: an SQLite file without ML Metadata's tables (Artifact, Execution, Event, "
                               "Context)")
        config.sqlite.filename_uri = str(path.resolve())
        config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READONLY
    else:
        try:
            text_format.Parse(path.read_text(encoding="utf-8"), config)
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            raise InvalidEvent(f"{source}: neither an MLMD SQLite file nor a text ConnectionConfig: {exc}") from exc
    if config.HasField("sqlite"):
        identity = f"sqlite:{Path(config.sqlite.filename_uri).resolve()}"
    elif config.HasField("mysql"):
        identity = f"mysql:{config.mysql.host}:{config.mysql.port}/{config.mysql.database}"
    else:
        raise InvalidEvent(f"{source}: the ConnectionConfig names neither sqlite nor mysql")
    try:
        store = metadata_store.MetadataStore(config)
        store.get_artifact_types()
    except Exception as exc:  # MLMD raises its own errors.* classes and RuntimeError from C++
        raise ProvgraphError(f"{source}: cannot open the MLMD store: {type(exc).__name__}: "
                             f"{naming.clip(str(exc).splitlines()[0] if str(exc) else '', 300)}") from exc
    return store, identity


@dataclass
class _Store:
    """One MLMD store read whole: its records indexed by id."""

    scope: str
    artifacts: dict[int, Any]
    executions: dict[int, Any]
    contexts: dict[int, Any]
    types: dict[tuple[str, int], str]
    events: dict[int, list[Any]]
    context_parents: dict[int, list[int]]
    attributions: dict[int, list[int]]
    associations: dict[int, list[int]]

    @classmethod
    def read(cls, store: Any, identity: str) -> _Store:
        types = {("artifact", t.id): t.name for t in store.get_artifact_types()}
        types |= {("execution", t.id): t.name for t in store.get_execution_types()}
        types |= {("context", t.id): t.name for t in store.get_context_types()}
        executions = {e.id: e for e in store.get_executions()}
        events: dict[int, list[Any]] = {}
        for event in store.get_events_by_execution_ids(list(executions)):
            events.setdefault(event.execution_id, []).append(event)
        contexts = {c.id: c for c in store.get_contexts()}
        associations: dict[int, list[int]] = {}
        for context_id in contexts:
            for execution in store.get_executions_by_context(context_id):
                associations.setdefault(execution.id, []).append(context_id)
        return cls(naming.digest(identity, n=8), {a.id: a for a in store.get_artifacts()}, executions, contexts,
                   types, events,
                   {c: [p.id for p in store.get_parent_contexts_by_context(c)] for c in contexts},
                   {c: [a.id for a in store.get_artifacts_by_context(c)] for c in contexts}, associations)

    def run_id(self, kind: str, record_id: int) -> str:
        return f"mlmd-{self.scope}-{'' if kind == 'execution' else 'context-'}{record_id}"

    def type_name(self, kind: str, record: Any) -> str:
        return self.types.get((kind, record.type_id), f"{kind}-type-{record.type_id}")

    def artifact_uri(self, artifact: Any) -> str:
        return artifact.uri or f"mlmd:{self.scope}/artifact/{artifact.id}"


def _role(event: Any) -> str | None:
    parts = [step.key if step.HasField("key") else f"[{step.index}]" for step in event.path.steps]
    return naming.name("".join(p if p.startswith("[") or not i else f".{p}" for i, p in enumerate(parts))) \
        if parts else None


def _state_label(state: str) -> str:
    return naming.label(f"mlmd.state:{state}")


class _Reader:
    """Turns one read store into events."""

    def __init__(self, store: _Store) -> None:
        from ml_metadata.proto import metadata_store_pb2 as pb

        self.pb: Any = pb
        self.store = store

    def artifact(self, event: Any, where: str) -> dict[str, Any] | None:
        artifact = self.store.artifacts.get(event.artifact_id)
        if artifact is None:
            return None
        type_name = self.store.type_name("artifact", artifact)
        props, custom = _properties(artifact)
        digests = _digests({**custom, **props})
        found: dict[str, Any] = {"location": self.store.artifact_uri(artifact), "kind": artifact_kind(type_name),
                                 "digests": digests or {"mlmd-artifact": f"{self.store.scope}:{artifact.id}"}}
        if "sha256" in digests:
            found["sha256"] = digests["sha256"]
        event_type = self.pb.Event.Type.Name(event.type)
        labels = [_state_label(self.pb.Artifact.State.Name(artifact.state)), naming.label(f"mlmd.type:{type_name}")]
        if event_type not in ("INPUT", "OUTPUT"):
            labels.append(naming.label(f"mlmd.event:{event_type}"))
        found["labels"] = labels
        role = _role(event)
        if role:
            found["role"] = role
        if event.milliseconds_since_epoch:
            found["time"] = naming.millis(event.milliseconds_since_epoch, f"{where}.milliseconds_since_epoch")
        return found

    def artifact_annotations(self, artifact_id: int) -> dict[str, Any]:
        artifact = self.store.artifacts[artifact_id]
        props, custom = _properties(artifact)
        notes = {naming.name(f"artifact.{artifact_id}.{key}"): naming.scalar(value)
                 for key, value in {**props, **custom}.items()}
        if artifact.name:
            notes[naming.name(f"artifact.{artifact_id}.name")] = naming.clip(artifact.name)
        return notes

    def rank(self, context_id: int) -> int:
        """0 for a pipeline run context, 1 for a pipeline, 2 for any other (a TFX node)."""
        name = self.store.type_name("context", self.store.contexts[context_id]).lower()
        return 0 if "run" in name else 1 if "pipeline" in name else 2

    def parent(self, context_ids: Iterable[int]) -> str | None:
        """The run of the most specific of ``context_ids``: a pipeline run before a pipeline before others."""
        ids = sorted(context_ids, key=lambda c: (self.rank(c), c))
        return self.store.run_id("context", ids[0]) if ids else None

    def execution_events(self, execution: Any) -> list[ev.Event]:
        where = f"execution {execution.id}"
        type_name = self.store.type_name("execution", execution)
        props, custom = _properties(execution)
        step = next((str(custom[k]) for k in _STEP_KEYS if custom.get(k)), None) \
            or execution.name or type_name.rsplit(".", 1)[-1]
        run: dict[str, Any] = {"id": self.store.run_id("execution", execution.id), "step": naming.name(step),
                               "kind": run_kind(f"{type_name} {step}")}
        parent = self.parent(self.store.associations.get(execution.id, ()))
        if parent:
            run["parent"] = parent
        used, generated = [], []
        state = self.pb.Execution.State.Name(execution.last_known_state)
        annotations: dict[str, Any] = {"mlmd.execution_id": execution.id, "mlmd.type": type_name}
        for index, event in enumerate(sorted(self.store.events.get(execution.id, ()),
                                             key=lambda e: (e.artifact_id, e.type))):
            event_type = self.pb.Event.Type.Name(event.type)
            if event_type not in USED | GENERATED:
                continue
            artifact = self.artifact(event, f"{where}.events[{index}]")
            if artifact is None:
                continue
            if event_type in USED:
                used.append(artifact)
            else:
                generated.append(artifact)
                annotations |= self.artifact_annotations(event.artifact_id)
        annotations |= {naming.name(f"custom.{k}"): naming.scalar(v) for k, v in custom.items()}
        params = {naming.name(k): naming.scalar(v) for k, v in props.items()}
        start_time = naming.millis(execution.create_time_since_epoch, f"{where}.create_time_since_epoch")
        start = ev.new_event("run.start", start_time, run=run, params=params, annotations=annotations)
        start["id"] = naming.event_id("mlmd", run["id"], "run.start", start_time)  # the first import's stands
        if state not in STATUS:
            start.update({key: value for key, value in (("used", used), ("generated", generated)) if value})
            return [start]
        ended = {**run, "status": STATUS[state]}
        if state == "FAILED":
            ended["error"] = {"type": "MLMD FAILED", "message": f"the MLMD execution {execution.id} has state FAILED"}
        end_time = naming.millis(max(execution.last_update_time_since_epoch, execution.create_time_since_epoch),
                                 f"{where}.last_update_time_since_epoch")
        end = ev.new_event("run.end", end_time, run=ended, params=params, used=used, generated=generated,
                           labels=[_state_label(state)], annotations={"mlmd.last_known_state": state})
        return [start, naming.stamp(end, "mlmd")]

    def context_events(self, context: Any) -> ev.Event:
        type_name = self.store.type_name("context", context)
        props, custom = _properties(context)
        run: dict[str, Any] = {"id": self.store.run_id("context", context.id),
                               "step": naming.name(context.name or type_name), "kind": "pipeline"}
        parents = self.store.context_parents.get(context.id, [])
        if not parents and self.rank(context.id) != 1:  # TFX links a run or node to its pipeline by shared executions
            mine = {x for x, found in self.store.associations.items() if context.id in found}
            parents = [c for x in mine for c in self.store.associations[x] if self.rank(c) == 1]
        if parents:
            run["parent"] = self.store.run_id("context", min(parents))
        annotations: dict[str, Any] = {"mlmd.context_id": context.id, "mlmd.type": type_name}
        plan: list[dict[str, Any]] = []
        if self.rank(context.id) == 1:
            annotations["pipeline"] = naming.clip(context.name)
            # the pipeline's plan by name: with no digest, the mapping takes the latest version known, the
            # compiled pipeline when `--from kfp` recorded it first
            logical = naming.pipeline_plan(context.name)
            plan = [{"location": logical, "name": logical, "kind": "code", "role": "plan"}]
        attributed = [self.store.artifact_uri(self.store.artifacts[a])
                      for a in self.store.attributions.get(context.id, ()) if a in self.store.artifacts]
        if attributed:
            annotations["mlmd.attributions"] = naming.scalar(sorted(attributed))
        annotations |= {naming.name(f"property.{k}"): naming.scalar(v) for k, v in {**props, **custom}.items()}
        time = naming.millis(context.create_time_since_epoch, f"context {context.id}.create_time_since_epoch")
        start = ev.new_event("run.start", time, run=run, labels=["mlmd-context"], annotations=annotations, used=plan)
        return naming.stamp(start, "mlmd")


def events_from_mlmd(source: str | Path) -> Imported:
    """The events of every execution and context in an MLMD store (an SQLite file or a ConnectionConfig)."""
    store, identity = _connect(str(source))
    try:
        read = _Store.read(store, identity)
    except Exception as exc:  # MLMD's errors.* and RuntimeError
        raise ProvgraphError(f"{source}: cannot read the MLMD store: {type(exc).__name__}: {exc}") from exc
    reader = _Reader(read)
    events = [reader.context_events(c) for _, c in sorted(read.contexts.items())]
    events += [e for _, x in sorted(read.executions.items()) for e in reader.execution_events(x)]
    counts = {"executions": len(read.executions), "artifacts": len(read.artifacts), "contexts": len(read.contexts)}
    return Imported(naming.finish(events, f"MLMD store {source}"), counts)


def _read_source(source: str, options: ImportOptions) -> Imported:
    return events_from_mlmd(source)


IMPORTER = Importer("mlmd", "an ML Metadata store: its SQLite file or a text ConnectionConfig (.pbtxt)",
                    _read_source, extra="mlmd")
