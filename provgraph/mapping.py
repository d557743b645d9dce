"""Mapping: from one event to PROV-O quads.

Layout: a run's bundle (its named graph, a ``prov:Bundle``) holds what the run asserts - the activity,
its times and status, used / generated / association / derivation with their qualified forms, its
parameters' and seeds' use, its metrics. A ``run.start``, ``run.update`` and ``run.end`` of one run all
write to its bundle; an update adds what it carries and no time or status. A derivation that names its
transformations (column lineage) is also a ``prov:qualifiedDerivation`` per transformation, with
``provml:transformationType`` and its subtype, description and masking. Content-addressed descriptions
(data versions, logical artifacts, environments and packages, code versions, parameter settings, agents,
roles) go once to the shared graph (:data:`~provgraph.vocab.SHARED_GRAPH`).

Identity: a version is named by its strongest digest (:func:`~provgraph.vocab.version_iri`). Without
one, a generated artifact is a new version of its generating run, and a used one is the latest version
of its logical artifact known when the event is applied (``latest``), or else a version of its own marked
unverified. A run generates one version of an artifact even when it names its digest in one event only:
one that first generates it without a digest (while it runs) and names the digest later (at its end)
has the digest-less node merged into the digest's (:attr:`Mapper.merged`, which the store sink applies
after the quads), and one that generates it without a digest after naming the digest generates the
version it named. Relative locations and names belong to the event's project ``namespace``.

:class:`Mapper` remembers which descriptions it has written so a long replay does not rewrite the same
environment for every run; :func:`event_to_quads` is the pure function (same event, same quads).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from .events import Event, parse_time
from .vocab import (
    AGENT_CLASSES,
    ARTIFACT_CLASSES,
    DATA_KINDS,
    PROV,
    PROVML,
    RDF,
    RDFS,
    RUN_CLASSES,
    SHARED_GRAPH,
    XSD,
    agent_iri,
    bundle_iri,
    iri,
    literal,
    logical_iri,
    run_iri,
    short_hash,
    slug,
    version_iri,
)

Term = NamedNode | Literal
#: The role of a used artifact that is the plan the run followed (a compiled pipeline, a notebook).
PLAN_ROLE = "plan"
#: ``latest(logical, time)``: ``(when it was known, version)``, the latest version of a logical artifact
#: known at ``time``, if any.
Latest = Callable[[NamedNode, str], tuple[str, NamedNode] | None]
#: ``generated(run_id, logical)``: the versions of a logical artifact a run generated, in the store.
Generated = Callable[[str, NamedNode], list[NamedNode]]
#: A time after every event's: asking ``latest`` at it gives the store's latest version, whenever it was known.
_END_OF_TIME = "9999-12-31T23:59:59Z"


def event_to_quads(event: Event, latest: Latest | None = None) -> list[Quad]:
    """All quads an event stands for (the event must be valid)."""
    return Mapper(latest).map(event)


def param_iri(name: str, value: Any) -> NamedNode:
    """A parameter setting: one node per name and value, shared by every run that used it."""
    return iri("param", f"{slug(name)}-{short_hash(name, json.dumps(value), n=12)}")


def artifact_digests(artifact: dict[str, Any]) -> dict[str, str]:
    """An artifact's digests by algorithm, its ``sha256`` field included."""
    digests = dict(artifact.get("digests", {}))
    if "sha256" in artifact:
        digests["sha256"] = artifact["sha256"]
    return digests


def artifact_logical(artifact: dict[str, Any], namespace: str | None) -> NamedNode:
    """The logical artifact an artifact of an event specializes."""
    return logical_iri(artifact.get("name") or artifact["location"], namespace)


