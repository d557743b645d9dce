"""Every IRI provgraph writes, in one place.

``PROV``, ``RDF``, ``RDFS``, ``XSD`` and ``MLS`` are open namespaces; ``PROVML`` is checked against
``ontologies/provml.ttl`` on first use, so a misspelt term fails loudly instead of writing a stray IRI.
Instance IRIs (runs, data versions, agents, ...) are minted by :func:`iri` in per-kind namespaces so
that every local name is a valid PROV-N and XML qualified name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from .resources import ontology_path

PROVML_IRI = "https://w3id.org/provgraph/provml#"
ID_BASE = "https://w3id.org/provgraph/id/"


class Namespace:
    """A namespace whose attributes are :class:`NamedNode` terms (``PROV.used``)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __getattr__(self, local: str) -> NamedNode:
        """Called once per term: the term is then kept as an attribute, which Python finds directly."""
        if local.startswith("__"):
            raise AttributeError(local)
        term = self.__dict__[local] = NamedNode(self.base + local)
        return term

    def __getitem__(self, local: str) -> NamedNode:
        return getattr(self, local)


class CheckedNamespace(Namespace):
    """A namespace that only hands out the terms its ontology file defines."""

    def __init__(self, base: str, ontology_file: str) -> None:
        super().__init__(base)
        self._file = ontology_file

    @cached_property
    def terms(self) -> frozenset[str]:
        with open(ontology_path(self._file), "rb") as handle:
            subjects = {t.subject.value for t in parse(handle, RdfFormat.TURTLE)}
        return frozenset(s[len(self.base):] for s in subjects if s.startswith(self.base))

    def __getattr__(self, local: str) -> NamedNode:
        if local.startswith("_"):
            raise AttributeError(local)
        if local not in self.terms:
            raise AttributeError(f"{local!r} is not defined in {self._file}")
        return super().__getattr__(local)


PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
MLS = Namespace("http://www.w3.org/ns/mls#")
PROVML = CheckedNamespace(PROVML_IRI, "provml.ttl")

#: Instance namespaces, by kind. The prefix doubles as the PROV-N / XML prefix in exports.
ID_KINDS = ("run", "bundle", "data", "dataset", "agent", "env", "pkg", "code", "param", "metric", "role", "graph")
ID_NAMESPACES = {kind: f"{ID_BASE}{kind}/" for kind in ID_KINDS}
PREFIXES = {
    "prov": PROV.base,
    "provml": PROVML_IRI,
    "mls": MLS.base,
    "rdf": RDF.base,
    "rdfs": RDFS.base,
    "xsd": XSD.base,
    **ID_NAMESPACES,
}

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def remote_namespace(remote: str) -> str:
    """The namespace of a project known by its git remote, the same for every clone and every tool
    that reads it (capture, the DVC importer): ``https://github.com/org/repo.git`` and
    ``git@github.com:org/repo.git`` are both ``github.com_org_repo``."""
    plain = re.sub(r"^[a-z+]+://", "", remote.strip())
    plain = re.sub(r"^[^/@]*@", "", plain)  # a user name (git@) or credentials (user:token@) are not kept
    plain = re.sub(r"\.git/?$", "", plain).replace(":", "/")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("._-")[:128] or "project"


def slug(text: str) -> str:
    """A local name for ``text``: itself when already safe, else a readable slug plus a short hash.

    Local names start with a letter or underscore and hold only ``[A-Za-z0-9_.-]``, which is valid in
    PROV-N, Turtle and XML qualified names alike.
    """
    cleaned = _UNSAFE.sub("_", text).strip(".") or "_"
    if not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    if cleaned == text:
        return text
    return f"{cleaned[:60]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def iri(kind: str, local: str) -> NamedNode:
    """The IRI of an instance: ``iri("run", "train-1")`` -> ``<.../id/run/train-1>``."""
    return NamedNode(ID_NAMESPACES[kind] + local)


def local_of(node: NamedNode | str) -> tuple[str, str] | None:
    """Split an instance IRI back into ``(kind, local)``; ``None`` for any other IRI."""
    value = node.value if isinstance(node, NamedNode) else node
    if not value.startswith(ID_BASE):
        return None
    kind, _, local = value[len(ID_BASE):].partition("/")
    return (kind, local) if kind in ID_NAMESPACES and local else None


def iri_text(text: str) -> bool:
    """The one URI rule: ``text`` names itself globally (a URI with a scheme of two or more letters,
    ``s3://b/k``, ``bigquery:p.d.t``, ``models:/m/1``) rather than a place relative to a project."""
    return _URI.match(text) is not None


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:[^\s<>\"{}|\\^`]*$")

#: The graph holding content-addressed descriptions (data versions, logical artifacts, environments,
#: packages, code versions, parameter settings, agents, roles), written once and shared by every run.
SHARED_GRAPH = NamedNode(ID_NAMESPACES["graph"] + "shared")

#: Class of each run kind, artifact kind and agent kind; the event schema's enums are tested against them.
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
ARTIFACT_KINDS = (*ARTIFACT_CLASSES, "other")
DATA_KINDS = frozenset({"dataset", "features", "split"})
AGENT_CLASSES = {"person": PROV.Person, "software": PROV.SoftwareAgent, "organization": PROV.Organization}

#: The relations impact and lineage walk (``queries/impact.rq``, ``queries/lineage.rq``, and the store's
#: lineage index): impact follows the first :data:`IMPACT_RELATIONS` backwards (from what was used to the
#: run, from a run to what it generated, from a source to what was derived from it), lineage all forwards.
LINEAGE_RELATIONS = tuple(PROV[p].value for p in ("used", "wasGeneratedBy", "wasDerivedFrom", "wasAssociatedWith",
                                                  "wasAttributedTo", "actedOnBehalfOf"))
