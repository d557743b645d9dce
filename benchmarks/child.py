"""Entry point of one measuring subprocess: ``python -m benchmarks.child '<json spec>'``.

Imports ``benchmarks.<module>``, calls ``<func>(meter, **args)`` and prints the figures as one JSON
line (the last line of stdout).
"""

from __future__ import annotations

import importlib
import json
import sys

from .harness import Meter


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    meter = Meter(spec["area"], spec["tool"], spec["n"], spec["repeat"], spec.get("limit", 0))
    module = importlib.import_module(f"benchmarks.{spec['module']}")
    getattr(module, spec["func"])(meter, **spec["args"])
    sys.stdout.write("\n" + json.dumps([f.as_dict() for f in meter.figures]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
