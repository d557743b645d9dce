"""Tables of figures and ratios, the targets with PASS/MISS, scaling, the machine; as text or Markdown."""

from __future__ import annotations

import itertools
import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .harness import Figure

REFERENCE = "provgraph"
RATES = {"ingest": ("triples", "runs"), "export": ("MB",), "capture": ("MB",)}
ANALYSIS_MARK = "<!-- analysis: kept when the tables above are rewritten -->"


@dataclass(frozen=True)
class Target:
    """A ratio target (provgraph at least ``minimum`` times as fast as ``tool``) or, with ``seconds``,
    an absolute one (provgraph's median under ``seconds``)."""

    name: str
    area: str
    tasks: tuple[str, ...]
    tool: str = ""
    minimum: float = 0.0
    seconds: float = 0.0
    n: int | None = None
    memory_fraction: float = 0.0


TRAVERSALS = ("impact-large", "impact-small", "lineage-large", "lineage-small")
TARGETS = (
    Target("ingest >= 0.6x raw pyoxigraph bulk load", "ingest", ("ingest",), "pyoxigraph bulk_extend", 0.6),
    Target("ingest >= 4x rdflib add", "ingest", ("ingest",), "rdflib Dataset.add", 4),
    Target("impact/lineage within 5x of networkx", "query", TRAVERSALS, "networkx", 0.2),
    Target("runs --param >= 10x MLflow search_runs", "query", ("runs-param",), "mlflow search_runs", 10),
    Target("impact/lineage >= 10x rdflib SPARQL", "query", TRAVERSALS, "rdflib SPARQL", 10),
    Target("join >= 1000x rdflib SPARQL at 10k runs", "query", ("join",), "rdflib SPARQL", 1000, n=10_000),
    Target("PROV-JSON export faster than prov, <= 1/3 of its peak memory (10k runs)", "export",
           ("store-prov-json",), "prov package", 1.0, n=10_000, memory_fraction=1 / 3),
    Target("Turtle/TriG export >= 0.5x pyoxigraph's own dump (10k runs)", "export",
           ("store-turtle", "store-trig"), "pyoxigraph dump", 0.5, n=10_000),
    Target("focused diagram (depth 3) on a 100k-run store < 2 s", "render", ("focused-depth3",),
           seconds=2.0, n=100_000),
    Target("capture overhead < 5 ms per run", "capture", ("run-3-in-2-out",), seconds=0.005),
    Target("cached re-hash of an unchanged 1 GB file < 10 ms", "capture", ("rehash-1gb-cached",), seconds=0.010),
    Target("import 1,000 MLflow runs < 5 s", "import", ("mlflow-import",), seconds=5.0),
    Target("runs --param >= 10x MLflow search_runs (200 imported MLflow runs)", "import", ("runs-param",),
           "mlflow search_runs", 10),
    Target("OpenLineage endpoint >= 300 single events/s", "import", ("openlineage-post",), seconds=1 / 300),
    Target("OpenLineage endpoint >= 300 single events/s from 8 senders at once", "import",
           ("openlineage-post-together",), seconds=1 / 300),
    Target("OpenLineage endpoint >= 300 single events/s streamed by the client's AsyncHttpTransport", "import",
           ("openlineage-stream",), seconds=1 / 300),
    Target("catch-up after a sweep >= 0.6x pyoxigraph bulk load (fresh processes)", "sweep", ("catch-up",),
           "pyoxigraph bulk_load", 0.6),
    Target("provgraph --version starts in <= 0.4 s", "sweep", ("--version",), seconds=0.4),
)


