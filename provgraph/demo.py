"""The demo pipeline: a realistic credit-risk model recorded with the capture API, end to end.

Two raw CSV sources are ingested, cleaned, given a ratio feature (debt to income), split, used to train
a random forest and a logistic regression, both evaluated (accuracy, F1), and the better one deployed.
Then the demo asks which models used the raw data, exports PROV-JSON, renders the lineage diagram and
writes the audit bundle of the deployment's lineage.
All files are real and hashed; the data are generated from a fixed seed, so every run writes the same bytes.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from .capture import run
from .errors import ProvgraphError
from .project import Project

RAW_SOURCES = {"raw_data.csv": 0, "raw_data_branch_b.csv": 1}
#: The pipeline's code: every run records this file (not the program that started it, such as bin/provgraph).
SCRIPT = Path(__file__)
ROWS_PER_SOURCE = 600


def _require_ml() -> tuple[Any, Any]:
    try:
        import numpy
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on installed extras
        raise ProvgraphError(f"the demo needs scikit-learn and pandas: pip install 'provgraph[demo]' ({exc})") from exc
    return numpy, pandas


def write_raw_sources(data: Path) -> list[Path]:
    """Write the two raw loan-application sources (deterministic), with a few dirty rows each."""
    numpy, pandas = _require_ml()
    data.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, source in RAW_SOURCES.items():
        rng = numpy.random.default_rng(1000 + source)
        n = ROWS_PER_SOURCE
        income = rng.normal(52_000 + 6_000 * source, 15_000, n).clip(8_000, None).round(0)
        debt = (income * rng.beta(2, 5, n) * 1.4).round(0)
        age = rng.integers(19, 75, n)
        accounts = rng.poisson(3, n)
        risk = 4.0 * debt / income - 0.02 * (age - 40) + 0.15 * accounts + rng.normal(0, 0.45, n)
        frame = pandas.DataFrame({
            "applicant_id": [f"{source}-{i:05d}" for i in range(n)],
            "income": income, "debt": debt, "age": age, "open_accounts": accounts,
            "defaulted": (risk > 1.55).astype(int),
        })
        frame.loc[rng.choice(n, 12, replace=False), "income"] = numpy.nan  # missing values to clean
        frame = pandas.concat([frame, frame.iloc[:8]])  # duplicated rows to clean
        path = data / name
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def record_pipeline(root: Path) -> dict[str, Any]:
    """Run and record the whole pipeline under ``root``; returns the run ids and metrics."""
    _, pandas = _require_ml()
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    project = Project.init(root)
    data, models, reports, deploy = (root / d for d in ("data", "models", "reports", "deploy"))
    for folder in (models, reports, deploy):
        folder.mkdir(parents=True, exist_ok=True)
    raw = write_raw_sources(data)
    features = ["income", "debt", "age", "open_accounts", "debt_to_income"]
    runs: dict[str, Any] = {}

    with run("credit-risk-pipeline", kind="pipeline", project=project, script=SCRIPT, labels=["demo"]) as pipeline:
        runs["pipeline"] = pipeline.id
        with run("ingest", kind="ingestion", project=project, script=SCRIPT) as r:
            for path in raw:
                r.use(path, role="raw source", labels=["pii"])
            combined = pandas.concat([pandas.read_csv(p) for p in raw], ignore_index=True)
            combined.to_csv(data / "ingested.csv", index=False)
            r.generate(data / "ingested.csv", labels=["pii"])
            r.metric("rows", len(combined))
            runs["ingest"] = r.id

        with run("clean", kind="cleaning", project=project, script=SCRIPT) as r:
            r.use(data / "ingested.csv", role="input")
            frame = pandas.read_csv(data / "ingested.csv")
            cleaned = frame.drop_duplicates().dropna()
            r.param("drop_duplicates", True)
            r.param("dropna", True)
            cleaned.to_csv(data / "clean.csv", index=False)
            r.generate(data / "clean.csv")
            r.metric("rows_removed", len(frame) - len(cleaned))

        with run("features", kind="feature_engineering", project=project, script=SCRIPT) as r:
            r.use(data / "clean.csv", role="input")
            frame = pandas.read_csv(data / "clean.csv")
            frame["debt_to_income"] = (frame["debt"] / frame["income"]).round(6)
            frame.drop(columns=["applicant_id"]).to_csv(data / "features.csv", index=False)
            r.param("ratio_feature", "debt_to_income = debt / income")
            r.generate(data / "features.csv", kind="features")

        with run("split", kind="splitting", project=project, script=SCRIPT) as r:
            r.use(data / "features.csv", kind="features", role="input")
            frame = pandas.read_csv(data / "features.csv")
            seed = r.seed(42)
            r.log_params(test_size=0.25, stratify="defaulted")
            train, test = train_test_split(frame, test_size=0.25, random_state=seed, stratify=frame["defaulted"])
            train.to_csv(data / "train.csv", index=False)
            test.to_csv(data / "test.csv", index=False)
            r.generate(data / "train.csv", kind="split", role="train")
            r.generate(data / "test.csv", kind="split", role="test")

        train = pandas.read_csv(data / "train.csv")
        test = pandas.read_csv(data / "test.csv")
        candidates: dict[str, tuple[Any, dict[str, Any]]] = {
            "random_forest": (RandomForestClassifier, {"n_estimators": 100, "max_depth": 6, "random_state": 42}),
            "logistic_regression": (LogisticRegression, {"C": 1.0, "max_iter": 1000}),
        }
        scores: dict[str, dict[str, float]] = {}
        for name, (estimator, params) in candidates.items():
            model_path = models / f"{name}.pkl"
            with run(f"train-{name}", kind="training", project=project, script=SCRIPT, params=params) as r:
                r.use(data / "train.csv", kind="split", role="training data")
                model = estimator(**params).fit(train[features], train["defaulted"])
                model_path.write_bytes(pickle.dumps(model))
                r.generate(model_path, kind="model")
                accuracy = float(accuracy_score(train["defaulted"], model.predict(train[features])))
                history = _accuracy_by_size(model, train[features], train["defaulted"])
                for step, value in history:
                    r.metric("train_accuracy", value, step=step)
                r.metric("train_accuracy", accuracy, step=len(model.estimators_) if history else None)
                runs[f"train-{name}"] = r.id
            with run(f"evaluate-{name}", kind="evaluation", project=project, script=SCRIPT) as r:
                r.use(model_path, kind="model", role="model")
                r.use(data / "test.csv", kind="split", role="test data")
                predicted = model.predict(test[features])
                scores[name] = {
                    "accuracy": round(float(accuracy_score(test["defaulted"], predicted)), 4),
                    "f1": round(float(f1_score(test["defaulted"], predicted)), 4),
                }
                for metric, value in scores[name].items():
                    r.metric(metric, value)
                report = reports / f"evaluation_{name}.json"
                report.write_text(json.dumps({"model": model_path.name, **scores[name]}, indent=2) + "\n")
                r.generate(report, kind="evaluation")
                runs[f"evaluate-{name}"] = r.id

        best = max(scores, key=lambda n: (scores[n]["f1"], scores[n]["accuracy"]))
        with run("deploy", kind="deployment", project=project, script=SCRIPT, labels=["approved"]) as r:
            r.use(models / f"{best}.pkl", kind="model", role="model")
            r.use(reports / f"evaluation_{best}.json", kind="evaluation", role="evidence")
            manifest = deploy / "credit-risk-endpoint.json"
            manifest.write_text(json.dumps({"endpoint": "https://models.internal/credit-risk/v1",
                                            "model": f"models/{best}.pkl", **scores[best]}, indent=2) + "\n")
            r.param("endpoint", "https://models.internal/credit-risk/v1")
            r.generate(manifest, kind="deployment", derived_from=[models / f"{best}.pkl"])
            runs["deploy"] = r.id
    project.close()
    return {"runs": runs, "scores": scores, "deployed": best, "raw": [p.relative_to(root).as_posix() for p in raw]}


def _accuracy_by_size(model: Any, features: Any, labels: Any) -> list[tuple[int, float]]:
    """A forest's training accuracy when only its first 1, 5, 10, 25, 50 trees vote: a metric history."""
    trees = getattr(model, "estimators_", None)
    if not trees:
        return []
    votes = [tree.predict(features.to_numpy()) for tree in trees]
    points = []
    for size in (n for n in (1, 5, 10, 25, 50) if n < len(trees)):
        predicted = (sum(votes[:size]) / size >= 0.5).astype(int)
        points.append((size, round(float((predicted == labels.to_numpy()).mean()), 4)))
    return points


