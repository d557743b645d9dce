"""`provgraph demo` (what `make demo` runs), end to end in a fresh folder."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import prov.model


def test_demo_records_the_pipeline_and_answers_the_auditor(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "provgraph", "demo", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert sorted(p.name for p in (tmp_path / "data").glob("raw*.csv")) == ["raw_data.csv", "raw_data_branch_b.csv"]
    # both models were trained on features derived from the raw data; the better one is deployed
    assert summary["impact_models"] == ["logistic_regression.pkl", "random_forest.pkl"]
    assert summary["impact_deployments"] == ["credit-risk-endpoint.json"]
    best = max(summary["scores"], key=lambda n: (summary["scores"][n]["f1"], summary["scores"][n]["accuracy"]))
    assert summary["deployed"] == best
    manifest = json.loads((tmp_path / "deploy" / "credit-risk-endpoint.json").read_text())
    assert manifest["model"] == f"models/{best}.pkl"

    # the PROV-JSON export names the raw file's version by its real content hash
    raw_sha = hashlib.sha256((tmp_path / "data" / "raw_data.csv").read_bytes()).hexdigest()
    document = prov.model.ProvDocument.deserialize(tmp_path / "out" / "lineage.provjson", format="json")
    entities = {str(record.identifier) for bundle in (document, *document.bundles) for record in bundle.get_records()}
    assert any(raw_sha in identifier for identifier in entities)
    assert "raw_data.csv" in (tmp_path / "out" / "lineage.svg").read_text()

    check = subprocess.run([sys.executable, "-m", "provgraph", "audit", "--check", "out/audit-deployment.zip"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = subprocess.run([sys.executable, "-m", "provgraph", "verify"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert verify.stdout.startswith("journal OK: 20 entries")  # 10 runs, a start and an end each

    # every run records the demo's own pipeline code, not the program that started it
    demo_code = Path(__file__).resolve().parent.parent / "provgraph" / "demo.py"
    journal = (tmp_path / ".provgraph" / "journal.jsonl").read_text().splitlines()
    starts = [json.loads(line)["event"] for line in journal]
    scripts = {(e["code"]["script"]["path"], e["code"]["script"]["sha256"]) for e in starts if e["type"] == "run.start"}
    assert scripts == {(demo_code.as_posix(), hashlib.sha256(demo_code.read_bytes()).hexdigest())}