class Mapper:
    """Maps events to quads, writing each shared description once per :meth:`commit`-ted store.

    ``latest`` answers which version a digest-less use refers to from the store. The mapper remembers,
    per logical artifact, the latest version the store holds (asked once, whatever its time) and every
    version it met, by time, in the events mapped since the last commit (which the store does not hold
    yet), so a batch (a rebuild) behaves like events applied one by one and a long-lived writer (the
    server) does not ask the store again for every use of a popular input; a use dated before what the
    store holds asks the store. With ``shared`` (a store other projects' journals write to as well), what
    the store holds is asked again after each commit. Call :meth:`commit` after the quads are stored,
    :meth:`rollback` when they were not, and :meth:`forget` when another writer changed the store.

    ``merged`` lists the ``(digest-less node, digest's node)`` merges that the events mapped since the
    last commit call for (see the module docstring); the sink applies them after the quads. Which version
    of an artifact a run generated is remembered for the runs whose every event this mapper met since
    their start; of another run, ``generated`` asks the store.
    """

    def __init__(self, latest: Latest | None = None, remember: int = 200_000,
                 generated: Generated | None = None, shared: bool = False) -> None:
        self.latest = latest
        self.generated = generated
        self.remember = remember
        self.shared = shared
        self.merged: list[tuple[NamedNode, NamedNode]] = []
        self._written: set[Hashable] = set()
        self._pending: set[Hashable] = set()
        # the latest version the store holds per logical artifact (None: none), as of the last commit
        self._versions: dict[NamedNode, tuple[datetime, NamedNode] | None] = {}
        self._recent: dict[NamedNode, list[tuple[datetime, NamedNode]]] = {}  # met since the last commit, by time
        # a run's own digest-less node -> the version the run generated (itself, or the digest's)
        self._made: dict[NamedNode, NamedNode] = {}  # stored
        self._made_recent: dict[NamedNode, NamedNode] = {}  # mapped since the last commit
        self._made_noted: list[tuple[NamedNode, NamedNode | None]] = []
        self._whole: set[str] = set()  # runs whose every event this mapper met, from their start
        # what the event being mapped changed, undone if it cannot be mapped
        self._noted: list[Hashable] = []
        self._met: list[tuple[NamedNode, tuple[datetime, NamedNode]]] = []

    def map(self, event: Event) -> list[Quad]:
        """The quads of ``event``, without the shared descriptions already written.

        An event that cannot be mapped raises and leaves the mapper as it was."""
        self._noted, self._met, self._made_noted = [], [], []
        merged = len(self.merged)
        try:
            if event["type"] == "artifact.invalidate":
                return _RunQuads(self, event).invalidation()
            if event["type"] == "document.import":
                from .provdoc.encode import document_quads_from_bytes  # the prov package: only for documents

                self._versions.clear()  # a document may state versions of any artifact
                document = event["document"]
                return document_quads_from_bytes(document["content"].encode(), document["format"],
                                                 document["source"])
            return _RunQuads(self, event).run_quads()
        except BaseException:
            del self.merged[merged:]
            for own, made in reversed(self._made_noted):
                if made is None:
                    self._made_recent.pop(own, None)
                else:
                    self._made_recent[own] = made
            self._pending.difference_update(self._noted)
            for logical, met in self._met:
                self._recent[logical].remove(met)
            raise

    def commit(self) -> None:
        """The quads mapped so far are stored: their descriptions need not be written again."""
        if len(self._written) + len(self._pending) > self.remember:
            self._written.clear()
            self._made.clear()  # and the versions remembered, which may name a node it merged away
            self._whole.clear()
            self._versions.clear()
        if len(self._versions) + len(self._recent) > self.remember or self.shared:
            self._versions.clear()
        self._written |= self._pending
        for logical, met in self._recent.items():
            if met and (logical in self._versions or self.latest is None):  # else the store may hold a later one
                self._versions[logical] = _later(self._versions.get(logical), met[-1])
        self._made.update(self._made_recent)
        self._pending.clear()
        self._recent.clear()
        self._made_recent.clear()
        self.merged.clear()

    def rollback(self) -> None:
        """The quads mapped since the last commit were not stored."""
        self._pending.clear()
        self._recent.clear()
        self._made_recent.clear()
        self.merged.clear()

    def forget(self) -> None:
        """Another writer changed the store: ask it again which versions are the latest and which a run
        generated."""
        self._versions.clear()
        self._made.clear()
        self._whole.clear()

    def fresh(self, key: Hashable) -> bool:
        """Whether the description ``key`` still has to be written (and note that it now is)."""
        if key in self._written or key in self._pending:
            return False
        self._pending.add(key)
        self._noted.append(key)
        return True

    def seen(self, logical: NamedNode, time: str, version: NamedNode) -> None:
        """Note that ``version`` of ``logical`` was known at ``time``."""
        met, at = self._recent.setdefault(logical, []), parse_time(time)
        index = bisect.bisect_right(met, at, key=lambda known: known[0])
        if index == 0 or met[index - 1][1] != version:  # else what this says is known from then on already
            met.insert(index, (at, version))
            self._met.append((logical, (at, version)))

    def known(self, logical: NamedNode, time: str) -> NamedNode | None:
        """The latest version of ``logical`` known at ``time``: from memory, else from the store."""
        at = parse_time(time)
        if self.latest is not None and logical not in self._versions:
            self._versions[logical] = self._ask(logical, _END_OF_TIME)
        stored = self._versions.get(logical)
        if stored is not None and stored[0] > at:
            stored = self._ask(logical, time)
        met = self._recent.get(logical, [])
        index = bisect.bisect_right(met, at, key=lambda known: known[0])
        found = _later(stored, met[index - 1] if index else None)
        if found is None:
            return None
        return self._made_recent.get(found[1]) or self._made.get(found[1]) or found[1]  # merged: the digest's

    def _ask(self, logical: NamedNode, time: str) -> tuple[datetime, NamedNode] | None:
        """The store's latest version of ``logical`` known at ``time``."""
        found = self.latest(logical, time) if self.latest else None
        if found is None:
            return None
        at = parse_time(found[0])  # as the store writes it back: an engine may drop the offset (then UTC)
        return (at if at.tzinfo else at.replace(tzinfo=UTC)), found[1]

    def started(self, run_id: str) -> None:
        """Note that the run's start is the first event of it this mapper met: it meets all its events."""
        self._whole.add(run_id)

    def generation(self, run_id: str, own: NamedNode, logical: NamedNode, node: NamedNode | None) -> NamedNode:
        """The version of ``logical`` that run ``run_id`` generates, named ``node`` by its digest (``None``:
        without one); ``own`` is the run's digest-less node. A version the run generated before decides
        (see the module docstring): remembered, else asked of the store when this mapper did not meet
        every event of the run."""
        before = self._made_recent.get(own) or self._made.get(own)
        if before is None and self.generated is not None and run_id not in self._whole:
            versions = self.generated(run_id, logical)
            before = next((v for v in versions if v != own), own if own in versions else None)
        if node is None:
            node = before or own
        elif before == own:
            self.merged.append((own, node))
        self._made_noted.append((own, self._made_recent.get(own)))
        self._made_recent[own] = node
        return node