def run_demo(root: Path, quiet: bool = False) -> dict[str, Any]:
    """Record the pipeline in ``root``, then answer the impact question, export and render."""
    root = root.resolve()
    say = (lambda *_: None) if quiet else print
    say(f"Recording the credit-risk pipeline in {root} ...")
    summary = record_pipeline(root)
    for name, scores in summary["scores"].items():
        say(f"  {name:<20} accuracy {scores['accuracy']:.3f}  F1 {scores['f1']:.3f}")
    say(f"  deployed: {summary['deployed']}")
    summary.update(_report(root, summary, say))
    return summary


def _report(root: Path, summary: dict[str, Any], say: Any) -> dict[str, Any]:
    """Impact of the raw data, PROV-JSON export and diagram: the auditor's view of the demo."""
    from .export import export
    from .query import impact
    from .render import render_to
    from .usecases.audit import build_audit

    out = root / "out"
    out.mkdir(exist_ok=True)
    raw = summary["raw"][0]
    with Project(root) as project:
        store = project.synced_store()
        answer = impact(store, raw)
        models = sorted({row["label"] for row in answer.models})
        deployments = sorted({row["label"] for row in answer.deployments})
        say(f"\nWhich models used {raw}? (impact analysis, transitively)")
        for model in models:
            say(f"  - {model}")
        say(f"Affected deployments: {', '.join(deployments) or 'none'}")
        prov_json = out / "lineage.provjson"
        prov_json.write_bytes(export(store, "prov-json"))
        diagram = render_to(store, out / "lineage.svg", focus=raw)
        deployment = "deploy/credit-risk-endpoint.json"
        bundle = out / "audit-deployment.zip"
        build_audit(project, deployment, bundle, direction="lineage")
        say(f"\nPROV-JSON export: {prov_json.relative_to(root)}\nDiagram: {Path(diagram).relative_to(root)}")
        say(f"Audit bundle of {deployment}'s lineage: {bundle.relative_to(root)} "
            f"(check it with: provgraph audit --check {bundle.relative_to(root)})")
        say(f"Store: {len(store)} quads in {len(store.graphs())} named graphs (a bundle per run and the shared "
            f"descriptions); journal: {project.verify().summary()}")
    outputs = [prov_json, Path(diagram), bundle]
    return {"impact_models": models, "impact_deployments": deployments,
            "exports": [str(p.relative_to(root)) for p in outputs]}
