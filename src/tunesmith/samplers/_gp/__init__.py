"""Gaussian-process Bayesian optimisation: the sampler, its model and its acquisition."""

from __future__ import annotations

from tunesmith.samplers._gp.sampler import GPSampler

__all__ = ["GPSampler"]
