"""The quickstart notebook runs top to bottom in a real kernel, so it never goes stale."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


def test_quickstart_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_quickstart_runs_and_draws_inline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's own temporary folder lands here
    monkeypatch.delenv("PROVGRAPH_PROJECT", raising=False)
    monkeypatch.delenv("PROVGRAPH_STORE", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "models: ['model.pkl']" in text and "deployments: ['churn-api']" in text
    assert "3 bundles" in text and "['lineage.prov.json', 'lineage.svg', 'report.html']" in text
    pictures = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(pictures) == 2
    impact_picture, lineage_picture = pictures
    assert "#d62728" in impact_picture.lower() and "churn&#45;api" in impact_picture
    assert "model.pkl" in lineage_picture and "churn&#45;api" not in lineage_picture
    workdirs = list(tmp_path.glob("provgraph-quickstart-*"))
    assert len(workdirs) == 1 and (workdirs[0] / ".provgraph" / "journal.jsonl").exists()