def machine() -> dict[str, Any]:
    """nproc, CPU model, memory, Python and the versions of everything measured."""
    cpu = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kb = int(handle.readline().split()[1])
    versions = {}
    for package in ("provgraph", "pyoxigraph", "rdflib", "prov", "networkx", "jsonschema", "graphviz"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    try:
        dot = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False).stderr.strip()
    except OSError:
        dot = "not installed"
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "memory_gb": round(total_kb / 2**20, 1),
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions,
            "dot": dot}


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _ratio(ours: Figure | None, other: Figure) -> tuple[float | None, bool]:
    """How many times faster provgraph is than ``other``; ``True`` when it is only a lower bound."""
    if ours is None or ours.median is None or other.lower_bound is None or ours.median <= 0:
        return None, False
    return other.lower_bound / ours.median, other.median is None


def _ratio_text(value: float | None, bound: bool) -> str:
    if value is None:
        return "-"
    shown = f"{value:,.0f}x" if value >= 100 else (f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x")
    return (">= " if bound else "") + shown


def _index(figures: list[Figure]) -> dict[tuple[str, str, str, int], Figure]:
    return {(f.area, f.task, f.tool, f.n): f for f in figures}


def figure_tables(figures: list[Figure]) -> list[tuple[str, list[str], list[list[str]]]]:
    """One table per area and size: task, tool, median, rates, peak memory, answer, provgraph's speed-up."""
    index = _index(figures)
    tables = []
    areas = list(dict.fromkeys(f.area for f in figures))
    keys = sorted({(f.area, f.n) for f in figures}, key=lambda k: (areas.index(k[0]), k[1]))
    for area, n in keys:
        units = RATES.get(area, ())
        header = ["task", "tool", "median", *[f"{u}/s" for u in units], "peak MB", "answer", "provgraph vs tool",
                  "note"]
        rows = []
        for f in (f for f in figures if f.area == area and f.n == n):
            ours = index.get((area, f.task, REFERENCE, n))
            ratio, bound = _ratio(ours, f)
            median = _seconds(f.median) if f.median is not None else (
                f"> {_seconds(f.timed_out)}" if f.timed_out else "-")
            rows.append([f.task, f.tool, median, *[_number(f.rate(u)) for u in units],
                         _number(f.peak_mb), _number(f.work.get("answer")),
                         "" if f.tool == REFERENCE else _ratio_text(ratio, bound), f.note])
        title = f"{area}" + (f", N = {n:,} runs" if n else "")
        tables.append((title, header, rows))
    return tables


def evaluate(figures: list[Figure], sizes: list[int]) -> list[dict[str, Any]]:
    """Every target: the size it was checked at, the worst figure, PASS or MISS (or n/a)."""
    index = _index(figures)
    results = []
    for target in TARGETS:
        measured = sorted({f.n for f in figures if f.area == target.area})
        if not measured:
            continue
        n = target.n if target.n in measured else max(measured)
        note = f"checked at N={n:,}; the target is for N={target.n:,}" if target.n and n != target.n else ""
        verdicts, worst = [], None
        for task in target.tasks:
            ours = index.get((target.area, task, REFERENCE, n))
            if target.seconds:
                value = ours.median if ours else None
                ok = value is not None and value < target.seconds
                shown = _seconds(value)
                key = -(value or 0)
            else:
                other = index.get((target.area, task, target.tool, n))
                ratio, bound = _ratio(ours, other) if other else (None, False)
                ok = ratio is not None and ratio >= target.minimum and (target.minimum != 1.0 or ratio > 1.0)
                if ok and target.memory_fraction and ours and other:
                    ok = (ours.peak_mb or 0) <= (other.peak_mb or 0) * target.memory_fraction
                    memory = f"memory {_number(ours.peak_mb)} vs {_number(other.peak_mb)} MB"
                    shown = f"{_ratio_text(ratio, bound)}, {memory}"
                else:
                    shown = _ratio_text(ratio, bound)
                if ratio is None or (bound and not ok):
                    ok = None  # undetermined: a figure is missing or only a lower bound below the target
                key = ratio if ratio is not None else float("inf")
            verdicts.append(ok)
            if worst is None or key < worst[0]:
                worst = (key, f"{task}: {shown}")
        status = "n/a" if any(v is None for v in verdicts) else ("PASS" if all(verdicts) else "MISS")
        results.append({"target": target.name, "n": n, "status": status,
                        "worst": worst[1] if worst else "", "note": note})
    return results


def scaling_table(figures: list[Figure], sizes: list[int]) -> tuple[list[str], list[list[str]]]:
    """How each median grows from one size to the next (the growth of N is the first row)."""
    index = _index(figures)
    sized = [n for n in sorted(set(sizes)) if any(f.n == n for f in figures)]
    header = ["area", "task", "tool", *[f"N={n:,}" for n in sized],
              *[f"x{b // a} N: time x" for a, b in itertools.pairwise(sized)]]
    rows = []
    for key in dict.fromkeys((f.area, f.task, f.tool) for f in figures if f.n):
        medians = [index[(*key, n)].median if (*key, n) in index else None for n in sized]
        growth = [f"{b / a:.1f}" if a and b else "-" for a, b in itertools.pairwise(medians)]
        rows.append([*key, *[_seconds(m) for m in medians], *growth])
    return header, rows


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=False))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _target_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    return [[r["status"], r["target"], f"{r['n']:,}" if r["n"] else "-", r["worst"], r["note"]] for r in results]


