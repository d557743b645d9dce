"""Mapping: a pure function from one event to PROV-O quads, in the run's named graph (a prov:Bundle).

Identity rules: a file version is named by its content hash, so the same bytes used by two runs are one
node; a logical artifact (name or location) is a separate node its versions are prov:specializationOf.
Every IRI is derived from the event's content, so mapping an event twice gives the same quads and
ingesting it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from .events import Event
from .vocab import PROV, PROVML, RDF, RDFS, XSD, iri, slug

RUN_CLASSES = {
    "pipeline": "Pipeline", "ingestion": "Ingestion", "cleaning": "Cleaning",
    "feature_engineering": "FeatureEngineering", "splitting": "Splitting", "training": "Training",
    "hyperparameter_search": "HyperparameterSearch", "evaluation": "Evaluation",
    "deployment": "DeploymentRun", "monitoring": "Monitoring", "other": "OtherRun",
}
ARTIFACT_CLASSES = {
    "dataset": "DataVersion", "features": "FeatureSet", "split": "DataSplit", "model": "Model",
    "evaluation": "EvaluationReport", "deployment": "Deployment", "code": "SourceCode",
}
DATA_KINDS = frozenset({"dataset", "features", "split"})
AGENT_CLASSES = {"person": PROV.Person, "software": PROV.SoftwareAgent, "organization": PROV.Organization}


def _h(*parts: str, n: int = 16) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:n]


def _time(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)


def literal(value: Any) -> Literal:
    """The typed literal of a JSON scalar: xsd:boolean, xsd:integer, xsd:double or a plain string."""
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(repr(value), datatype=XSD.double)
    return Literal(str(value))


def version_iri(artifact: dict[str, Any]) -> NamedNode:
    """The node of one artifact version: by sha256 when known, else by location."""
    if "sha256" in artifact:
        return iri("data", f"sha256-{artifact['sha256']}")
    return iri("data", f"loc-{_h(artifact['location'], n=32)}")


def logical_iri(artifact: dict[str, Any]) -> NamedNode:
    """The logical artifact (dataset name or location) a version specializes."""
    return iri("dataset", slug(artifact.get("name") or artifact["location"]))


def run_iri(run_id: str) -> NamedNode:
    return iri("run", run_id)


def bundle_iri(run_id: str) -> NamedNode:
    return iri("bundle", run_id)


def param_iri(name: str, value: Any) -> NamedNode:
    return iri("param", f"{slug(name)}-{_h(name, json.dumps(value), n=12)}")


def agent_iri(agent_id: str) -> NamedNode:
    return iri("agent", agent_id)


def event_to_quads(event: Event) -> list[Quad]:
    """All quads an event stands for (the event must be valid)."""
    if event["type"] == "artifact.invalidate":
        return _invalidation(event)
    if event["type"] == "document.import":
        from .importers.prov_load import document_quads_from_bytes

        document = event["document"]
        return document_quads_from_bytes(document["content"].encode(), document["format"], document["source"])
    return _RunMapper(event).quads


class _RunMapper:
    """Builds the quads of one run event into ``self.quads``."""

    def __init__(self, event: Event) -> None:
        self.event = event
        run = event["run"]
        self.run_id: str = run["id"]
        self.run = run_iri(self.run_id)
        self.graph = bundle_iri(self.run_id)
        self.quads: list[Quad] = []
        self._run(run)
        self._agents(event.get("agents", ()))
        used = [self._artifact(a, generated=False) for a in event.get("used", ())]
        data_used = {n: a for n, a in used if a.get("kind") != "code"}
        for artifact in event.get("generated", ()):
            node, _ = self._artifact(artifact, generated=True)
            self._derivation(node, artifact, data_used)
        for name, value in event.get("params", {}).items():
            self._setting(name, value, PROVML.HyperParameterSetting)
        for name, value in event.get("seeds", {}).items():
            self._setting(name, value, PROVML.RandomSeed)
        for name, value in event.get("metrics", {}).items():
            self._metric(name, value)
        if "environment" in event:
            self._environment(event["environment"])
        if "code" in event:
            self._code(event["code"])
        for label in event.get("labels", ()):
            self.add(self.run, PROVML.hasLabel, Literal(label))
        if "annotations" in event:
            text = json.dumps(event["annotations"], sort_keys=True, ensure_ascii=False)
            self.add(self.run, PROVML.annotations, Literal(text, datatype=RDF.JSON))

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        self.quads.append(Quad(s, p, o, self.graph))

    def _run(self, run: dict[str, Any]) -> None:
        add, node, event = self.add, self.run, self.event
        add(self.graph, RDF.type, PROV.Bundle)
        add(node, RDF.type, PROV.Activity)
        add(node, RDF.type, PROVML.Run)
        add(node, PROVML.runId, Literal(self.run_id))
        if "kind" in run:
            add(node, RDF.type, PROVML[RUN_CLASSES[run["kind"]]])
        if "step" in run:
            add(node, PROVML.stepName, Literal(run["step"]))
            add(node, RDFS.label, Literal(run["step"]))
        if "parent" in run:
            add(node, PROVML.partOfRun, run_iri(run["parent"]))
        if event["type"] == "run.start":
            add(node, PROV.startedAtTime, _time(event["time"]))
        else:
            add(node, PROV.endedAtTime, _time(event["time"]))
            add(node, PROVML.status, Literal(run["status"]))
            if "error" in run:
                add(node, PROVML.errorType, Literal(run["error"]["type"]))
                if run["error"].get("message"):
                    add(node, PROVML.errorMessage, Literal(run["error"]["message"]))

    def _agents(self, agents: Any) -> None:
        add = self.add
        for agent in agents:
            node = agent_iri(agent["id"])
            add(node, RDF.type, PROV.Agent)
            add(node, RDF.type, AGENT_CLASSES[agent["kind"]])
            add(node, RDFS.label, Literal(agent.get("name", agent["id"])))
            add(self.run, PROV.wasAssociatedWith, node)
            assoc = iri("run", f"{self.run_id}.assoc-{agent['id']}")
            add(self.run, PROV.qualifiedAssociation, assoc)
            add(assoc, RDF.type, PROV.Association)
            add(assoc, PROV.agent, node)
            if "role" in agent:
                self._role(assoc, agent["role"])
            if "on_behalf_of" in agent:
                principal = agent_iri(agent["on_behalf_of"])
                add(principal, RDF.type, PROV.Agent)
                add(node, PROV.actedOnBehalfOf, principal)
        self.responsible = [agent_iri(a["id"]) for a in agents if a["kind"] != "software"]

    def _role(self, qualified: NamedNode, role: str) -> None:
        node = iri("role", slug(role))
        self.add(node, RDF.type, PROV.Role)
        self.add(node, RDFS.label, Literal(role))
        self.add(qualified, PROV.hadRole, node)

    def _artifact(self, artifact: dict[str, Any], generated: bool) -> tuple[NamedNode, dict[str, Any]]:
        add, node = self.add, version_iri(artifact)
        location, kind = artifact["location"], artifact.get("kind")
        add(node, RDF.type, PROV.Entity)
        add(node, RDF.type, PROVML.Artifact)
        if kind in ARTIFACT_CLASSES:
            add(node, RDF.type, PROVML[ARTIFACT_CLASSES[kind]])
        if kind:
            add(node, PROVML.artifactKind, Literal(kind))
        add(node, PROVML.location, Literal(location))
        add(node, RDFS.label, Literal(artifact.get("name") or location.rstrip("/").rsplit("/", 1)[-1]))
        if "sha256" in artifact:
            add(node, PROVML.sha256, Literal(artifact["sha256"]))
        if "size" in artifact:
            add(node, PROVML.sizeBytes, Literal(str(artifact["size"]), datatype=XSD.long))
        if artifact.get("directory"):
            add(node, PROVML.isDirectory, literal(True))
        for label in artifact.get("labels", ()):
            add(node, PROVML.hasLabel, Literal(label))
        logical = logical_iri(artifact)
        add(logical, RDF.type, PROV.Entity)
        add(logical, RDF.type, PROVML.Dataset if kind in DATA_KINDS else PROVML.LogicalArtifact)
        add(logical, RDFS.label, Literal(artifact.get("name") or location))
        add(node, PROV.specializationOf, logical)
        qualifier = "gen" if generated else "use"
        qualified = iri("run", f"{self.run_id}.{qualifier}-{_h(node.value, artifact.get('role', ''))}")
        if generated:
            add(node, PROV.wasGeneratedBy, self.run)
            add(node, PROV.qualifiedGeneration, qualified)
            add(qualified, RDF.type, PROV.Generation)
            add(qualified, PROV.activity, self.run)
            for agent in self.responsible:
                add(node, PROV.wasAttributedTo, agent)
        else:
            add(self.run, PROV.used, node)
            add(self.run, PROV.qualifiedUsage, qualified)
            add(qualified, RDF.type, PROV.Usage)
            add(qualified, PROV.entity, node)
        if "time" in artifact:
            add(qualified, PROV.atTime, _time(artifact["time"]))
            if generated:
                add(node, PROV.generatedAtTime, _time(artifact["time"]))
        if "role" in artifact:
            self._role(qualified, artifact["role"])
        return node, artifact

    def _derivation(self, node: NamedNode, artifact: dict[str, Any], used: dict[NamedNode, Any]) -> None:
        sources = artifact.get("derived_from")
        if sources is None:
            targets = list(used)
        else:
            wanted = set(sources)
            targets = [n for n, a in used.items() if a["location"] in wanted or a.get("sha256") in wanted]
        for source in targets:
            if source != node:
                self.add(node, PROV.wasDerivedFrom, source)

    def _setting(self, name: str, value: Any, cls: NamedNode) -> None:
        node = param_iri(name, value)
        self.add(node, RDF.type, PROV.Entity)
        self.add(node, RDF.type, cls)
        self.add(node, PROVML.name, Literal(name))
        self.add(node, RDFS.label, Literal(f"{name}={value}"))
        if value is not None:
            self.add(node, PROVML.value, literal(value))
        self.add(self.run, PROV.used, node)

    def _metric(self, name: str, value: Any) -> None:
        history = value if isinstance(value, list) else [{"value": value}]
        final = iri("metric", f"{self.run_id}.{slug(name)}")
        self._measurement(final, name, history[-1])
        if len(history) > 1:
            for index, point in enumerate(history):
                step = point.get("step", index)
                self._measurement(iri("metric", f"{self.run_id}.{slug(name)}.{step}"), name, point)

    def _measurement(self, node: NamedNode, name: str, point: dict[str, Any]) -> None:
        add = self.add
        add(node, RDF.type, PROV.Entity)
        add(node, RDF.type, PROVML.MetricValue)
        add(node, PROVML.name, Literal(name))
        add(node, PROVML.value, literal(point["value"]))
        add(node, RDFS.label, Literal(f"{name}={point['value']}"))
        add(node, PROV.wasGeneratedBy, self.run)
        if "step" in point:
            add(node, PROVML.step, Literal(str(point["step"]), datatype=XSD.long))
        if "time" in point:
            add(node, PROV.generatedAtTime, _time(point["time"]))

    def _environment(self, env: dict[str, Any]) -> None:
        add = self.add
        node = iri("env", "env-" + _h(json.dumps(env, sort_keys=True), n=32))
        add(node, RDF.type, PROV.Entity)
        add(node, RDF.type, PROV.Collection)
        add(node, RDF.type, PROVML.Environment)
        add(node, RDFS.label, Literal(f"Python {env.get('python', '?')} on {env.get('hostname', '?')}"))
        for key, prop in (("python", PROVML.pythonVersion), ("platform", PROVML.platform),
                          ("hostname", PROVML.hostname), ("container", PROVML.containerImage)):
            if key in env:
                add(node, prop, Literal(env[key]))
        for name, version in env.get("packages", {}).items():
            package = iri("pkg", slug(f"{name}=={version}"))
            add(package, RDF.type, PROV.Entity)
            add(package, RDF.type, PROVML.SoftwarePackage)
            add(package, PROVML.name, Literal(name))
            add(package, PROVML.version, Literal(version))
            add(package, RDFS.label, Literal(f"{name}=={version}"))
            add(node, PROV.hadMember, package)
        add(self.run, PROV.used, node)

    def _code(self, code: dict[str, Any]) -> None:
        add = self.add
        if "git" in code:
            git = code["git"]
            dirty = bool(git.get("dirty"))
            node = iri("code", f"git-{git['commit']}{'-dirty' if dirty else ''}")
            add(node, RDF.type, PROV.Entity)
            add(node, RDF.type, PROVML.CodeVersion)
            add(node, PROVML.gitCommit, Literal(git["commit"]))
            add(node, PROVML.gitDirty, literal(dirty))
            add(node, RDFS.label, Literal(f"git {git['commit'][:10]}{' (dirty)' if dirty else ''}"))
            if git.get("branch"):
                add(node, PROVML.gitBranch, Literal(git["branch"]))
            if git.get("remote"):
                add(node, PROVML.gitRemote, Literal(git["remote"]))
            add(self.run, PROV.used, node)
        if "script" in code:
            script = {"location": code["script"]["path"], "kind": "code", "role": "script"}
            if "sha256" in code["script"]:
                script["sha256"] = code["script"]["sha256"]
            self._artifact(script, generated=False)


def _invalidation(event: Event) -> list[Quad]:
    spec = event["invalidation"]
    act_id = f"invalidate-{event['id']}"
    graph, act = bundle_iri(act_id), run_iri(act_id)
    target = NamedNode(spec["target_iri"]) if "target_iri" in spec else _guess_target(spec["target"])
    time = _time(event["time"])
    triples: list[tuple[NamedNode, NamedNode, NamedNode | Literal]] = [
        (graph, RDF.type, PROV.Bundle),
        (act, RDF.type, PROV.Activity),
        (act, RDF.type, PROVML.Invalidation),
        (act, PROVML.runId, Literal(act_id)),
        (act, RDFS.label, Literal("invalidate")),
        (act, PROV.startedAtTime, time),
        (act, PROV.endedAtTime, time),
        (act, PROVML.reason, Literal(spec["reason"])),
        (target, PROV.wasInvalidatedBy, act),
        (target, PROV.invalidatedAtTime, time),
    ]
    for agent in event.get("agents", ()):
        node = agent_iri(agent["id"])
        triples += [(node, RDF.type, PROV.Agent), (node, RDF.type, AGENT_CLASSES[agent["kind"]]),
                    (node, RDFS.label, Literal(agent.get("name", agent["id"]))),
                    (act, PROV.wasAssociatedWith, node)]
    return [Quad(s, p, o, graph) for s, p, o in triples]


def _guess_target(target: str) -> NamedNode:
    if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
        return iri("data", f"sha256-{target}")
    if ":" in target.split("/")[0]:
        return NamedNode(target)
    return logical_iri({"location": target})
