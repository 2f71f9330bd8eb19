"""What the plots and the importance read from a list of trials, as plain numbers.

Both renderers (plotly for the HTML report, matplotlib for PNGs) and the importance
analysis draw on these, so a plot and a table of the same trials always agree.

A parameter becomes a :class:`Column`: numeric (on a log10 scale when its dimension is
logarithmic, or, without a stored dimension, when its values span two decades or more
and crowd at the low end, as a log grid does) or categorical (codes 0..k-1 in the
dimension's order of choices, else numbers sorted and other values in order of first
appearance). A trial where the parameter is inactive (a conditional parameter) has NaN.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.space import Categorical, Dimension, Float, Int
from tunesmith.stats import fold_scores as stats_fold_scores

__all__ = [
    "Column",
    "History",
    "check_trials",
    "columns",
    "complete_trials",
    "fold_metric",
    "fold_scores",
    "history",
    "history_title",
    "importance_bars",
    "ranked",
    "select_columns",
    "slice_grid",
    "state_counts",
    "values_of",
]

_LABEL_CHARS = 40


def complete_trials(trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
    """The complete trials with a finite value, by number (failed, pruned, skipped and
    running trials have no value to plot).

    >>> t = [FrozenTrial(number=1, state=TrialState.COMPLETE, value=2.0),
    ...      FrozenTrial(number=0, state=TrialState.FAILED)]
    >>> [x.number for x in complete_trials(t)]
    [1]
    """
    return sorted((t for t in check_trials(trials) if t.is_complete), key=lambda t: t.number)


def check_trials(trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
    """The trials as a list, or a TypeError naming what was given instead."""
    if isinstance(trials, (str, bytes, Mapping)):
        raise TypeError(f"trials must be a sequence of FrozenTrial, got {type(trials).__name__}")
    out = list(trials)
    for t in out:
        if not isinstance(t, FrozenTrial):
            raise TypeError(
                f"trials must be FrozenTrial records (study.trials), got {type(t).__name__}"
            )
    return out


def history_title(trials: Iterable[FrozenTrial]) -> str:
    """The history plot's title, counting the trials it leaves out.

    >>> history_title([FrozenTrial(number=0, state=TrialState.FAILED)])
    'Optimisation history (1 failed not shown)'
    """
    counts = state_counts(trials)
    others = [f"{counts[s]} {s}" for s in ("failed", "pruned", "skipped", "running")
              if counts[s]]
    return "Optimisation history" + (f" ({', '.join(others)} not shown)" if others else "")


def slice_grid(n_panels: int) -> tuple[int, int]:
    """Rows and columns of the slice plot's panels (at most four to a row)."""
    n_cols = min(n_panels, 4) or 1
    return max(1, math.ceil(n_panels / n_cols)), n_cols


def state_counts(trials: Iterable[FrozenTrial]) -> dict[str, int]:
    """How many trials are in each state, by the state's name."""
    counts = {s.value: 0 for s in TrialState}
    for t in check_trials(trials):
        counts[t.state.value] += 1
    return counts


def ranked(trials: Iterable[FrozenTrial], direction: Direction | str) -> list[FrozenTrial]:
    """Complete trials, best first; ties by trial number (as ``records.best_trial``).

    >>> t = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=v)
    ...      for n, v in enumerate([0.5, 0.9, 0.9])]
    >>> [x.number for x in ranked(t, "maximize")]
    [1, 2, 0]
    """
    sign = Direction.parse(direction).sign()
    return sorted(complete_trials(trials),
                  key=lambda t: (sign * _value(t), t.number))


def values_of(done: Sequence[FrozenTrial]) -> np.ndarray:
    """The values of complete trials (as :func:`complete_trials` returns them)."""
    return np.array([_value(t) for t in done], dtype=np.float64)


def _value(trial: FrozenTrial) -> float:
    return math.nan if trial.value is None else float(trial.value)


@dataclass(frozen=True)
class History:
    """Complete trials in number order: their values and the best value so far."""

    numbers: np.ndarray
    values: np.ndarray
    best_so_far: np.ndarray


def history(trials: Iterable[FrozenTrial], direction: Direction | str) -> History:
    """Values by trial number and the running best (minimum or maximum).

    >>> t = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=v)
    ...      for n, v in enumerate([3.0, 1.0, 2.0])]
    >>> history(t, "minimize").best_so_far.tolist()
    [3.0, 1.0, 1.0]
    """
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    numbers_ = np.array([t.number for t in done], dtype=int)
    values = values_of(done)
    running = np.minimum.accumulate if direction is Direction.MINIMIZE else np.maximum.accumulate
    best = running(values) if len(values) else values
    return History(numbers_, values, best)


