"""What users would otherwise write: the same statements in rdflib, the same records with the ``prov``
package, the same edges in networkx."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import prov.model as pm
from pyoxigraph import DefaultGraph, Quad
from rdflib import Dataset, URIRef

from provgraph.provdoc.decode import rdflib_term
from provgraph.vocab import PREFIXES, PROV

IMPACT_EDGES = frozenset(PROV[name].value for name in ("used", "wasGeneratedBy", "wasDerivedFrom"))
LINEAGE_EDGES = ("wasGeneratedBy", "used", "wasDerivedFrom", "wasAssociatedWith", "wasAttributedTo",
                 "actedOnBehalfOf")


def rdflib_quads(quads: Iterable[Quad]) -> list[tuple[Any, Any, Any, Any]]:
    """The quads as rdflib terms, graph names as ``URIRef`` (built before any timing)."""
    rows = []
    for quad in quads:
        graph = None if isinstance(quad.graph_name, DefaultGraph) else URIRef(quad.graph_name.value)
        rows.append((rdflib_term(quad.subject), URIRef(quad.predicate.value), rdflib_term(quad.object), graph))
    return rows


def rdflib_dataset(rows: Iterable[tuple[Any, Any, Any, Any]]) -> Dataset:
    """An rdflib dataset of ``rows``, one ``Dataset.add`` per statement; queries see the union."""
    dataset = Dataset(default_union=True)
    for row in rows:
        dataset.add(row)
    return dataset


def impact_graph(quads: Iterable[Quad]) -> nx.DiGraph:
    """Downstream edges: entity -> run that used it, run -> what it generated, source -> derived."""
    graph: nx.DiGraph = nx.DiGraph()
    for quad in quads:
        if quad.predicate.value in IMPACT_EDGES:
            graph.add_edge(quad.object.value, quad.subject.value)
    return graph


def lineage_graph(quads: Iterable[Quad]) -> nx.DiGraph:
    """Upstream edges: entity -> generating run, run -> used, derived -> source, -> agents, principals."""
    wanted = {PROV[name].value for name in LINEAGE_EDGES}
    graph: nx.DiGraph = nx.DiGraph()
    for quad in quads:
        if quad.predicate.value in wanted:
            graph.add_edge(quad.subject.value, quad.object.value)
    return graph


def prov_document(events: Iterable[dict[str, Any]]) -> pm.ProvDocument:
    """The same runs as records of a ``prov`` document, one bundle per run, as a ``prov`` user writes them."""
    doc = pm.ProvDocument()
    for prefix in ("provml", "run", "data", "dataset", "agent", "param", "metric", "bundle", "env", "code"):
        doc.add_namespace(prefix, PREFIXES[prefix])
    bundles: dict[str, pm.ProvBundle] = {}
    for event in events:
        run_id = event["run"]["id"]
        if run_id not in bundles:
            bundles[run_id] = doc.bundle(f"bundle:{run_id}")
        _prov_run(bundles[run_id], event)
    return doc


def _prov_run(bundle: pm.ProvBundle, event: dict[str, Any]) -> None:
    run_info = event["run"]
    run_id = run_info["id"]
    attributes: dict[str, Any] = {"provml:runId": run_id, "prov:type": f"provml:{run_info.get('kind', 'Run')}"}
    if "step" in run_info:
        attributes["provml:stepName"] = run_info["step"]
    for label in event.get("labels", ()):
        attributes.setdefault("provml:hasLabel", label)
    started = event["time"] if event["type"] == "run.start" else None
    ended = event["time"] if event["type"] == "run.end" else None
    if ended:
        attributes["provml:status"] = run_info["status"]
    activity = bundle.activity(f"run:{run_id}", started, ended, attributes)
    people = []
    for agent in event.get("agents", ()):
        node = bundle.agent(f"agent:{agent['id']}", {"prov:type": f"prov:{agent['kind'].title()}",
                                                      "prov:label": agent.get("name", agent["id"])})
        bundle.wasAssociatedWith(activity, node)
        if "on_behalf_of" in agent:
            principal = bundle.agent(f"agent:{agent['on_behalf_of']}")
            bundle.actedOnBehalfOf(node, principal)
        if agent["kind"] != "software":
            people.append(node)
    used = []
    for artifact in event.get("used", ()):
        entity = _prov_entity(bundle, artifact)
        bundle.used(activity, entity, artifact.get("time"))
        used.append(entity)
    for artifact in event.get("generated", ()):
        entity = _prov_entity(bundle, artifact)
        bundle.wasGeneratedBy(entity, activity, artifact.get("time"))
        for source in used:
            bundle.wasDerivedFrom(entity, source)
        for person in people:
            bundle.wasAttributedTo(entity, person)
    for name, value in event.get("params", {}).items():
        setting = bundle.entity(f"param:{name}-{value}", {"provml:name": name, "provml:value": value,
                                                          "prov:type": "provml:HyperParameterSetting"})
        bundle.used(activity, setting)
    for name, value in event.get("metrics", {}).items():
        metric = bundle.entity(f"metric:{run_id}.{name}", {"provml:name": name, "provml:value": value,
                                                           "prov:type": "provml:MetricValue"})
        bundle.wasGeneratedBy(metric, activity)
    if "environment" in event:
        env = event["environment"]
        node = bundle.entity(f"env:{env['hostname']}", {"provml:pythonVersion": env["python"]})
        for package, version in env.get("packages", {}).items():
            member = bundle.entity(f"env:{package}-{version}", {"provml:name": package, "provml:version": version})
            bundle.hadMember(node, member)
        bundle.used(activity, node)
    if "code" in event and "git" in event["code"]:
        commit = event["code"]["git"]["commit"]
        bundle.used(activity, bundle.entity(f"code:git-{commit}", {"provml:gitCommit": commit}))


def _prov_entity(bundle: pm.ProvBundle, artifact: dict[str, Any]) -> pm.ProvEntity:
    attributes = {"provml:location": artifact["location"], "provml:sha256": artifact["sha256"],
                  "provml:sizeBytes": artifact["size"], "provml:artifactKind": artifact["kind"],
                  "prov:label": artifact["name"]}
    entity = bundle.entity(f"data:sha256-{artifact['sha256']}", attributes)
    logical = bundle.entity(f"dataset:{artifact['name']}", {"prov:label": artifact["name"]})
    bundle.specializationOf(entity, logical)
    return entity