IMPACT_RELATIONS = 3
#: A node's description (``queries/describe.rq``, which numbers the fields from 1, 0 being rdf:type).
DESCRIBED_FIELDS = {
    "label": RDFS.label.value, "kind": PROVML_IRI + "artifactKind", "location": PROVML_IRI + "location",
    "sha256": PROVML_IRI + "sha256", "runId": PROVML_IRI + "runId", "status": PROVML_IRI + "status",
    "started": PROV.startedAtTime.value, "ended": PROV.endedAtTime.value,
    "step": PROVML_IRI + "stepName", "parent": PROVML_IRI + "partOfRun",
}
#: The node type each class makes, checked in this order; a description tells these classes apart, and
#: those of each run, artifact and agent kind (:data:`DESCRIBED_CLASSES`).
NODE_TYPES = (
    (PROVML_IRI + "Invalidation", "invalidation"), (PROVML_IRI + "Run", "run"),
    (PROVML_IRI + "MetricValue", "metric"), (PROVML_IRI + "RandomSeed", "seed"),
    (PROVML_IRI + "HyperParameterSetting", "parameter"), (PROVML_IRI + "Environment", "environment"),
    (PROVML_IRI + "CodeVersion", "code"), (PROVML_IRI + "Artifact", "artifact"), (PROVML_IRI + "Dataset", "dataset"),
    (PROVML_IRI + "LogicalArtifact", "dataset"), (PROV.Agent.value, "agent"), (PROV.Activity.value, "activity"),
)
DESCRIBED_CLASSES = tuple(sorted(
    {cls for cls, _ in NODE_TYPES} | {PROVML_IRI + c for c in (*RUN_CLASSES.values(), *ARTIFACT_CLASSES.values())}
    | {c.value for c in AGENT_CLASSES.values()} | {PROV.Entity.value}))

#: Content digests, strongest first: they name the same bytes anywhere. Any other digest (a tool's own
#: version id: ``mlflow-digest``, ``openlineage-version``, ``etag``...) names a version only within its
#: logical artifact.
CONTENT_DIGESTS = ("sha256", "sha512", "sha1", "md5")


def short_hash(*parts: str, n: int = 16) -> str:
    """A stable hex digest of ``parts`` (joined by a unit separator), cut to ``n`` digits."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:n]


def literal(value: Any) -> Literal:
    """The typed literal of a JSON scalar: xsd:boolean, xsd:integer, xsd:double or a plain string."""
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(repr(value), datatype=XSD.double)
    return Literal(str(value))


def run_iri(run_id: str) -> NamedNode:
    """The activity of one run."""
    return iri("run", run_id)


def bundle_iri(run_id: str) -> NamedNode:
    """The named graph (a prov:Bundle) holding what one run asserts."""
    return iri("bundle", run_id)


def agent_iri(agent_id: str) -> NamedNode:
    """An agent, by its id."""
    return iri("agent", agent_id)


def logical_iri(name: str, namespace: str | None = None) -> NamedNode:
    """The logical artifact called ``name`` (a dataset name or a location).

    A URI names itself globally; anything else (a relative path, a bare name, an absolute path on some
    machine) is scoped to the project ``namespace``, so ``data/features`` of two projects are two nodes.
    """
    if namespace is None or iri_text(name):
        return iri("dataset", slug(name))
    return iri("dataset", slug(f"{namespace}:{name}"))


def version_iri(digests: dict[str, str], logical: NamedNode) -> NamedNode | None:
    """The node of one artifact version named by its strongest digest; ``None`` without any."""
    for algorithm in CONTENT_DIGESTS:
        if algorithm in digests:
            return iri("data", slug(f"{algorithm}-{digests[algorithm]}"))
    if not digests:
        return None
    algorithm = min(digests)
    return iri("data", f"{slug(algorithm)}-{short_hash(logical.value, algorithm, digests[algorithm], n=32)}")


#: PROV-O's qualification pattern for the relations provgraph's questions read: qualifying property ->
#: (property of the qualified node naming the influencer, the unqualified property it stands for).
QUALIFIED = {
    PROV[q]: (PROV[who], PROV[short]) for q, who, short in (
        ("qualifiedUsage", "entity", "used"), ("qualifiedGeneration", "activity", "wasGeneratedBy"),
        ("qualifiedAssociation", "agent", "wasAssociatedWith"), ("qualifiedAttribution", "agent", "wasAttributedTo"),
        ("qualifiedDerivation", "entity", "wasDerivedFrom"), ("qualifiedDelegation", "agent", "actedOnBehalfOf"),
        ("qualifiedInvalidation", "activity", "wasInvalidatedBy"),
    )
}


def implied_by_qualified(quads: Iterable[Quad]) -> set[tuple[Any, Any, Any, Any]]:
    """The unqualified statements ``(subject, property, influencer, graph)`` that the qualified
    relations among ``quads`` stand for (``:s prov:qualifiedUsage [ prov:entity :e ]`` -> ``:s prov:used :e``)."""
    quads = list(quads)
    about: dict[tuple[Any, Any], list[Quad]] = {}
    for quad in quads:
        about.setdefault((quad.subject, quad.graph_name), []).append(quad)
    implied: set[tuple[Any, Any, Any, Any]] = set()
    for quad in quads:
        pattern = QUALIFIED.get(quad.predicate)
        if pattern is not None:
            link, short = pattern
            implied.update((quad.subject, short, q.object, quad.graph_name)
                           for q in about.get((quad.object, quad.graph_name), ()) if q.predicate == link)
    return implied
