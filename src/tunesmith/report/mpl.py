"""The report's plots with matplotlib, for static images (PNG, PDF, SVG).

The same plots, from the same data, as :mod:`tunesmith.report`'s plotly figures; each
function returns a ``matplotlib.figure.Figure`` (made without pyplot: no window, no
global state), ready for ``fig.savefig("history.png")``. matplotlib is optional
(``pip install "tunesmith[plots]"``).

>>> from tunesmith.records import FrozenTrial, TrialState
>>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=v, params={"x": v})
...           for n, v in enumerate([3.0, 1.0, 2.0])]
>>> fig = history_figure(trials, "minimize")
>>> fig.axes[0].lines[0].get_ydata().tolist()
[3.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._contour import contour_data
from tunesmith.report._data import (
    columns,
    complete_trials,
    history,
    history_title,
    importance_bars,
    select_columns,
    slice_grid,
    values_of,
)
from tunesmith.report._folds import fold_spread
from tunesmith.report._optional import require

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "contour_figure",
    "fold_spread_figure",
    "history_figure",
    "importance_figure",
    "parallel_figure",
    "slice_figure",
]

#: Optional packages the examples here need (tests/core/test_doctests.py skips without).
__doctest_requires__ = ("matplotlib",)

_CMAP = "viridis"


def _figure(what: str, **kwargs: Any) -> Figure:
    figure = require("matplotlib.figure", what).Figure
    return figure(layout="constrained", **kwargs)  # type: ignore[no-any-return]


def _cmap(direction: Direction) -> str:
    # The best values bright in both directions, as in the plotly figures.
    return _CMAP + ("_r" if direction is Direction.MINIMIZE else "")


def history_figure(trials: Sequence[FrozenTrial], direction: Direction | str) -> Figure:
    """Each complete trial's value by trial number, and the best value so far."""
    fig = _figure("the history plot", figsize=(8, 4.5))
    direction = Direction.parse(direction)
    h = history(trials, direction)
    ax = fig.subplots()
    ax.step(h.numbers, h.best_so_far, where="post", color="C1", linewidth=2,
            label=f"best so far ({direction.value})")
    ax.scatter(h.numbers, h.values, s=14, alpha=0.6, color="C0", label="trial")
    ax.set(xlabel="trial", ylabel="value", title=history_title(trials))
    ax.legend(loc="best")
    return fig


def importance_figure(importances: Mapping[str | tuple[str, str], float]) -> Figure:
    """Horizontal bars: the fraction of variance each parameter (and pair) explains."""
    labels, shares = importance_bars(importances)
    fig = _figure("the importance plot", figsize=(8, max(2.5, 0.4 * len(labels) + 1)))
    ax = fig.subplots()
    bars = ax.barh(labels[::-1], shares[::-1], color="C0")
    ax.bar_label(bars, labels=[f"{s:.1%}" for s in shares[::-1]], padding=3)
    ax.set(xlabel="fraction of the variance explained", xlim=(0, max(1.0, *shares) * 1.1),
           title="Hyperparameter importance (functional ANOVA)")
    return fig


def parallel_figure(trials: Sequence[FrozenTrial], direction: Direction | str) -> Figure:
    """Parallel coordinates: one axis per parameter and one for the value, a line per
    complete trial coloured by its value."""
    fig = _figure("the parallel-coordinates plot", figsize=(10, 5))
    collections = require("matplotlib.collections", "the parallel-coordinates plot")
    colors = require("matplotlib.colors", "the parallel-coordinates plot")
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    values = values_of(done)
    axes: list[tuple[str, np.ndarray, list[float], list[str]]] = [
        (c.name, *c.plotted()) for c in columns(done)]
    axes.append(("value", values, [], []))
    ax = fig.subplots()
    scaled = []
    for k, (_, data, ticks, texts) in enumerate(axes):
        low, high = (min([*data, *ticks]), max([*data, *ticks])) if len(data) else (0, 1)
        span = (high - low) or 1.0
        scaled.append((data - low) / span)
        if not ticks:
            ticks = list(np.linspace(low, high, 5))
            texts = [f"{t:.3g}" for t in ticks]
        for t, text in zip(ticks, texts, strict=True):
            ax.text(k, (t - low) / span, f" {text}", fontsize=7, va="center")
        ax.axvline(k, color="0.3", linewidth=1)
    xs, ys = np.arange(len(axes)), np.array(scaled)  # ys: one row per axis
    lines = [np.column_stack([xs, ys[:, i]]) for i in range(len(values))]
    norm = colors.Normalize(*(values.min(), values.max()) if len(values) else (0, 1))
    lc = collections.LineCollection(lines, cmap=_cmap(direction), norm=norm, alpha=0.6)
    lc.set_array(values)
    ax.add_collection(lc)
    fig.colorbar(lc, ax=ax, label="value")
    ax.set(xlim=(-0.2, len(axes) - 0.5), ylim=(-0.05, 1.05), yticks=[],
           title="Parallel coordinates")
    ax.set_xticks(range(len(axes)), [name for name, *_ in axes])
    return fig


