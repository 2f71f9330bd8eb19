"""Pruners stop trials whose intermediate values say they will not win.

A pruner reads only finished and running trials' reported values (see ``_base`` for
the call order); it never writes. ``Study(pruner=...)`` takes one, or a name from
:data:`PRUNERS`.
"""

from __future__ import annotations

import inspect
from typing import Any

from tunesmith.pruners._base import NopPruner, Pruner
from tunesmith.pruners._halving import SuccessiveHalvingPruner
from tunesmith.pruners._hyperband import HyperbandPruner
from tunesmith.pruners._median import MedianPruner
from tunesmith.pruners._patient import PatientPruner

__all__ = [
    "PRUNERS",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "Pruner",
    "SuccessiveHalvingPruner",
    "make_pruner",
]

#: Pruners by the names a study file or ``Study(pruner="...")`` may use.
PRUNERS: dict[str, type[Pruner]] = {
    "none": NopPruner,
    "median": MedianPruner,
    "asha": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
}


def make_pruner(pruner: Pruner | str | None, *, seed: int | None = None,
                **settings: Any) -> Pruner:
    """A Pruner from an instance, a registered name with its settings, or None (never
    prune). ``seed`` reaches the pruners that draw (Hyperband's brackets).

    >>> make_pruner("asha", min_resource=2)
    SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=0)
    >>> make_pruner("medain")
    Traceback (most recent call last):
    ValueError: unknown pruner 'medain'; use one of 'asha', 'hyperband', 'median', 'none'
    """
    if pruner is None or isinstance(pruner, Pruner):
        if settings:
            raise ValueError(f"pruner settings {sorted(settings)} need a pruner given by "
                             f"name, e.g. make_pruner('median', **settings)")
        return NopPruner() if pruner is None else pruner
    if not isinstance(pruner, str):
        raise TypeError(f"pruner must be a Pruner, a name or None, got {type(pruner).__name__}")
    factory = PRUNERS.get(pruner.lower())
    if factory is None:
        names = ", ".join(repr(n) for n in sorted(PRUNERS))
        raise ValueError(f"unknown pruner {pruner!r}; use one of {names}")
    if factory is HyperbandPruner and seed is not None:
        settings = {"seed": seed, **settings}
    accepted = list(inspect.signature(factory).parameters)
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown} for pruner {pruner!r}; it takes "
                         f"{', '.join(accepted) or 'none'}")
    return factory(**settings)
