"""Lineage diagrams: which nodes, shapes, colours, edges and clusters the real ``dot`` lays out.

The structure is read back from Graphviz's own JSON output (``dot -Tjson``) and from its SVG, so the
checks go through the real layout program, not through our DOT text. Expected answers are written by
hand from the pipeline drawn in ``test_render_pipelines``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz
import pytest
from test_render_pipelines import (
    OTHER,
    OTHER_OUT,
    C,
    E,
    F,
    M,
    R,
    art,
    invalidation_event,
    load,
    pipeline_events,
    run_events,
    sha,
    sweep_events,
)

from provgraph import QueryError, RenderError
from provgraph.render import Diagram, diagram, render_to, svg
from provgraph.store import Store, open_store
from provgraph.vocab import logical_iri

YELLOW, BLUE, ORANGE, RED, PURPLE = "#FFFC87", "#9FB1FC", "#FED37F", "#D62728", "#9467BD"
RAW, CLEAN, FEAT, MODEL, EVAL = (f"data/sha256-{h}" for h in (R, C, F, M, E))
# a hash-less output is a version of the run that generated it: gen-<sha256 of run id and logical IRI>
ENDPOINT_NODE = "data/gen-" + __import__("hashlib").sha256(
    f"deploy-1\x1f{logical_iri('churn-endpoint').value}".encode()).hexdigest()[:32]  # its logical name
PIPE_RUNS = {"run/pipe-1", "run/ingest-1", "run/clean-1", "run/feat-1", "run/train-1", "run/eval-1",
             "run/deploy-1"}
PIPE_DATA = {RAW, CLEAN, FEAT, MODEL, EVAL, ENDPOINT_NODE}
OTHERS = {"run/other-1", f"data/sha256-{OTHER}", f"data/sha256-{OTHER_OUT}"}
AGENTS = {"agent/alice", "agent/ci-bot"}


@dataclass
class Laid:
    """A diagram as Graphviz laid it out."""

    nodes: dict[str, dict[str, Any]]
    edges: set[tuple[str, str, str]]
    clusters: dict[str, set[str]]

    def drawn(self) -> set[str]:
        return {n for n in self.nodes if not n.startswith("legend/")}


def laid_out(dot: graphviz.Digraph) -> Laid:
    data = json.loads(dot.pipe(format="json"))
    objects = data["objects"]
    names = {o["_gvid"]: o["name"] for o in objects if "nodes" not in o and "_gvid" in o}
    nodes = {o["name"]: o for o in objects if "nodes" not in o}
    clusters = {o["name"]: {names[i] for i in o["nodes"]} for o in objects if "nodes" in o}
    edges = {(names[e["tail"]], names[e["head"]], e.get("label", "")) for e in data.get("edges", [])
             if e.get("style") != "invis"}
    return Laid(nodes, edges, clusters)


@pytest.fixture
def pipeline(store: Store) -> Store:
    return load(store, pipeline_events())


def test_whole_store_draws_every_run_artifact_and_agent_in_prov_shapes(pipeline: Store) -> None:
    laid = laid_out(diagram(pipeline))
    assert laid.drawn() == PIPE_RUNS | PIPE_DATA | OTHERS | AGENTS
    for name, node in laid.nodes.items():
        if name.startswith("run/"):
            assert (node["shape"], node["fillcolor"]) == ("box", BLUE), name
        elif name.startswith("data/"):
            assert (node["shape"], node["fillcolor"]) == ("ellipse", YELLOW), name
        elif name.startswith("agent/"):
            assert (node["shape"], node["fillcolor"]) == ("house", ORANGE), name
    legend = {n: laid.nodes[n] for n in laid.clusters["cluster_legend"]}
    assert {(n["label"], n["shape"], n["fillcolor"]) for n in legend.values()} == {
        ("Entity", "ellipse", YELLOW), ("Activity", "box", BLUE), ("Agent", "house", ORANGE),
        ("arrows: from the later thing to the earlier (PROV)", "plaintext", "#FFFFFF")}


def test_edges_carry_the_prov_relation(pipeline: Store) -> None:
    edges = laid_out(diagram(pipeline)).edges
    expected = {
        ("run/clean-1", RAW, "used"),
        (CLEAN, "run/clean-1", "wasGeneratedBy"),
        (CLEAN, RAW, "wasDerivedFrom"),
        (EVAL, MODEL, "wasDerivedFrom"),
        (EVAL, FEAT, "wasDerivedFrom"),
        ("run/train-1", "agent/alice", "wasAssociatedWith"),
        ("run/train-1", "agent/ci-bot", "wasAssociatedWith"),
        (MODEL, "agent/alice", "wasAttributedTo"),
        ("agent/ci-bot", "agent/alice", "actedOnBehalfOf"),
        (ENDPOINT_NODE, "run/deploy-1", "wasGeneratedBy"),
    }
    assert expected <= edges
    assert {label for _, _, label in edges} == {
        "used", "wasGeneratedBy", "wasDerivedFrom", "wasAssociatedWith", "wasAttributedTo", "actedOnBehalfOf"}
    # ingest used nothing; other-1 is unrelated to the pipeline
    assert not {e for e in edges if e[0] == "run/ingest-1" and e[2] == "used"}
    assert not {e for e in edges if {e[0], e[1]} & OTHERS and {e[0], e[1]} & PIPE_DATA}


def test_runs_of_a_pipeline_are_boxed_together_with_what_they_made(pipeline: Store) -> None:
    laid = laid_out(diagram(pipeline))
    assert laid.clusters["cluster_run/pipe-1"] == PIPE_RUNS | PIPE_DATA
    assert not laid.clusters["cluster_run/pipe-1"] & OTHERS
    flat = laid_out(diagram(pipeline, collapse=False))
    assert set(flat.clusters) == {"cluster_legend"}
    assert ("run/train-1", "run/pipe-1", "partOfRun") in flat.edges


def test_labels_name_kind_hash_params_metrics_time(pipeline: Store) -> None:
    nodes = laid_out(diagram(pipeline)).nodes
    train = nodes["run/train-1"]["label"]
    for text in ("<B>train</B>", "training · train-1", "epochs=10, lr=0.1", "accuracy=0.91",
                 "2026-03-01 10:04 · Alice Martin, CI bot"):
        assert text in train
    model = nodes[MODEL]["label"]
    assert "<B>model.pkl</B>" in model and f"model · {M[:12]}" in model and "Alice Martin" in model
    assert "<B>Alice Martin</B>" in nodes["agent/alice"]["label"] and "person" in nodes["agent/alice"]["label"]
    assert "deployment" in nodes[ENDPOINT_NODE]["label"]


def test_svg_has_shapes_colours_and_full_details_in_tooltips(pipeline: Store) -> None:
    text = svg(pipeline)
    root = ET.fromstring(text)
    ns = {"s": "http://www.w3.org/2000/svg", "x": "http://www.w3.org/1999/xlink"}
    found: dict[str, tuple[str, str, str]] = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") != "node":
            continue
        title = group.find("s:title", ns).text  # type: ignore[union-attr]
        link = group.find(".//s:a", ns)
        tooltip = link.get("{http://www.w3.org/1999/xlink}title", "") if link is not None else ""
        shape = group.find(".//s:ellipse", ns)
        polygon = group.find(".//s:polygon", ns)
        if shape is not None:
            found[title] = ("ellipse", shape.get("fill", "").upper(), tooltip)  # type: ignore[index]
        elif polygon is not None:
            corners = len(polygon.get("points", "").split()) - 1
            found[title] = ({4: "box", 5: "house"}[corners], polygon.get("fill", "").upper(), tooltip)  # type: ignore[index]
    assert found["run/train-1"][:2] == ("box", BLUE)
    assert found[MODEL][:2] == ("ellipse", YELLOW)
    assert found["agent/alice"][:2] == ("house", ORANGE)
    tooltip = found["run/train-1"][2]
    for text_ in ("https://w3id.org/provgraph/id/run/train-1", "param lr = 0.1", "metric accuracy = 0.91",
                  "commit: " + "a" * 40, "python: 3.11.9", "host: build-01"):
        assert text_ in tooltip
    assert f"sha256: {M}" in found[MODEL][2]


def test_lineage_of_a_model_goes_up_only(pipeline: Store) -> None:
    drawn = laid_out(diagram(pipeline, focus="models/model.pkl", direction="up")).drawn()
    assert drawn - AGENTS == {MODEL, "run/train-1", FEAT, "run/feat-1", CLEAN, "run/clean-1", RAW,
                              "run/ingest-1"}


def test_depth_limits_the_steps_followed(pipeline: Store) -> None:
    drawn = laid_out(diagram(pipeline, focus="models/model.pkl", direction="up", depth=1)).drawn()
    assert drawn - AGENTS == {MODEL, "run/train-1", FEAT}  # generated by train-1, derived from features
    drawn = laid_out(diagram(pipeline, focus="models/model.pkl", direction="both", depth=1)).drawn()
    assert drawn - AGENTS == {MODEL, "run/train-1", FEAT, "run/eval-1", "run/deploy-1", EVAL, ENDPOINT_NODE}


def test_impact_of_raw_data_goes_down_only(pipeline: Store) -> None:
    drawn = laid_out(diagram(pipeline, focus=R, direction="down")).drawn()
    assert drawn - AGENTS == PIPE_DATA | PIPE_RUNS - {"run/ingest-1", "run/pipe-1"}


def test_one_run_with_its_inputs_and_outputs(pipeline: Store) -> None:
    assert laid_out(diagram(pipeline, run="train-1")).drawn() - AGENTS == {"run/train-1", FEAT, MODEL}
    assert laid_out(diagram(pipeline, run="pipe-1")).drawn() - AGENTS == PIPE_RUNS | PIPE_DATA


def test_highlighted_impact_set_is_outlined_in_red(pipeline: Store) -> None:
    laid = laid_out(diagram(pipeline, highlight_impact="data/clean.csv"))
    red = {n for n, node in laid.nodes.items() if node.get("color") == RED and not n.startswith("legend/")}
    assert red == {CLEAN, "run/feat-1", FEAT, "run/train-1", MODEL, "run/eval-1", EVAL, "run/deploy-1",
                   ENDPOINT_NODE}
    assert laid.nodes["legend/impact"]["label"] == "impact of clean.csv"
    red_edges = {(laid_edge[0], laid_edge[1]) for laid_edge in laid.edges}
    assert (MODEL, "run/train-1") in red_edges


def test_invalidated_artifact_and_what_was_derived_from_it(store: Store) -> None:
    load(store, [*pipeline_events(), invalidation_event(C)])
    laid = laid_out(diagram(store))
    clean = laid.nodes[CLEAN]
    assert clean["color"] == "#7F0000" and "dashed" in clean["style"] and "INVALIDATED" in clean["label"]
    invalidations = {t for t, h, label in laid.edges if h == CLEAN} | {
        h for t, h, label in laid.edges if t == CLEAN and label == "wasInvalidatedBy"}
    assert any(n.startswith("run/invalidate-") for n in invalidations)
    purple = {n for n, node in laid.nodes.items() if node.get("color") == PURPLE and not n.startswith("legend/")}
    assert purple == {"run/feat-1", FEAT, "run/train-1", MODEL, "run/eval-1", EVAL, "run/deploy-1",
                      ENDPOINT_NODE}


def test_a_sweep_of_200_runs_collapses_to_one_counted_node(store: Store) -> None:
    load(store, [*pipeline_events(), *sweep_events(200)])
    laid = laid_out(diagram(store))
    assert not {n for n in laid.nodes if n.startswith("run/trial-")}
    groups = {n: node for n, node in laid.nodes.items() if n.startswith("group/")}
    labels = sorted(node["label"] for node in groups.values())
    assert len(groups) == 2
    assert any("<B>train ×200</B>" in label and "lr: 0.001–0.2" in label and "accuracy: 0.5–0.699" in label
               for label in labels)
    assert any("<B>model outputs ×200</B>" in label and "200 artifacts · model" in label for label in labels)
    run_group = next(n for n, node in groups.items() if node["shape"] == "box")
    assert laid.clusters["cluster_run/sweep-1"] >= {run_group, "run/sweep-1"}
    assert (run_group, FEAT, "used") in laid.edges
    assert len(laid.drawn()) < 30
    expanded = laid_out(diagram(store, expand=True))
    assert len({n for n in expanded.nodes if n.startswith("run/trial-")}) == 200
    assert "cluster_run/sweep-1" in expanded.clusters


def test_many_versions_of_one_dataset_collapse(store: Store) -> None:
    events = []
    for day in range(8):
        events += run_events(f"ingest-day-{day}", f"ingest day {day}", "ingestion", minute=day,
                             generated=[art("data/daily.csv", sha(f"day-{day}"), name="daily")])
    load(store, events)
    laid = laid_out(diagram(store))
    groups = [n for n in laid.nodes if n.startswith("group/")]
    assert len(groups) == 1 and "<B>daily ×8</B>" in laid.nodes[groups[0]]["label"]
    logical = next(n for n in laid.nodes if n.startswith("dataset/"))
    assert (groups[0], logical, "specializationOf") in laid.edges
    expanded = laid_out(diagram(store, expand=True))
    versions = {f"data/sha256-{sha(f'day-{d}')}" for d in range(8)}
    assert versions <= set(expanded.nodes)
    assert {(v, logical, "specializationOf") for v in versions} <= expanded.edges


def test_reduce_drops_implied_derivations_and_attributions(pipeline: Store) -> None:
    full = laid_out(diagram(pipeline)).edges
    reduced = laid_out(diagram(pipeline, reduce=True)).edges
    assert (EVAL, FEAT, "wasDerivedFrom") in full and (CLEAN, RAW, "wasDerivedFrom") in full
    # every derivation here is said already: the run that generated the artifact used its source
    derivations = {e for e in full if e[2] == "wasDerivedFrom"}
    assert derivations == {(CLEAN, RAW, "wasDerivedFrom"), (FEAT, CLEAN, "wasDerivedFrom"),
                           (MODEL, FEAT, "wasDerivedFrom"), (EVAL, MODEL, "wasDerivedFrom"),
                           (EVAL, FEAT, "wasDerivedFrom"), (ENDPOINT_NODE, MODEL, "wasDerivedFrom"),
                           (f"data/sha256-{OTHER_OUT}", f"data/sha256-{OTHER}", "wasDerivedFrom")}
    assert (MODEL, "agent/alice", "wasAttributedTo") not in reduced  # train-1 was associated with alice
    assert full - reduced == derivations | {
        (t, "agent/alice", "wasAttributedTo") for t in PIPE_DATA | OTHERS if t.startswith("data/")
        if t != f"data/sha256-{OTHER}"}
    assert {(t, h) for t, h, rel in reduced if rel in ("used", "wasGeneratedBy")} == {
        (t, h) for t, h, rel in full if rel in ("used", "wasGeneratedBy")}


def test_a_logical_dataset_name_focuses_on_its_versions(pipeline: Store) -> None:
    laid = laid_out(diagram(pipeline, focus="raw", direction="down", depth=1))
    assert "dataset/raw" in laid.nodes and (RAW, "dataset/raw", "specializationOf") in laid.edges
    assert laid.drawn() - AGENTS == {"dataset/raw", RAW, "run/clean-1", CLEAN}


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                               (".dot", b"digraph")], ids=["svg", "png", "pdf", "dot"])
def test_formats_by_suffix(pipeline: Store, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = render_to(pipeline, tmp_path / f"lineage{suffix}", focus="models/model.pkl")
    assert path.read_bytes().startswith(magic)


def test_missing_dot_is_an_actionable_error(pipeline: Store, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RenderError, match=r"Graphviz 'dot' program.*apt-get install graphviz"):
        render_to(pipeline, tmp_path / "x.svg")
    assert not (tmp_path / "x.svg").exists()
    assert render_to(pipeline, tmp_path / "x.dot").read_text().startswith("digraph")


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"direction": "sideways"}, RenderError, "direction must be one of"),
    ({"depth": -1}, RenderError, "depth must be 0 or more"),
    ({"focus": "train-1", "run": "train-1"}, RenderError, "not both"),
    ({"focus": "no-such-thing"}, QueryError, "no-such-thing"),
    ({"run": "data/raw.csv"}, RenderError, "is not a run"),
], ids=["direction", "depth", "focus-and-run", "unknown-ref", "run-is-not-a-run"])
def test_bad_options_are_clear_errors(pipeline: Store, options: dict[str, Any], error: type[Exception],
                                      message: str) -> None:
    with pytest.raises(error, match=message):
        diagram(pipeline, **options)


def test_diagram_object_renders_inline_in_jupyter(pipeline: Store, tmp_path: Path) -> None:
    shown = Diagram(pipeline, focus="models/model.pkl", direction="up")
    text = shown._repr_svg_()
    assert re.search(r"<svg[^>]*>", text) and "<title>run/train&#45;1</title>" in text
    assert "run/eval-1" not in shown.source
    assert shown.save(tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")


def test_empty_store_renders_just_the_legend() -> None:
    with open_store("memory:") as empty:
        assert laid_out(diagram(empty)).drawn() == set()


def test_query_results_draw_themselves_in_jupyter(pipeline: Store) -> None:
    from provgraph.query import impact, lineage

    drawn = impact(pipeline, "data/clean.csv")._repr_svg_()
    assert drawn is not None
    titles = set(re.findall(r"<title>([^<]*)</title>", drawn.replace("&#45;", "-")))
    assert {CLEAN, "run/feat-1", MODEL, ENDPOINT_NODE} <= titles and RAW not in titles
    assert RED.lower() in drawn.lower()
    up = lineage(pipeline, "models/model.pkl")._repr_svg_()
    assert up is not None and "run/ingest-1" in up.replace("&#45;", "-") and "run/eval-1" not in up


def test_the_whole_store_is_drawn(pipeline: Store) -> None:
    drawn = svg(pipeline).replace("&#45;", "-")  # a store is data; render draws it
    titles = set(re.findall(r"<title>([^<]*)</title>", drawn))
    assert titles >= PIPE_RUNS | PIPE_DATA | OTHERS | AGENTS


def test_an_agent_focus_shows_what_it_did(store: Store) -> None:
    events = [*pipeline_events(), *run_events("solo-1", "explore", "other", minute=9,
                                              agents=[{"id": "bob", "kind": "person", "name": "Bob"}],
                                              used=[art("data/raw.csv", R, name="raw")])]
    load(store, events)
    drawn = laid_out(diagram(store, focus="bob")).drawn()
    assert drawn == {"agent/bob", "run/solo-1", RAW, "agent/alice"}  # raw.csv is attributed to alice
    assert laid_out(diagram(store, focus="alice")).drawn() == PIPE_RUNS | PIPE_DATA | OTHERS | AGENTS


def test_many_runs_of_a_pipeline_fold_into_one_pipeline(store: Store) -> None:
    events = []
    for day in range(7):
        events += run_events(f"nightly-{day}", "nightly", "pipeline", minute=day)
        events += run_events(f"prep-{day}", "prep", "cleaning", parent=f"nightly-{day}", minute=day,
                             used=[art("data/raw.csv", R, name="raw")],
                             generated=[art(f"data/prep-{day}.csv", sha(f"prep-{day}"))])
        events += run_events(f"fit-{day}", "fit", "training", parent=f"nightly-{day}", minute=day,
                             used=[art(f"data/prep-{day}.csv", sha(f"prep-{day}"))],
                             generated=[art(f"models/fit-{day}.pkl", sha(f"fit-{day}"), "model")])
    load(store, events)
    laid = laid_out(diagram(store))
    assert laid.drawn() == {"group/1", "group/2", "group/3", "group/4", "group/5", RAW} | AGENTS
    labels = {n: laid.nodes[n]["label"] for n in laid.drawn() if n.startswith("group/")}
    assert "<B>nightly ×7</B>" in labels["group/1"]
    assert {"<B>prep ×7</B>", "<B>fit ×7</B>"} <= {re.search(r"<B>[^<]*</B>", v)[0] for v in labels.values()}  # type: ignore[index]
    pipeline_box = next(members for name, members in laid.clusters.items() if name != "cluster_legend")
    assert pipeline_box == {"group/1", "group/2", "group/3", "group/4", "group/5"}
    assert ("group/2", RAW, "used") in laid.edges or ("group/3", RAW, "used") in laid.edges