TARGET_HEADER = ["status", "target", "N", "worst figure", "note"]


def print_report(figures: list[Figure], sizes: list[int]) -> list[dict[str, Any]]:
    """Print every table; return the target verdicts."""
    for title, header, rows in figure_tables(figures):
        print(f"\n== {title}\n{_text_table(header, rows)}")
    header, rows = scaling_table(figures, sizes)
    if len(header) > 5:
        print(f"\n== scaling (median time per size, and its growth)\n{_text_table(header, rows)}")
    results = evaluate(figures, sizes)
    print(f"\n== targets\n{_text_table(TARGET_HEADER, _target_rows(results))}")
    return results


def write_markdown(path: Path, result: dict[str, Any], figures: list[Figure]) -> None:
    """Write the tables as Markdown, keeping any analysis below :data:`ANALYSIS_MARK` in ``path``."""
    kept = ""
    if path.exists() and ANALYSIS_MARK in path.read_text():
        kept = path.read_text().split(ANALYSIS_MARK, 1)[1]
    info = result["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    options = result["options"]
    parts = [
        "# Benchmark results",
        "",
        f"Latest run: {result['date']} (`python -m benchmarks "
        f"--sizes {','.join(str(s) for s in options['sizes'])} --repeat {options['repeat']}`), "
        f"{result['seconds']} s in all.",
        "",
        *([f"The {', '.join(result['carried_over']['areas'])} figures are carried over from the run of "
           f"{result['carried_over']['date']} (`--update`).", ""] if result.get("carried_over") else []),
        f"Machine: {info['nproc']} cores ({info['cpu']}), {info['memory_gb']} GB memory, {info['platform']}, "
        f"Python {info['python']}; {versions}; {info['dot']}.",
        "",
        "Figures are medians of the repetitions; `provgraph vs tool` is the tool's time divided by "
        "provgraph's (above 1: provgraph is faster). Peak MB is the growth of the resident set during the "
        "operation (export: including the setup, see below). `>=` marks a lower bound: the tool was stopped "
        f"after {options['task_limit']:.0f} s.",
        "",
        "## Targets",
        "",
        _markdown_table(TARGET_HEADER, _target_rows(result["targets"])),
    ]
    for title, header, rows in figure_tables(figures):
        parts += ["", f"## {title}", "", _markdown_table(header, rows)]
    header, rows = scaling_table(figures, options["sizes"])
    if len(header) > 5:
        parts += ["", "## Scaling", "", _markdown_table(header, rows)]
    parts += ["", ANALYSIS_MARK + (kept if kept else "\n")]
    path.write_text("\n".join(parts))