@dataclass(frozen=True)
class Column:
    """One parameter across trials, encoded as numbers for plotting and modelling.

    ``values`` holds, per trial, the number on the plot's axis: the value (its log10
    when ``log``), or the category's code for a categorical; NaN where inactive.
    ``bounds`` is the axis range in the same units (categories: code +- 0.5), which
    the importance analysis takes as the space to integrate over.
    """

    name: str
    categorical: bool
    log: bool
    values: np.ndarray
    labels: tuple[str, ...]
    bounds: tuple[float, float]

    @property
    def active(self) -> np.ndarray:
        """Which trials have this parameter."""
        return np.asarray(~np.isnan(self.values))

    @property
    def is_constant(self) -> bool:
        """True when every active trial has the same value (nothing to learn from it)."""
        active = self.values[self.active]
        return len(active) == 0 or bool(np.all(active == active[0]))

    def plotted(self, *, inactive: bool = True) -> tuple[np.ndarray, list[float], list[str]]:
        """Values for an axis, and its ticks (none: let the plotting library pick them).

        Categorical axes are labelled by choice, log axes by decade. With ``inactive``,
        trials without the parameter are placed just below the range (a categorical one
        at code -1) and labelled ``(inactive)``; otherwise they stay NaN.
        """
        values = self.values.copy()
        low, high = self.bounds
        ticks: list[float] = []
        if self.categorical:
            ticks = [float(k) for k in range(len(self.labels))]
        elif self.log:
            ticks = [float(k) for k in range(math.ceil(low), math.floor(high) + 1)]
        if inactive and not self.active.all():
            if not ticks:  # the inactive tick must not be the axis's only one
                ticks = [float(t) for t in np.linspace(low, high, 5)]
            gap = low - 0.5 if self.categorical else low - 0.1 * ((high - low) or 1.0)
            values[~self.active] = gap
            return values, [gap, *ticks], ["(inactive)", *(self.label(t) for t in ticks)]
        return values, ticks, [self.label(t) for t in ticks]

    def label(self, encoded: float) -> str:
        """The value an encoded number stands for, as text."""
        if self.categorical:
            return self.labels[round(encoded)]
        return _number_text(10.0 ** encoded if self.log else encoded)


def columns(trials: Sequence[FrozenTrial]) -> list[Column]:
    """One :class:`Column` per parameter of ``trials``, in order of first appearance.

    >>> t = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=0.0,
    ...                  params={"C": c, "kernel": k})
    ...      for n, (c, k) in enumerate([(0.01, "rbf"), (1.0, "linear"), (100.0, "rbf")])]
    >>> [(c.name, c.categorical, c.log) for c in columns(t)]
    [('C', False, True), ('kernel', True, False)]
    >>> columns(t)[0].values.tolist(), columns(t)[1].labels
    ([-2.0, 0.0, 2.0], ('rbf', 'linear'))
    """
    trials = check_trials(trials)
    names: dict[str, None] = {}
    dims: dict[str, Dimension] = {}
    for t in trials:
        for name in t.params:
            names.setdefault(name)
            if name in t.dimensions and name not in dims:
                dims[name] = t.dimensions[name]
    return [_column(name, [t.params.get(name, _MISSING) for t in trials], dims.get(name))
            for name in names]


class _Missing:
    def __repr__(self) -> str:
        return "<inactive>"


_MISSING: Any = _Missing()


def _column(name: str, raw: list[Any], dim: Dimension | None) -> Column:
    present = [v for v in raw if v is not _MISSING]
    if isinstance(dim, Categorical):
        return _categorical(name, raw, list(dim.values()))
    numeric = bool(present) and all(_is_real(v) for v in present)
    if isinstance(dim, (Float, Int)) and numeric:
        log = bool(dim.log)
        low, high = float(dim.low), float(dim.high)
        if log:
            low, high = math.log10(low), math.log10(high)
        elif isinstance(dim, Int):
            low, high = low - 0.5 * dim.step, high + 0.5 * dim.step
        return _numeric(name, raw, log, (low, high))
    if numeric:
        return _numeric(name, raw, _looks_logarithmic([float(v) for v in present]), None)
    return _categorical(name, raw, present)


def _numeric(name: str, raw: list[Any], log: bool, bounds: tuple[float, float] | None
             ) -> Column:
    values = np.array([math.nan if v is _MISSING else float(v) for v in raw], dtype=float)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(values)
    active = values[~np.isnan(values)]
    if bounds is None:
        bounds = (float(active.min()), float(active.max())) if len(active) else (0.0, 1.0)
    if len(active):  # a stored value outside its dimension (a widened space) still shows
        bounds = (min(bounds[0], float(active.min())), max(bounds[1], float(active.max())))
    return Column(name, False, log, values, (), bounds)


