"""Capture: record pipeline runs from Python with automatic hashes, environment and agents."""

from __future__ import annotations

from .run import Run, current_run, run, step

__all__ = ["Run", "current_run", "run", "step"]