def slice_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                 params: Sequence[str] | None = None) -> Figure:
    """One panel per parameter: each complete trial's value against that parameter."""
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    cols = select_columns(columns(done), params)
    n_rows, n_cols = slice_grid(len(cols))
    fig = _figure("the slice plot", figsize=(3.2 * n_cols + 1, 3 * n_rows))
    grid = np.atleast_1d(fig.subplots(n_rows, n_cols, sharey=True, squeeze=False)).ravel()
    values = values_of(done)
    numbers = np.array([t.number for t in done])
    points = None
    for ax, col in zip(grid, cols, strict=False):
        active = col.active
        x = np.power(10.0, col.values[active]) if col.log else col.values[active]
        points = ax.scatter(x, values[active], c=numbers[active], cmap="Blues", s=14,
                            edgecolors="0.4", linewidths=0.3)
        if col.categorical:
            ax.set_xticks(range(len(col.labels)), col.labels, rotation=30, ha="right")
        elif col.log:
            ax.set_xscale("log")
        ax.set_title(col.name)
    for ax in grid[len(cols):]:
        ax.set_visible(False)
    grid[0].set_ylabel("value")
    if points is not None:
        fig.colorbar(points, ax=list(grid), label="trial")
    fig.suptitle(f"Slices ({direction.value})")
    return fig


def contour_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                   x: str | None = None, y: str | None = None) -> Figure:
    """The value over two parameters (default: the two most important), with the trials."""
    fig = _figure("the contour plot", figsize=(7, 5.5))
    direction = Direction.parse(direction)
    data = contour_data(trials, direction, x, y)
    ax = fig.subplots()
    z = np.ma.masked_invalid(data.z)
    if data.interpolated and z.count() >= 4:
        fill: Any = ax.contourf(data.grid_x, data.grid_y, z, levels=12, cmap=_cmap(direction))
    else:
        fill = ax.pcolormesh(_edges(data.grid_x), _edges(data.grid_y), z, cmap=_cmap(direction))
    fig.colorbar(fill, ax=ax, label="value")
    ax.scatter(data.points_x, data.points_y, s=14, c="white", edgecolors="black",
               linewidths=0.6)
    for axis, col in ((ax.xaxis, data.x), (ax.yaxis, data.y)):
        _, ticks, texts = col.plotted(inactive=False)
        if ticks:
            axis.set_ticks(ticks, texts)
    ax.set(xlabel=data.x.name, ylabel=data.y.name, title=data.title)
    return fig


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres (half-way between neighbours)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mids[0]], mids, [2 * centres[-1] - mids[-1]]])


def fold_spread_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                       default: FrozenTrial | Sequence[float] | None = None,
                       top: int = 10) -> Figure:
    """The fold scores of the ``top`` best candidates, and of the default model."""
    spread = fold_spread(trials, direction, default=default, top=top)
    fig = _figure("the fold-spread plot", figsize=(max(6, 0.7 * len(spread.boxes) + 2), 4.5))
    ax = fig.subplots()
    data = [scores[~np.isnan(scores)] for _, scores, _, _ in spread.boxes]
    ax.boxplot(data, tick_labels=[label for label, *_ in spread.boxes], showfliers=False)
    rng = np.random.default_rng(0)  # the points' jitter only
    for k, (scores, (_, _, _, is_default)) in enumerate(zip(data, spread.boxes, strict=True),
                                                          start=1):
        ax.scatter(k + rng.uniform(-0.12, 0.12, len(scores)), scores, s=12,
                   color="C3" if is_default else "C0", zorder=3)
    ax.set(xlabel="candidate", ylabel=f"{spread.metric} per fold",
           title=f"Fold scores of the top {spread.n_top} candidates"
           + (" and the default" if spread.has_default else ""))
    return fig