def _categorical(name: str, raw: list[Any], order: list[Any]) -> Column:
    choices: dict[tuple[str, str], int] = {}
    labels: list[str] = []
    present = [v for v in order if v is not _MISSING]
    if present and all(_is_real(v) for v in present):
        present = sorted(present, key=float)
    for value in present + [v for v in raw if v is not _MISSING]:
        key = _key(value)
        if key not in choices:
            choices[key] = len(choices)
            labels.append(_label(value))
    values = np.array([math.nan if v is _MISSING else choices[_key(v)] for v in raw],
                      dtype=float)
    return Column(name, True, False, values, tuple(labels), (-0.5, len(labels) - 0.5))


def _key(value: Any) -> tuple[str, str]:
    # The kind and the text: True, 1 and 1.0 stay three choices, as in a grid.
    kind = "real" if _is_real(value) and not isinstance(value, numbers.Integral) else type(
        value).__name__
    return kind, repr(float(value)) if kind == "real" else repr(value)


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else (
        _number_text(float(value)) if _is_real(value) else repr(value))
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


def _number_text(x: float) -> str:
    return f"{x:.4g}"


def _is_real(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(float(value)))


def _looks_logarithmic(values: list[float]) -> bool:
    """Positive values spanning two decades or more that crowd at the low end."""
    distinct = sorted(set(values))
    low, high = distinct[0], distinct[-1]
    if low <= 0 or high / low < 100:
        return False
    return float(np.median(distinct)) <= low + (high - low) / 10


def importance_bars(importances: Mapping[Any, float]) -> tuple[list[str], list[float]]:
    """Labels (pairs as ``a x b``) and shares of an importance dict, largest first."""
    if not isinstance(importances, Mapping) or not importances:
        raise ValueError(
            "importances must be a non-empty dict, as parameter_importance returns, got "
            f"{importances!r}")
    labels, shares = [], []
    for key, share in importances.items():
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(
                share):
            raise ValueError(f"importance of {key!r} must be a finite number, got {share!r}")
        labels.append(" x ".join(key) if isinstance(key, tuple) else str(key))
        shares.append(float(share))
    order = np.argsort(shares, kind="stable")[::-1]
    return [labels[i] for i in order], [shares[i] for i in order]


def select_columns(cols: list[Column], params: Sequence[str] | None) -> list[Column]:
    """The columns named in ``params`` (all when None), in that order."""
    if params is None:
        return cols
    if isinstance(params, str):
        params = [params]
    by_name = {c.name: c for c in cols}
    unknown = [p for p in params if p not in by_name]
    if unknown or not params:
        known = ", ".join(repr(n) for n in by_name) or "none"
        raise ValueError(f"unknown parameter(s) {unknown!r} in params; the complete trials' "
                         f"parameters: {known}")
    return [by_name[p] for p in params]


def fold_metric(trials: Sequence[FrozenTrial]) -> str | None:
    """The metric the trials' values average over their folds (``"score"`` for a single
    scorer, and for the fold scores a native cross-validation objective keeps in
    ``attrs["test_scores"]``); None when no trial has fold scores.

    >>> from tunesmith.records import FoldRecord
    >>> folds = (FoldRecord(0, {"acc": 0.5, "f1": 0.2}), FoldRecord(1, {"acc": 0.7, "f1": 0.4}))
    >>> fold_metric([FrozenTrial(0, TrialState.COMPLETE, value=0.3, folds=folds)])
    'f1'
    """
    for t in trials:
        metrics = list(t.folds[0].test_scores) if t.folds else []
        if "score" in metrics or (not t.folds and fold_scores(t, "score").size):
            return "score"
        for metric in metrics:
            scores = fold_scores(t, metric)
            if t.value is not None and scores.size and math.isclose(
                    float(np.mean(scores)), t.value, rel_tol=1e-9, abs_tol=1e-12):
                return metric
        if metrics:
            return metrics[0]
    return None


def fold_scores(trial: FrozenTrial, metric: str) -> np.ndarray:
    """The trial's test score on each fold for ``metric`` (NaN for a failed fold; empty
    when it has none), as :func:`tunesmith.stats.fold_scores` reads them."""
    scores = stats_fold_scores(trial, metric)
    return np.array([], dtype=float) if scores is None else np.asarray(scores, dtype=float)