class _RunQuads:
    """The quads of one event: ``self.quads`` in the bundle, ``self.shared`` in the shared graph."""

    def __init__(self, mapper: Mapper, event: Event) -> None:
        self.mapper = mapper
        self.event = event
        self.namespace: str | None = event.get("namespace")
        self.quads: list[Quad] = []

    # -- writing -----------------------------------------------------------------------------------
    def add(self, s: NamedNode, p: NamedNode, o: Term) -> None:
        self.quads.append(Quad(s, p, o, self.graph))

    def describe(self, key: Hashable, triples: Iterable[tuple[NamedNode, NamedNode, Term]]) -> None:
        """Shared description ``triples``, written unless ``key`` was written before."""
        if self.mapper.fresh(key):
            self.quads.extend(Quad(s, p, o, SHARED_GRAPH) for s, p, o in triples)

    # -- runs --------------------------------------------------------------------------------------
    def run_quads(self) -> list[Quad]:
        event = self.event
        run = event["run"]
        self.run_id: str = run["id"]
        self.run = run_iri(self.run_id)
        self.graph = bundle_iri(self.run_id)
        self._run(run)
        self.responsible = self._agents(event.get("agents", ()))
        used = [self._artifact(a, generated=False) for a in event.get("used", ())]
        data_used = {node: a for node, a in used if a.get("kind") != "code"}
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
        return self.quads

    def _run(self, run: dict[str, Any]) -> None:
        """The run's own statements; what an earlier event of the run stated alike (the bundle, the run's
        type, kind, step, parent: a run's start and end both carry them) is not written again."""
        add, node, event = self.add, self.run, self.event
        if self.mapper.fresh(("run", self.run_id)):
            if event["type"] == "run.start":  # the first event of the run this mapper meets: its first
                self.mapper.started(self.run_id)
            add(self.graph, RDF.type, PROV.Bundle)
            add(node, RDF.type, PROV.Activity)
            add(node, RDF.type, PROVML.Run)
            add(node, PROVML.runId, Literal(self.run_id))
        stated = tuple(run.get(key) for key in ("kind", "step", "parent"))
        if stated != (None, None, None) and self.mapper.fresh(("run", self.run_id, *stated)):
            if "kind" in run:
                add(node, RDF.type, PROVML[RUN_CLASSES[run["kind"]]])
            if "step" in run:
                add(node, PROVML.stepName, Literal(run["step"]))
                add(node, RDFS.label, Literal(run["step"]))
            if "parent" in run:
                add(node, PROVML.partOfRun, run_iri(run["parent"]))
        if event["type"] == "run.start":
            add(node, PROV.startedAtTime, _time(event["time"]))
        elif event["type"] == "run.end":
            add(node, PROV.endedAtTime, _time(event["time"]))
            add(node, PROVML.status, Literal(run["status"]))
            if "error" in run:
                add(node, PROVML.errorType, Literal(run["error"]["type"]))
                if run["error"].get("message"):
                    add(node, PROVML.errorMessage, Literal(run["error"]["message"]))

    def _agents(self, agents: Any) -> list[NamedNode]:
        """The run's associations with ``agents`` (each stated once per run, whichever of its events
        names the agent first); returns the agents the run's outputs are attributed to."""
        self.associations: list[NamedNode] = []
        for agent in agents:
            node = self._agent(agent)
            assoc = iri("run", f"{self.run_id}.assoc-{agent['id']}")
            self.associations.append(assoc)
            if self.mapper.fresh(("association", assoc, agent.get("role"))):
                self.add(self.run, PROV.wasAssociatedWith, node)
                self.add(self.run, PROV.qualifiedAssociation, assoc)
                self.add(assoc, RDF.type, PROV.Association)
                self.add(assoc, PROV.agent, node)
                if "role" in agent:
                    self._role(assoc, agent["role"])
            if "on_behalf_of" in agent:
                principal = agent_iri(agent["on_behalf_of"])
                # a delegation between two agents is a fact about them, not about this run: stated once
                self.describe(("agent", principal), [(principal, RDF.type, PROV.Agent)])
                self.describe(("delegation", node, principal), [(node, PROV.actedOnBehalfOf, principal)])
        return [agent_iri(a["id"]) for a in agents if a["kind"] != "software"]

    def _agent(self, agent: dict[str, Any]) -> NamedNode:
        node = agent_iri(agent["id"])
        name = agent.get("name", agent["id"])
        self.describe(("agent", node, agent["kind"], name), [
            (node, RDF.type, PROV.Agent), (node, RDF.type, AGENT_CLASSES[agent["kind"]]),
            (node, RDFS.label, Literal(name))])
        return node

    def _role(self, qualified: NamedNode, role: str) -> None:
        node = iri("role", slug(role))
        self.describe(node, [(node, RDF.type, PROV.Role), (node, RDFS.label, Literal(role))])
        self.add(qualified, PROV.hadRole, node)

    def _artifact(self, artifact: dict[str, Any], generated: bool) -> tuple[NamedNode, dict[str, Any]]:
        logical = artifact_logical(artifact, self.namespace)
        time: str = artifact.get("time") or self.event["time"]
        node = self._version(artifact, logical, generated, time)
        self._describe_artifact(node, logical, artifact)
        add = self.add
        qualifier = "gen" if generated else "use"
        qualified = iri("run", f"{self.run_id}.{qualifier}-{short_hash(node.value, artifact.get('role', ''))}")
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
            if artifact["role"] == PLAN_ROLE and not generated:
                self._plan(node)
        return node, artifact

    def _plan(self, node: NamedNode) -> None:
        """A used artifact in the role ``plan`` is the run's prov:Plan: typed so, and named by the run's
        associations (one without an agent when none was recorded)."""
        self.describe((node, PROV.Plan), [(node, RDF.type, PROV.Plan)])
        associations = self.associations
        if not associations:
            association = iri("run", f"{self.run_id}.assoc-plan")
            self.add(self.run, PROV.qualifiedAssociation, association)
            self.add(association, RDF.type, PROV.Association)
            associations = [association]
        for association in associations:
            self.add(association, PROV.hadPlan, node)

    def _version(self, artifact: dict[str, Any], logical: NamedNode, generated: bool, time: str) -> NamedNode:
        """The version node: by digest; else, generated, the run's (see :meth:`Mapper.generation`); else the
        latest known; else unverified."""
        node = version_iri(artifact_digests(artifact), logical)
        if generated:
            own = iri("data", f"gen-{short_hash(self.run_id, logical.value, n=32)}")
            node = self.mapper.generation(self.run_id, own, logical, node)
        if node is None:
            node = self.mapper.known(logical, time)
        if node is None:
            node = iri("data", f"unverified-{short_hash(self.run_id, logical.value, n=32)}")
            self.describe(node, [(node, PROVML.unverified, literal(True))])
        self.mapper.seen(logical, time, node)
        return node

    def _describe_artifact(self, node: NamedNode, logical: NamedNode, artifact: dict[str, Any]) -> None:
        location, kind, name = artifact["location"], artifact.get("kind"), artifact.get("name")
        digests = artifact_digests(artifact)
        labels = tuple(artifact.get("labels", ()))
        key = (node, logical, location, kind, name, labels, artifact.get("size"), artifact.get("directory"),
               tuple(sorted(digests.items())))
        triples: list[tuple[NamedNode, NamedNode, Term]] = [
            (node, RDF.type, PROV.Entity), (node, RDF.type, PROVML.Artifact),
            (node, PROVML.location, Literal(location)),
            (node, RDFS.label, Literal(name or location.rstrip("/").rsplit("/", 1)[-1] or location)),
            (node, PROV.specializationOf, logical),
        ]
        if kind in ARTIFACT_CLASSES:
            triples.append((node, RDF.type, PROVML[ARTIFACT_CLASSES[kind]]))
        if kind:
            triples.append((node, PROVML.artifactKind, Literal(kind)))
        if "sha256" in digests:
            triples.append((node, PROVML.sha256, Literal(digests["sha256"])))
        triples += [(node, PROVML.digest, Literal(f"{alg}:{value}")) for alg, value in sorted(digests.items())]
        if "size" in artifact:
            triples.append((node, PROVML.sizeBytes, Literal(str(artifact["size"]), datatype=XSD.long)))
        if artifact.get("directory"):
            triples.append((node, PROVML.isDirectory, literal(True)))
        triples += [(node, PROVML.hasLabel, Literal(label)) for label in labels]
        triples += [(logical, RDF.type, PROV.Entity),
                    (logical, RDF.type, PROVML.Dataset if kind in DATA_KINDS else PROVML.LogicalArtifact),
                    (logical, RDFS.label, Literal(name or location))]
        if self.namespace is not None:
            triples.append((logical, PROVML.namespace, Literal(self.namespace)))
        self.describe(key, triples)

    def _derivation(self, node: NamedNode, artifact: dict[str, Any], used: dict[NamedNode, Any]) -> None:
        """``node`` derived from the used artifacts ``derived_from`` names (default: all used data); one
        named by a derivation with transformations gets a qualified derivation per transformation."""
        sources = artifact.get("derived_from")
        how: dict[NamedNode, list[dict[str, Any]]] = {}
        if sources is None:
            how = {source: [] for source in used}
        for spec in sources or ():
            ref, transformations = (spec, []) if isinstance(spec, str) else (spec["source"], spec["transformations"])
            for source, described in used.items():
                if described["location"] == ref or ref in artifact_digests(described).values():
                    how.setdefault(source, []).extend(transformations)
        for source, transformations in how.items():
            if source == node:
                continue
            self.add(node, PROV.wasDerivedFrom, source)
            for transformation in transformations:
                self._transformation(node, source, transformation)

    def _transformation(self, node: NamedNode, source: NamedNode, transformation: dict[str, Any]) -> None:
        """A qualified derivation of ``node`` from ``source`` by this run, saying how (column lineage)."""
        text = json.dumps(transformation, sort_keys=True)
        qualified = iri("run", f"{self.run_id}.der-{short_hash(node.value, source.value, text)}")
        add = self.add
        add(node, PROV.qualifiedDerivation, qualified)
        add(qualified, RDF.type, PROV.Derivation)
        add(qualified, PROV.entity, source)
        add(qualified, PROV.hadActivity, self.run)
        add(qualified, PROVML.transformationType, Literal(transformation["type"]))
        for key, prop in (("subtype", PROVML.transformationSubtype),
                          ("description", PROVML.transformationDescription), ("masking", PROVML.masking)):
            if key in transformation:
                add(qualified, prop, literal(transformation[key]))

    def _setting(self, name: str, value: Any, cls: NamedNode) -> None:
        node = param_iri(name, value)
        triples: list[tuple[NamedNode, NamedNode, Term]] = [
            (node, RDF.type, PROV.Entity), (node, RDF.type, cls), (node, PROVML.name, Literal(name)),
            (node, RDFS.label, Literal(f"{name}={value}"))]
        if value is not None:
            triples.append((node, PROVML.value, literal(value)))
        self.describe((node, cls), triples)
        self.add(self.run, PROV.used, node)

    def _metric(self, name: str, value: Any) -> None:
        history = value if isinstance(value, list) else [{"value": value}]
        final = iri("metric", f"{self.run_id}.{slug(name)}")
        self._measurement(final, name, history[-1])
        if len(history) > 1:
            for index, point in enumerate(history):
                step = point.get("step", index)
                point_node = iri("metric", f"{self.run_id}.{slug(name)}.{step}")
                self._measurement(point_node, name, point)
                self.add(point_node, PROVML.historyOf, final)

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
        node = iri("env", "env-" + short_hash(json.dumps(env, sort_keys=True), n=32))
        self.add(self.run, PROV.used, node)
        if not self.mapper.fresh(node):
            return
        shared: list[tuple[NamedNode, NamedNode, Term]] = [
            (node, RDF.type, PROV.Entity), (node, RDF.type, PROV.Collection), (node, RDF.type, PROVML.Environment),
            (node, RDFS.label, Literal(f"Python {env.get('python', '?')} on {env.get('hostname', '?')}"))]
        for key, prop in (("python", PROVML.pythonVersion), ("platform", PROVML.platform),
                          ("hostname", PROVML.hostname), ("container", PROVML.containerImage)):
            if key in env:
                shared.append((node, prop, Literal(env[key])))
        for name, version in env.get("packages", {}).items():
            package = iri("pkg", slug(f"{name}=={version}"))
            shared.append((node, PROV.hadMember, package))
            self.describe(package, [
                (package, RDF.type, PROV.Entity), (package, RDF.type, PROVML.SoftwarePackage),
                (package, PROVML.name, Literal(name)), (package, PROVML.version, Literal(version)),
                (package, RDFS.label, Literal(f"{name}=={version}"))])
        self.quads.extend(Quad(s, p, o, SHARED_GRAPH) for s, p, o in shared)

    def _code(self, code: dict[str, Any]) -> None:
        if "git" in code:
            git = code["git"]
            dirty = bool(git.get("dirty"))
            node = iri("code", f"git-{git['commit']}{'-dirty' if dirty else ''}")
            triples: list[tuple[NamedNode, NamedNode, Term]] = [
                (node, RDF.type, PROV.Entity), (node, RDF.type, PROVML.CodeVersion),
                (node, PROVML.gitCommit, Literal(git["commit"])), (node, PROVML.gitDirty, literal(dirty)),
                (node, RDFS.label, Literal(f"git {git['commit'][:10]}{' (dirty)' if dirty else ''}"))]
            if git.get("branch"):
                triples.append((node, PROVML.gitBranch, Literal(git["branch"])))
            if git.get("remote"):
                triples.append((node, PROVML.gitRemote, Literal(git["remote"])))
            self.describe((node, git.get("branch"), git.get("remote")), triples)
            self.add(self.run, PROV.used, node)
        if "script" in code:
            script = {"location": code["script"]["path"], "kind": "code", "role": "script"}
            if "sha256" in code["script"]:
                script["sha256"] = code["script"]["sha256"]
            self._artifact(script, generated=False)

    # -- invalidations -----------------------------------------------------------------------------
    def invalidation(self) -> list[Quad]:
        event = self.event
        spec = event["invalidation"]
        act_id = f"invalidate-{event['id']}"
        self.graph, act = bundle_iri(act_id), run_iri(act_id)
        target = NamedNode(spec["target_iri"]) if "target_iri" in spec else self._target(spec["target"])
        time = _time(event["time"])
        for s, p, o in ((self.graph, RDF.type, PROV.Bundle), (act, RDF.type, PROV.Activity),
                        (act, RDF.type, PROVML.Invalidation), (act, PROVML.runId, Literal(act_id)),
                        (act, RDFS.label, Literal("invalidate")), (act, PROV.startedAtTime, time),
                        (act, PROV.endedAtTime, time), (act, PROVML.reason, Literal(spec["reason"])),
                        (target, PROV.wasInvalidatedBy, act), (target, PROV.invalidatedAtTime, time)):
            self.add(s, p, o)
        for agent in event.get("agents", ()):
            self.add(act, PROV.wasAssociatedWith, self._agent(agent))
        return self.quads

    def _target(self, target: str) -> NamedNode:
        if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
            return iri("data", f"sha256-{target}")
        if ":" in target.split("/")[0]:
            return NamedNode(target)
        return logical_iri(target, self.namespace)


def _later(first: tuple[datetime, NamedNode] | None,
           second: tuple[datetime, NamedNode] | None) -> tuple[datetime, NamedNode] | None:
    """The later of two ``(time, version)`` (the store's order: by time, then by IRI, descending)."""
    if first is None or second is None:
        return first or second
    return max(first, second, key=lambda known: (known[0], known[1].value))


def _time(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)
