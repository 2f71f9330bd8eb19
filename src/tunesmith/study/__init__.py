"""The study: one search, its sampler and its stored trials (ask / tell / optimize)."""

from __future__ import annotations

from tunesmith.study._load import load_study
from tunesmith.study._study import Study
from tunesmith.study._worker import run_worker

__all__ = ["Study", "load_study", "run_worker"]
