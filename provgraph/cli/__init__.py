"""The ``provgraph`` command line: one module per group of commands, listed in ``COMMANDS``.

Each command module has ``register(subparsers)``, which adds its sub-commands and sets ``func`` on
each parser; ``func(args)`` returns the exit code. User mistakes surface as one line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import ProvgraphError
from ..redaction import redact
from ..version import __version__

#: Command modules under ``provgraph.cli``, imported lazily when the parser is built.
COMMANDS = ("core", "exporting", "syncing", "rendering", "querying", "serving", "importing", "validating")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provgraph", description="W3C PROV lineage for machine-learning pipelines."
    )
    parser.add_argument("--version", action="version", version=f"provgraph {__version__}")
    parser.add_argument("-C", "--project", default=".", help="project folder (default: search from here)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``provgraph`` console script."""
    # jsonschema compiles 38 IRI grammars when it is imported beside rfc3987-syntax (which the Neptune
    # client's jsonschema[format-nongpl] installs): 1-3 s, for format checks provgraph never asks for
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except ProvgraphError as exc:
        print(f"provgraph: error: {redact(str(exc))}", file=sys.stderr)
        return 1
    except RecursionError:  # an input nested deeper than a reader that is not ours can follow
        print("provgraph: error: the input is nested too deep to read", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("provgraph: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code
