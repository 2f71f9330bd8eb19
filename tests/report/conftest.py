"""Trials built by hand, whose importance and plots are known in advance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from tunesmith.records import FoldRecord, FrozenTrial, TrialState


def complete(number: int, value: float, params: dict[str, Any],
             folds: Sequence[float] = (), **kwargs: Any) -> FrozenTrial:
    """A complete trial (with per-fold scores when ``folds`` is given)."""
    records = tuple(FoldRecord(fold=k, test_scores={"score": s}) for k, s in enumerate(folds))
    return FrozenTrial(number=number, state=TrialState.COMPLETE, value=value, params=params,
                       folds=records, **kwargs)


def uniform_trials(f: Callable[..., float], names: str = "xy", n: int = 400,
                   seed: int = 0, low: float = -1.0, high: float = 1.0) -> list[FrozenTrial]:
    """``n`` complete trials at uniform random points of ``[low, high]^d``, value ``f``."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(low, high, size=(n, len(names)))
    return [complete(k, float(f(*p)), {name: float(v) for name, v in zip(names, p,
                                                                           strict=True)})
            for k, p in enumerate(points)]


@pytest.fixture(scope="session")
def make_complete() -> Callable[..., FrozenTrial]:
    """:func:`complete`, for tests (conftest is not importable by module name)."""
    return complete


@pytest.fixture(scope="session")
def make_uniform() -> Callable[..., list[FrozenTrial]]:
    """:func:`uniform_trials`, for tests."""
    return uniform_trials


@pytest.fixture
def mixed_trials() -> list[FrozenTrial]:
    """A log-scaled C, a categorical kernel, gamma only with rbf; failed, pruned and
    skipped trials between them; five fold scores each."""
    rng = np.random.default_rng(3)
    trials = []
    for n in range(40):
        if n % 10 == 3:
            trials.append(FrozenTrial(number=n, state=TrialState.FAILED, params={"C": 1.0},
                                      message="boom"))
            continue
        if n % 10 == 7:
            trials.append(FrozenTrial(number=n, state=TrialState.PRUNED, value=-5.0,
                                      params={"C": 1.0, "kernel": "rbf", "gamma": 0.5}))
            continue
        if n == 38:
            trials.append(FrozenTrial(number=n, state=TrialState.SKIPPED,
                                      params={"C": 1.0, "kernel": "poly"}))
            continue
        kernel = ("rbf", "linear", "poly")[n % 3]
        c = float(10 ** rng.uniform(-3, 3))
        params: dict[str, Any] = {"C": c, "kernel": kernel}
        if kernel == "rbf":
            params["gamma"] = float(rng.uniform(0, 1))
        value = -abs(np.log10(c)) + (kernel == "rbf")
        folds = value + rng.normal(0, 0.1, 5)
        trials.append(complete(n, float(folds.mean()), params, folds=folds.tolist()))
    return trials
