"""Tree-structured Parzen Estimator: the sampler, its Parzen estimator and the split."""

from __future__ import annotations

from tunesmith.samplers._tpe.sampler import TPESampler

__all__ = ["TPESampler"]
