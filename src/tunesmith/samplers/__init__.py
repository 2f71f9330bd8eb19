"""Samplers propose the next parameters to try; they never write results."""

from __future__ import annotations

from tunesmith.samplers._auto import AutoSampler
from tunesmith.samplers._base import Sampler, trial_rng
from tunesmith.samplers._gp import GPSampler
from tunesmith.samplers._grid import GridSampler, ListSampler
from tunesmith.samplers._random import RandomSampler, sklearn_random_candidates
from tunesmith.samplers._sobol import SobolSampler
from tunesmith.samplers._tpe import TPESampler

__all__ = [
    "SAMPLERS",
    "AutoSampler",
    "GPSampler",
    "GridSampler",
    "ListSampler",
    "RandomSampler",
    "Sampler",
    "SobolSampler",
    "TPESampler",
    "make_sampler",
    "sklearn_random_candidates",
    "trial_rng",
]


#: Samplers by the names a study file or ``Study(sampler="...")`` may use.
SAMPLERS: dict[str, type[Sampler]] = {
    "auto": AutoSampler,
    "gp": GPSampler,
    "grid": GridSampler,
    "random": RandomSampler,
    "sobol": SobolSampler,
    "tpe": TPESampler,
}


def make_sampler(sampler: Sampler | str | None, *, seed: int | None = None) -> Sampler:
    """A Sampler from an instance, a registered name, or None (random search).

    >>> make_sampler("random", seed=1)
    RandomSampler(seed=1)
    """
    if sampler is None:
        return RandomSampler(seed=seed)
    if isinstance(sampler, Sampler):
        return sampler
    if isinstance(sampler, str):
        try:
            factory = SAMPLERS[sampler.lower()]
        except KeyError:
            names = ", ".join(repr(n) for n in sorted(SAMPLERS))
            raise ValueError(f"unknown sampler {sampler!r}; use one of {names}") from None
        if factory is GridSampler:
            return GridSampler()
        return factory(seed=seed)  # type: ignore[call-arg]  # every other sampler takes a seed
    raise TypeError(f"sampler must be a Sampler or a name, got {type(sampler).__name__}")
