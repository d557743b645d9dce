"""Rendering commands: ``render`` (a lineage diagram) and ``report`` (a reviewer's HTML page)."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import RenderError
from ..project import Project
from .output import file_name_for


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="draw the lineage graph (SVG, PNG, PDF, JPEG, DOT, ... any format dot writes)")
    p.add_argument("ref", nargs="?", metavar="REF",
                   help="focus on this run, artifact, dataset or agent (default: everything)")
    p.add_argument("-o", "--output", required=True,
                   help="file to write; its suffix picks the format (.svg, .png, .pdf, .jpg, .dot, ...)")
    p.add_argument("--format", metavar="FORMAT",
                   help="format when the suffix does not say (svg, png, pdf, jpg, dot, ... any format dot writes)")
    p.add_argument("--depth", type=int, help="how many edges from REF to follow (default: all; needs REF)")
    p.add_argument("--direction", choices=("up", "down", "both"), default="both",
                   help="up: where REF came from; down: what was derived from it (default: both)")
    p.add_argument("--highlight-impact", metavar="REF", help="outline everything derived from REF in red")
    p.add_argument("--run", help="draw one run, its nested runs and the data they used and generated")
    p.add_argument("--expand", action="store_true", help="show every run of large sweeps and every version")
    p.add_argument("--flat", action="store_true", help="no pipeline boxes and no collapsed groups")
    p.add_argument("--reduce", action="store_true", help="drop derivation and attribution edges that are implied")
    p.add_argument("--flow", action="store_true",
                   help="arrows in the direction data flowed (default: PROV's, from the later thing to the earlier)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("report", help="write a self-contained HTML report for a reviewer, verdict first")
    p.add_argument("ref", metavar="REF", help="the run, artifact or dataset the report is about")
    p.add_argument("-o", "--output", help="HTML file to write (default: report-<REF>.html)")
    p.add_argument("--depth", type=int, help="how far the diagram reaches from REF (default: all)")
    p.set_defaults(func=cmd_report)


def cmd_render(args: argparse.Namespace) -> int:
    from ..render import render_to  # graphviz and networkx: only when a diagram is drawn

    if args.depth is not None and args.ref is None:
        raise RenderError("--depth counts edges from REF: name a REF to focus on (provgraph render REF --depth N)")
    with Project.find(args.project) as project:
        path = render_to(project.synced_store(), args.output, args.format, focus=args.ref, depth=args.depth,
                         direction=args.direction, highlight_impact=args.highlight_impact, run=args.run,
                         collapse=not args.flat, expand=args.expand, reduce=args.reduce, flow=args.flow)
    print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..usecases.report import write_report

    output = args.output or file_name_for("report", args.ref, ".html")
    with Project.find(args.project) as project:
        verification = project.verify()
        path = write_report(project.synced_store(), args.ref, output, depth=args.depth, root=project.root,
                            journal=(verification.ok, verification.summary()))
    print(f"wrote {path}")
    return 0
