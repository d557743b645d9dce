"""A compiled Kubeflow Pipelines v2 pipeline (the IR YAML of ``kfp``'s compiler) -> a plan, as provgraph events.

The event schema has no plan of its own, so a plan is written with what it has (no mapping change):

- the pipeline is a run ``kfp-plan-<name>-<digest of the IR>`` of kind ``pipeline``, labelled ``plan``
  and ``kfp-plan``, that used the IR file itself (kind ``code``, role ``plan``, with its sha256); the
  pipeline's input parameters (with their defaults) are its params, its name the ``pipeline``
  annotation, which the pipeline contexts imported with ``--from mlmd`` share;
- each task is a child run labelled ``kfp-plan`` (its step the task name, its kind guessed as for MLMD
  executions), with the constant or default values of its input parameters as params and its
  component, image and command as annotations; inside a sub-DAG the tasks are children of that task;
- the artifacts passed between tasks are placeholders located at ``kfp-plan:<pipeline>/<task>/<output>``
  (``<task>`` is the dotted task path inside sub-DAGs, whose inputs and outputs are followed to the
  tasks that use and make them; pipeline inputs are ``kfp-plan:<pipeline>/inputs/<name>``), their kind
  from the artifact's schema title (``system.Dataset`` -> dataset, ``system.Model`` -> model,
  ``system.Metrics`` -> evaluation).

A plan is not an execution: its runs get a ``run.start`` only, at the IR file's modification time.
Parsing needs PyYAML and the IR's protobuf classes (``kfp-pipeline-spec``): ``pip install provgraph[kfp]``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import events as ev
from ..errors import InvalidEvent
from . import naming
from .mlmd import artifact_kind, run_kind
from .naming import Imported
from .registry import Importer, ImportOptions, require

__all__ = ["events_from_kfp", "load_ir"]


def load_ir(path: Path) -> dict[str, Any]:
    """The pipeline spec of a compiled KFP v2 IR YAML (its first document), validated by kfp-pipeline-spec."""
    require("yaml", "kfp")
    require("kfp.pipeline_spec", "kfp")
    import yaml
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidEvent(f"{path}: cannot be read as YAML: {exc}") from exc
    except RecursionError as exc:
        raise InvalidEvent(f"{path}: cannot be read as YAML: nested too deep to read") from exc
    spec = documents[0] if documents else None
    if not isinstance(spec, dict) or not isinstance(spec.get("pipelineInfo"), dict) or "root" not in spec:
        raise InvalidEvent(f"{path}: not a compiled KFP v2 pipeline (no pipelineInfo and root)")
    try:
        json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
    except json_format.ParseError as exc:
        raise InvalidEvent(f"{path}: not a valid KFP v2 PipelineSpec: {exc}") from exc
    return spec


class _Plan:
    """Collects the events of one pipeline spec."""

    def __init__(self, spec: dict[str, Any], time: str, plan_id: str) -> None:
        self.spec, self.time, self.plan_id = spec, time, plan_id
        self.pipeline = str(spec["pipelineInfo"].get("name") or "pipeline")
        self.components: dict[str, Any] = spec.get("components") or {}
        self.executors: dict[str, Any] = (spec.get("deploymentSpec") or {}).get("executors") or {}
        self.defaults = {name: definition.get("defaultValue") for name, definition in
                         ((spec["root"].get("inputDefinitions") or {}).get("parameters") or {}).items()}
        self.events: list[ev.Event] = []

    def output(self, dag: dict[str, Any], prefix: str, producer: str, key: str) -> str:
        """The placeholder of output ``key`` of task ``producer`` in ``dag``; a sub-DAG's output is the
        output of the task inside it that its artifact selector names."""
        task = (dag.get("tasks") or {}).get(producer) or {}
        component = self.components.get((task.get("componentRef") or {}).get("name", "")) or {}
        selectors = (((component.get("dag") or {}).get("outputs") or {}).get("artifacts") or {}).get(key, {})
        selector = (selectors.get("artifactSelectors") or [None])[0]
        if selector:
            return self.output(component["dag"], f"{prefix}{producer}.", selector["producerSubtask"],
                               selector["outputArtifactKey"])
        return f"kfp-plan:{self.pipeline}/{prefix}{producer}/{key}"

    def _used(self, dag: dict[str, Any], prefix: str, task: dict[str, Any], component: dict[str, Any],
              outer: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Input key -> the artifact a task uses: another task's output or an input of the enclosing DAG."""
        definitions = (component.get("inputDefinitions") or {}).get("artifacts") or {}
        used = {}
        for key, source in sorted(((task.get("inputs") or {}).get("artifacts") or {}).items()):
            produced, passed = source.get("taskOutputArtifact"), source.get("componentInputArtifact")
            if produced:
                location = self.output(dag, prefix, produced["producerTask"], produced["outputArtifactKey"])
            elif passed:
                location = outer.get(passed, f"kfp-plan:{self.pipeline}/inputs/{passed}")
            else:
                continue
            title = ((definitions.get(key) or {}).get("artifactType") or {}).get("schemaTitle", "")
            used[key] = {"location": location, "kind": artifact_kind(title), "role": naming.name(key)}
        return used

    @staticmethod
    def _params(task: dict[str, Any], outer: dict[str, Any]) -> dict[str, Any]:
        """Input parameter -> its constant, or the value the enclosing DAG passes (None when set at run time)."""
        params = {}
        for key, source in sorted(((task.get("inputs") or {}).get("parameters") or {}).items()):
            if "runtimeValue" in source:
                params[key] = source["runtimeValue"].get("constant")
            else:
                params[key] = outer.get(source.get("componentInputParameter", ""))
        return params

    def tasks(self, dag: dict[str, Any], parent: str, prefix: str = "", outer_artifacts: dict[str, str] | None = None,
              outer_params: dict[str, Any] | None = None) -> None:
        """One child run of ``parent`` per task of ``dag``; a task running a sub-DAG is the parent of its tasks."""
        for task_name, task in sorted((dag.get("tasks") or {}).items()):
            name = str((task.get("taskInfo") or {}).get("name") or task_name)
            component_name = (task.get("componentRef") or {}).get("name", "")
            component = self.components.get(component_name) or {}
            run_id = naming.identifier(f"{parent}.{task_name}")
            executor = (self.executors.get(component.get("executorLabel", "")) or {}).get("container") or {}
            annotations = {"kfp.component": component_name, "pipeline": naming.clip(self.pipeline)}
            if executor.get("image"):
                annotations["kfp.image"] = naming.clip(str(executor["image"]))
            if executor.get("command") or executor.get("args"):
                annotations["kfp.command"] = naming.scalar([*executor.get("command", ()), *executor.get("args", ())])
            if task.get("dependentTasks"):
                annotations["kfp.dependent_tasks"] = naming.scalar(task["dependentTasks"])
            outputs = {} if "dag" in component else (component.get("outputDefinitions") or {}).get("artifacts") or {}
            generated = [{"location": f"kfp-plan:{self.pipeline}/{prefix}{task_name}/{key}", "role": naming.name(key),
                          "kind": artifact_kind((definition.get("artifactType") or {}).get("schemaTitle", ""))}
                         for key, definition in sorted(outputs.items())]
            used = self._used(dag, prefix, task, component, outer_artifacts or {})
            params = self._params(task, outer_params if outer_params is not None else self.defaults)
            self.events.append(naming.stamp(ev.new_event(
                "run.start", self.time, run={"id": run_id, "step": naming.name(name), "kind": run_kind(name),
                                             "parent": parent},
                params={naming.name(k): naming.scalar(v) for k, v in params.items()}, used=list(used.values()),
                generated=generated, labels=["kfp-plan"], annotations=annotations), "kfp"))
            if "dag" in component:
                self.tasks(component["dag"], run_id, f"{prefix}{task_name}.",
                           {key: artifact["location"] for key, artifact in used.items()}, params)


