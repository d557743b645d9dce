"""The quickstart notebook is committed with its outputs, and runs top to bottom in a real kernel, so it never
goes stale."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


def test_quickstart_is_stored_with_its_outputs() -> None:
    """A reader on GitHub sees the answers and the diagrams without running anything; the stored outputs
    are those of a real run (refresh them by executing the notebook with nbclient and saving it)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.get("outputs") for cell in code)
    outputs = [o for cell in code for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "models: ['model.pkl']" in text and "['lineage.prov.json', 'lineage.svg', 'report.html']" in text
    assert len([o for o in outputs if "image/svg+xml" in o.get("data", {})]) == 2
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))  # top to bottom, once


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
