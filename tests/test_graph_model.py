"""The graph model: one description per node, identity that never merges versions or projects,
imported PROV that the shipped questions see, portable projects, and stores of an older layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from servers import OxigraphServer

from provgraph import events as ev
from provgraph.errors import StoreError
from provgraph.mapping import Mapper, event_to_quads
from provgraph.project import Project
from provgraph.query import impact, lineage, runs, sparql, who
from provgraph.query.runinfo import run_statements
from provgraph.store import open_store
from provgraph.vocab import PROV, agent_iri, slug

PRIMER = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "prov" / "openprov-testcases" / "test-primer"
RAW_1, RAW_2, RAW_3 = "1" * 64, "2" * 64, "3" * 64


def _run(run_id: str, step: str, kind: str, minute: int, namespace: str, **fields: Any) -> list[ev.Event]:
    """A start and an end event of one run, ``minute`` minutes into the day."""
    run = {"id": run_id, "step": step, "kind": kind}
    return [ev.new_event("run.start", time=f"2026-01-01T10:{minute:02d}:00Z", run=run, namespace=namespace),
            ev.new_event("run.end", time=f"2026-01-01T10:{minute:02d}:30Z", namespace=namespace,
                         run={"id": run_id, "status": "completed"}, **fields)]


def _repro(tag: str, raw: str, minute: int, namespace: str) -> list[ev.Event]:
    """prep (raw -> the directory data/features, no digest) then train (data/features -> a model)."""
    features = {"location": "data/features", "kind": "features", "directory": True}
    return [*_run(f"prep-{tag}", "prep", "feature_engineering", minute, namespace,
                  used=[{"location": "data/raw.csv", "sha256": raw, "kind": "dataset"}], generated=[features]),
            *_run(f"train-{tag}", "train", "training", minute + 1, namespace, used=[features],
                  generated=[{"location": f"models/model-{tag}.pkl", "sha256": raw[:1] * 63 + "f", "kind": "model"}])]


def _ids(answer: Any, kind: str) -> set[str]:
    return {row["label"] for row in answer.rows if row.get("type") == kind}


@pytest.fixture
def two_projects_one_store(tmp_path: Path) -> Project:
    """Two repros of project A (the raw data changed in between) and one of project B, in one store."""
    project = Project.init(tmp_path, store_uri="memory:")
    project.record_many([*_repro("a1", RAW_1, 0, "team-a"), *_repro("a2", RAW_2, 10, "team-a"),
                         *_repro("b1", RAW_3, 20, "team-b")])
    return project


def test_versions_of_a_hashless_directory_and_two_projects_stay_apart(two_projects_one_store: Project) -> None:
    store = two_projects_one_store.synced_store()
    models = {tag: f"model-{tag}.pkl" for tag in ("a1", "a2", "b1")}
    for raw, tag in ((RAW_1, "a1"), (RAW_2, "a2"), (RAW_3, "b1")):
        reached = _ids(impact(store, raw), "artifact") | {r["label"] for r in impact(store, raw).rows}
        assert models[tag] in reached
        assert not {m for t, m in models.items() if t != tag} & reached, (tag, reached)
    # lineage of the second model reaches its own raw data and run only
    upstream = lineage(store, "models/model-a2.pkl")
    labels = {r["label"] for r in upstream.rows}
    assert {"prep", "train"} <= labels
    hashes = {r.get("sha256") for r in upstream.rows}
    assert RAW_2 in hashes and RAW_1 not in hashes and RAW_3 not in hashes
    # three versions of data/features (one per generating run), in two logical datasets
    rows = store.query("""PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX provml: <https://w3id.org/provgraph/provml#>
        SELECT DISTINCT ?v ?l WHERE { ?v provml:location "data/features" ; prov:specializationOf ?l }""")
    assert len({r["v"] for r in rows}) == 3 and len({r["l"] for r in rows}) == 2


def test_a_use_without_digest_is_the_latest_version_known_then(two_projects_one_store: Project) -> None:
    store = two_projects_one_store.synced_store()
    [row] = [r for r in who(store, "train-a2").rows if r["action"] == "ran"]
    used = store.query("""PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?v WHERE { <https://w3id.org/provgraph/id/run/train-a2> prov:used ?v .
                          <https://w3id.org/provgraph/id/run/prep-a2> ^prov:wasGeneratedBy ?v }""")
    assert row["run"] == "train-a2" and len(used) == 1  # train-a2 used what prep-a2 made, not prep-a1's


def test_a_long_lived_writer_learns_versions_another_process_stored(tmp_path: Path,
                                                                    oxigraph_server: OxigraphServer) -> None:
    """A writer remembers the versions it met (a server does not ask the store for every use of a popular
    input), but not past another writer moving the store on: then it asks the store again."""
    open_store(oxigraph_server.store_uri).clear()
    Project.init(tmp_path, store_uri=oxigraph_server.store_uri).close()
    features = {"location": "data/features", "kind": "features"}
    server, other = Project(tmp_path), Project(tmp_path)
    server.synced_store(), other.synced_store()  # both open: each maps what it records at once
    server.record_many(_run("use-1", "train", "training", 0, "p", used=[features]))
    server.record_many(_run("use-2", "train", "training", 1, "p", used=[features]))
    other.record_many(_run("make", "prep", "feature_engineering", 2, "p",
                           generated=[{**features, "sha256": RAW_1}]))
    server.record_many(_run("use-3", "train", "training", 3, "p", used=[features]))
    query = """PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?v WHERE {{ <https://w3id.org/provgraph/id/run/{}> prov:used ?v }}"""
    store = server.synced_store()
    [first], [second], [third] = (store.query(query.format(run)) for run in ("use-1", "use-2", "use-3"))
    assert "unverified" in first["v"].value and second["v"] == first["v"]  # one unknown version, remembered
    assert third["v"].value.endswith(f"sha256-{RAW_1}")  # what the other process stored since
    server.close()
    other.close()


def test_descriptions_are_written_once(tmp_path: Path) -> None:
    project = Project.init(tmp_path, store_uri="memory:")
    environment = {"python": "3.11.7", "packages": {f"pkg{i}": "1.0" for i in range(120)}}
    for index in range(20):
        project.record_many(_run(f"r{index}", "train", "training", index, "p", environment=environment,
                                 params={"n_estimators": 100}, agents=[{"id": "ana", "kind": "person"}]))
    store = project.synced_store()
    counts = store.query("""SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g""")
    sizes = {r["g"].value.rsplit("/", 1)[-1]: int(r["n"].value) for r in counts}
    assert sizes.pop("shared") > 120 * 5  # the 120 packages are described once ...
    assert max(sizes.values()) < 40  # ... and a run's bundle holds only what the run asserts
    rows = runs(store, params={"n_estimators": 100})
    assert len(rows.rows) == 20


def test_what_a_run_states_at_its_start_is_not_written_again_at_its_end() -> None:
    ana = {"id": "ana", "kind": "person", "role": "trainer"}
    plan = {"location": "pipeline.yaml", "sha256": RAW_2, "kind": "code", "role": "plan"}
    start, end = _run("r1", "train", "training", 0, "p", generated=[{"location": "m.pkl", "sha256": RAW_1}],
                      agents=[ana], used=[plan])
    start["agents"] = [ana]
    end["run"].update(kind="training", step="train")  # an end that restates the run, as OpenLineage's COMPLETE does
    mapper = Mapper()
    first = mapper.map(start)
    mapper.commit()
    second = mapper.map(end)
    everything = set(event_to_quads(start)) | set(event_to_quads(end))
    assert set(first) | set(second) == everything  # the same graph as each event mapped alone ...
    assert len(second) == len(set(event_to_quads(end)) - set(first))  # ... without repeating the start's statements
    assert {(q.predicate.value, q.object.value) for q in second} >= {(PROV.endedAtTime.value, "2026-01-01T10:00:30Z")}


def test_a_delegation_is_stated_once_and_each_run_export_carries_it(tmp_path: Path) -> None:
    project = Project.init(tmp_path, store_uri="memory:")
    agents = [{"id": "ana", "kind": "person", "on_behalf_of": "acme"}, {"id": "acme", "kind": "organization"}]
    for index in range(3):
        project.record_many(_run(f"r{index}", "train", "training", index, "p", agents=agents))
    store = project.synced_store()
    stated = sparql(store, "SELECT ?g WHERE { GRAPH ?g { ?a prov:actedOnBehalfOf ?b } }")
    assert [r["g"].value.rsplit("/", 1)[-1] for r in stated] == ["shared"]
    ana, acme = agent_iri("ana"), agent_iri("acme")
    for index in range(3):  # each run's bundle, exported alone, still says on whose behalf ana acted
        quads = run_statements(store, f"r{index}")
        assert (ana, PROV.actedOnBehalfOf, acme) in {(q.subject, q.predicate, q.object) for q in quads}
    assert {r["on_behalf_of"] for r in who(store, "r1").rows if r["agent"] == "ana"} == {"acme"}


def test_each_invalidation_is_one_who_row(tmp_path: Path) -> None:
    project = Project.init(tmp_path, store_uri="memory:")
    project.record_many(_repro("a1", RAW_1, 0, "p"))
    for minute in range(3):
        project.record(ev.new_event("artifact.invalidate", time=f"2026-01-02T00:0{minute}:00Z",
                                    invalidation={"target": RAW_1, "reason": f"reason {minute}"}))
    actions = [r["action"] for r in who(project.synced_store(), RAW_1).rows]
    assert actions.count("invalidated") == 3


def test_imported_primer_answers_who(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``wasGeneratedBy(ex:chart2,ex:compile2,2012-04-01T15:21:00.000+01:00)`` is qualified in PROV-O
    (it has a time); who still sees it."""
    monkeypatch.chdir(tmp_path)
    assert _cli(tmp_path, "init").returncode == 0
    assert _cli(tmp_path, "import", str(PRIMER / "primer.provn")).returncode == 0
    answer = json.loads(_cli(tmp_path, "who", "http://example/chart2", "--format", "json").stdout)
    generated = [row for row in answer if row["action"] == "generated"]
    assert [row["run"] for row in generated] == ["http://example/compile2"]
    assert generated[0]["time"].startswith("2012-04-01T15:21:00")


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provgraph", "-C", str(folder), *args], capture_output=True,
                          text=True, timeout=120)


def test_a_copied_project_keeps_its_own_store(tmp_path: Path) -> None:
    original = Project.init(tmp_path / "a")
    original.record_many(_run("first", "prep", "cleaning", 0, "p"))
    original.synced_store()
    original.close()
    assert json.loads((tmp_path / "a" / ".provgraph" / "config.json").read_text())["store"] == "oxigraph:store"
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    copy = Project(tmp_path / "b")
    assert copy.pending() == 0  # the copy's store knows how far it is: no replay of the journal
    copy.record_many(_run("second", "train", "training", 1, "p"))
    assert {r["run"] for r in runs(copy.synced_store()).rows} == {"first", "second"}
    copy.close()
    again = Project(tmp_path / "a")
    assert {r["run"] for r in runs(again.synced_store()).rows} == {"first"}
    assert again.verify().ok
    again.close()


def test_a_watermark_named_by_the_stores_absolute_path_is_kept(tmp_path: Path) -> None:
    project = Project.init(tmp_path)
    project.record_many(_run("first", "prep", "cleaning", 0, "p"))
    project.synced_store()
    project.close()
    [mark] = (tmp_path / ".provgraph" / "sync").glob("*.json")
    absolute = f"oxigraph:{tmp_path.resolve() / '.provgraph' / 'store'}"  # how stores were named before
    mark.rename(mark.with_name(f"{slug(absolute)}.json"))
    again = Project(tmp_path)
    assert again.pending() == 0 and [p.name for p in (tmp_path / ".provgraph" / "sync").glob("*.json")] == [mark.name]
    again.close()


def test_a_store_built_from_another_journal_is_refused(tmp_path: Path) -> None:
    first = Project.init(tmp_path / "a")
    first.record_many(_run("one", "prep", "cleaning", 0, "p"))
    assert len(first.synced_store())  # the store caught up, and now names its journal
    first.close()
    other = Project.init(tmp_path / "b", store_uri=f"oxigraph:{tmp_path / 'a' / '.provgraph' / 'store'}")
    other.journal.append_many(_run("two", "prep", "cleaning", 5, "p"))
    with pytest.raises(StoreError, match="built from another journal"):
        other.sync()
    other.close()
    done = _cli(tmp_path / "b", "runs")
    assert done.returncode == 1 and "another journal" in done.stderr and "Traceback" not in done.stderr


def test_a_store_of_the_old_layout_is_refused_until_rebuilt(tmp_path: Path) -> None:
    project = Project.init(tmp_path)
    project.record_many(_run("one", "prep", "cleaning", 0, "p"))
    assert len(project.synced_store())
    project.close()
    (tmp_path / ".provgraph" / "store.meta.json").unlink()  # what a store of provgraph 0.1 looks like
    refused = _cli(tmp_path, "runs")
    assert refused.returncode == 1 and "older provgraph layout" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert _cli(tmp_path, "rebuild").returncode == 0
    listed = _cli(tmp_path, "runs", "--format", "json")
    assert [r["run"] for r in json.loads(listed.stdout)] == ["one"]


@pytest.mark.parametrize("remote", ["https://github.com/org/repo.git", "git@github.com:org/repo.git",
                                    "https://bob:s3cret@github.com/org/repo"])
def test_a_project_namespace_names_its_repository_not_its_credentials(tmp_path: Path, remote: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
    assert Project.init(tmp_path).namespace == "github.com_org_repo"


def test_a_config_without_namespace_gets_one_that_lasts(tmp_path: Path) -> None:
    config = Project.init(tmp_path).dir / "config.json"
    config.write_text(json.dumps({"store": "oxigraph:store"}))  # written before namespaces existed
    first = Project(tmp_path).namespace
    assert first.startswith("project-") and Project(tmp_path).namespace == first
    assert json.loads(config.read_text()) == {"store": "oxigraph:store", "namespace": first}


STARTER = """
import sys, time
from provgraph.project import Project
while time.time() < float(sys.argv[2]):  # every process starts at the same moment
    pass
print(Project.find(sys.argv[1], create=True).namespace)
"""


@pytest.mark.parametrize("before", ["none", "no namespace"])
def test_processes_starting_one_project_at_once_agree_on_its_config(tmp_path: Path, before: str) -> None:
    if before == "no namespace":
        (tmp_path / ".provgraph").mkdir()
        (tmp_path / ".provgraph" / "config.json").write_text(json.dumps({"store": "oxigraph:store"}))
    processes, start = 8, time.time() + 3
    children = [subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path), str(start)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0] * processes, [err for _, err in outputs]
    chosen = {out.strip() for out, _ in outputs}
    config = json.loads((tmp_path / ".provgraph" / "config.json").read_text())
    assert len(chosen) == 1 and config["namespace"] in chosen and config["namespace"].startswith("project-")
    assert sorted(p.name for p in (tmp_path / ".provgraph").iterdir() if p.suffix == ".tmp") == []
