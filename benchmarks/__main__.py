"""``python -m benchmarks``: provgraph side by side with the tools users would otherwise use.

Prepares the seeded workload for each size, runs every area's tools in their own subprocesses,
prints tables of figures and ratios, the targets with PASS/MISS and the scaling, and writes a JSON
result file to ``benchmarks/results/``. ``--quick`` runs N=1,000 only; ``--large`` adds N=100,000.
``--areas scale`` (not run by default) times every CLI command on each size's project.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from . import autolog, capture, export, imports, ingest, query, render, scale, sweep
from .harness import Figure, run_child
from .report import machine, print_report, write_markdown
from .workspace import prepare

HERE = Path(__file__).parent
AREAS: dict[str, ModuleType] = {m.AREA: m for m in (ingest, query, export, render, capture, imports,
                                                            autolog, sweep, scale)}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=1,000 only (the CI smoke run)")
    parser.add_argument("--large", action="store_true", help="add N=100,000")
    parser.add_argument("--sizes", help="comma-separated run counts (overrides --quick/--large)")
    default = [name for name, module in AREAS.items() if getattr(module, "DEFAULT", True)]
    parser.add_argument("--areas", default=",".join(default),
                        help=f"comma-separated subset of {','.join(AREAS)} (default: all but "
                             f"{','.join(sorted(set(AREAS) - set(default)))})")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per figure (median; default 3)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--task-limit", type=float, help="seconds before a baseline repetition is stopped")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON result goes")
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown (e.g. benchmarks/RESULTS.md)")
    parser.add_argument("--keep", action="store_true", help="keep the prepared workloads for the next run")
    parser.add_argument("--update", type=Path, metavar="JSON",
                        help="carry over the figures of areas not measured now from an earlier result file")
    args = parser.parse_args(argv)
    if args.sizes:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    else:
        args.sizes = [1000] if args.quick else [1000, 10_000] + ([100_000] if args.large else [])
    args.areas = [a for a in args.areas.split(",") if a]
    unknown = set(args.areas) - set(AREAS)
    if unknown:
        parser.error(f"unknown area(s) {', '.join(sorted(unknown))}; choose from {', '.join(AREAS)}")
    if args.task_limit is None:
        args.task_limit = 3.0 if args.quick else 60.0
    return args


def run_area(module: ModuleType, n: int, workspace: str, args: argparse.Namespace) -> list[Figure]:
    figures = []
    for tool, (func, tasks) in module.TOOLS.items():
        if n > getattr(module, "MAX_N", {}).get(tool, n):
            figures += [Figure(module.AREA, task, tool, n, note="not run at this size (see RESULTS.md)")
                        for task in tasks]
            continue
        started = time.perf_counter()
        timeout = 600 + len(tasks) * args.repeat * args.task_limit * 1.5
        found = run_child(module.__name__.rsplit(".", 1)[-1], func, module.AREA, tool, n, args.repeat,
                          {"workspace": workspace}, timeout, tasks, args.task_limit)
        figures += found
        print(f"  {module.AREA:<8} {tool:<24} N={n:<7} {time.perf_counter() - started:6.1f} s", file=sys.stderr)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    work = args.out / "work"
    figures: list[Figure] = []
    started = time.perf_counter()
    for n in args.sizes:
        sized = [AREAS[a] for a in args.areas if getattr(AREAS[a], "PER_SIZE", True)]
        if not sized:
            continue
        begun = time.perf_counter()
        space = prepare(n, args.seed, work)
        print(f"prepared N={n} in {time.perf_counter() - begun:.1f} s ({space.path})", file=sys.stderr)
        for module in sized:
            figures += run_area(module, n, str(space.path), args)
    for name in args.areas:
        if not getattr(AREAS[name], "PER_SIZE", True):
            # an area of its own size (N, fewer runs in quick mode QUICK_N) or of none (0)
            size = getattr(AREAS[name], "QUICK_N" if args.quick else "N", 0)
            figures += run_area(AREAS[name], size, str(work), args)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    carried: list[str] = []
    if args.update:
        earlier = json.loads(args.update.read_text())
        kept = [f for f in earlier["figures"] if f["area"] not in args.areas]
        figures = [Figure(**{k: v for k, v in f.items() if k != "median"}) for f in kept] + figures
        carried = sorted({f["area"] for f in kept})
        args.areas = list(dict.fromkeys([*carried, *args.areas]))
        args.sizes = sorted({*args.sizes, *earlier["options"]["sizes"]})
    stamp = datetime.now(UTC)
    result = {
        "date": stamp.isoformat(timespec="seconds"),
        "options": {"sizes": args.sizes, "areas": args.areas, "repeat": args.repeat, "seed": args.seed,
                    "task_limit": args.task_limit},
        "carried_over": {"from": str(args.update), "date": earlier["date"], "areas": carried} if carried else None,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": [f.as_dict() for f in figures],
    }
    result["targets"] = print_report(figures, args.sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {path} (total {result['seconds']} s)")
    if args.markdown:
        write_markdown(args.markdown, result, figures)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
