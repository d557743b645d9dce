"""provgraph benchmarks: `python -m benchmarks`."""