def _location(path: Path, root: Path | None) -> str:
    """The IR file's location: relative to the project when inside it, else absolute."""
    resolved = path.resolve()
    if root is not None and resolved.is_relative_to(root.resolve()):
        return resolved.relative_to(root.resolve()).as_posix()
    return resolved.as_posix()


def events_from_kfp(source: str | Path, project_root: Path | None = None) -> Imported:
    """The plan of a compiled KFP v2 pipeline: one run for the pipeline, a child run per task."""
    path = Path(source)
    if not path.is_file():
        raise InvalidEvent(f"{source}: not a file; --from kfp reads a compiled pipeline YAML")
    spec = load_ir(path)
    content = path.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    name = str(spec["pipelineInfo"].get("name") or "pipeline")
    time = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat().replace("+00:00", "Z")
    plan = _Plan(spec, time, naming.identifier(f"{name}-{sha[:8]}", "kfp-plan-"))
    annotations = {"pipeline": naming.clip(name), "kfp.sdk_version": naming.scalar(spec.get("sdkVersion")),
                   "kfp.schema_version": naming.scalar(spec.get("schemaVersion"))}
    plan.events.append(naming.stamp(ev.new_event(
        "run.start", time, run={"id": plan.plan_id, "step": naming.name(name), "kind": "pipeline"},
        params={naming.name(k): naming.scalar(v) for k, v in sorted(plan.defaults.items())},
        used=[{"location": _location(path, project_root), "sha256": sha, "size": len(content), "kind": "code",
               "role": "plan", "name": naming.pipeline_plan(name)}],
        labels=["plan", "kfp-plan"], annotations=annotations), "kfp"))
    plan.tasks(spec["root"].get("dag") or {}, plan.plan_id)
    counts = {"pipelines": 1, "tasks": len(plan.events) - 1}
    return Imported(naming.finish(plan.events, f"KFP pipeline {source}"), counts)


def _read_source(source: str, options: ImportOptions) -> Imported:
    return events_from_kfp(source, options.project_root)


IMPORTER = Importer("kfp", "a compiled KFP v2 pipeline (the IR YAML of kfp's compiler), recorded as a plan",
                    _read_source, extra="kfp")
