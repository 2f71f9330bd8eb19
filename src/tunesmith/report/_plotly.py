"""The plots as plotly figures: interactive, for notebooks, the HTML report and dashboards.

Each function takes a sequence of :class:`~tunesmith.records.FrozenTrial` (all of a
study's trials, or a downsample of them) and returns a ``plotly.graph_objects.Figure``.
Only complete trials with a finite value are drawn; the history's title counts the
others. plotly is optional (``pip install "tunesmith[plots]"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._contour import contour_data
from tunesmith.report._data import (
    Column,
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
    import plotly.graph_objects as go

__all__ = [
    "contour_figure",
    "fold_spread_figure",
    "history_figure",
    "importance_figure",
    "parallel_figure",
    "slice_figure",
]

#: Optional packages the examples here need (tests/core/test_doctests.py skips without).
__doctest_requires__ = ("plotly",)

_TEMPLATE = "plotly_white"
_COLORSCALE = "Viridis"


def _go(what: str) -> Any:
    return require("plotly.graph_objects", what)


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    fig.update_layout(title=title, template=_TEMPLATE, margin={"l": 60, "r": 30, "t": 60,
                                                                "b": 50}, **kwargs)
    return fig


def history_figure(trials: Sequence[FrozenTrial], direction: Direction | str) -> go.Figure:
    """Each complete trial's value by trial number, and the best value so far.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=v)
    ...           for n, v in enumerate([0.7, 0.9, 0.8])]
    >>> fig = history_figure(trials, "maximize")
    >>> fig.data[1].y.tolist()
    [0.7, 0.9, 0.9]
    """
    go = _go("the history plot")
    direction = Direction.parse(direction)
    h = history(trials, direction)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=h.numbers, y=h.values, mode="markers", name="trial",
                             marker={"size": 6, "opacity": 0.6}))
    fig.add_trace(go.Scatter(x=h.numbers, y=h.best_so_far, mode="lines",
                             line={"shape": "hv", "width": 2},
                             name=f"best so far ({direction.value})"))
    return _layout(fig, history_title(trials), xaxis_title="trial", yaxis_title="value")


def importance_figure(importances: Mapping[str | tuple[str, str], float]) -> go.Figure:
    """Horizontal bars: the fraction of variance each parameter (and pair) explains.

    Takes :func:`~tunesmith.report.parameter_importance`'s result; pairs are labelled
    ``a x b``.

    >>> importance_figure({"C": 0.7, "gamma": 0.2, ("C", "gamma"): 0.1}).data[0].y
    ('C x gamma', 'gamma', 'C')
    """
    go = _go("the importance plot")
    labels, shares = importance_bars(importances)
    fig = go.Figure(go.Bar(x=shares[::-1], y=labels[::-1], orientation="h",
                           text=[f"{s:.1%}" for s in shares[::-1]], textposition="auto"))
    return _layout(fig, "Hyperparameter importance (functional ANOVA)",
                   xaxis_title="fraction of the variance explained",
                   xaxis={"tickformat": ".0%"}, height=max(300, 60 + 28 * len(labels)))


def parallel_figure(trials: Sequence[FrozenTrial], direction: Direction | str) -> go.Figure:
    """Parallel coordinates: one axis per parameter and one for the value, a line per
    complete trial coloured by its value (categorical axes by choice, log axes by
    decade, inactive parameters below their axis).

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(n),
    ...                       params={"C": c, "kernel": k})
    ...           for n, (c, k) in enumerate([(0.1, "rbf"), (10.0, "linear"), (1.0, "rbf")])]
    >>> [d.label for d in parallel_figure(trials, "minimize").data[0].dimensions]
    ['C', 'kernel', 'value']
    """
    go = _go("the parallel-coordinates plot")
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    values = values_of(done)
    dims = []
    for col in columns(done):
        axis, ticks, texts = col.plotted()
        dim: dict[str, Any] = {"label": col.name, "values": axis}
        if ticks:
            dim.update(tickvals=ticks, ticktext=texts)
        dims.append(dim)
    dims.append({"label": "value", "values": values})
    line = {"color": values, "colorscale": _COLORSCALE, "showscale": True,
            "reversescale": direction is Direction.MINIMIZE,
            "colorbar": {"x": 1.06, "title": {"text": "value"}}}
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    _layout(fig, "Parallel coordinates")
    # Room above the axes for their names, and beside the last one for its ticks.
    fig.update_layout(margin={"l": 80, "r": 90, "t": 110, "b": 40})
    return fig


def slice_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                 params: Sequence[str] | None = None) -> go.Figure:
    """One panel per parameter: each complete trial's value against that parameter
    (trials where it is inactive are left out), coloured by trial number.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=x * x,
    ...                       params={"x": x}) for n, x in enumerate([-1.0, 0.5, 2.0])]
    >>> slice_figure(trials, "minimize").data[0].y.tolist()
    [1.0, 0.25, 4.0]
    """
    go = _go("the slice plot")
    make_subplots = require("plotly.subplots", "the slice plot").make_subplots
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    cols = select_columns(columns(done), params)
    values = values_of(done)
    numbers = np.array([t.number for t in done])
    n_rows, n_cols = slice_grid(len(cols))
    fig = make_subplots(rows=n_rows, cols=n_cols, shared_yaxes=True,
                        subplot_titles=[c.name for c in cols], horizontal_spacing=0.04)
    for k, col in enumerate(cols):
        row, column = k // n_cols + 1, k % n_cols + 1
        active = col.active
        fig.add_trace(go.Scatter(
            x=_axis_values(col)[active], y=values[active], mode="markers", name=col.name,
            showlegend=False, text=[f"trial {n}" for n in numbers[active]],
            marker={"color": numbers[active], "colorscale": "Blues", "size": 6,
                    "showscale": k == 0, "colorbar": {"title": {"text": "trial"}}},
        ), row=row, col=column)
        if col.categorical:
            fig.update_xaxes(type="category", categoryorder="array",
                             categoryarray=list(col.labels), row=row, col=column)
        elif col.log:
            fig.update_xaxes(type="log", row=row, col=column)
    fig.update_yaxes(title_text="value", col=1)
    return _layout(fig, f"Slices ({direction.value})", height=320 * n_rows)


def _axis_values(col: Column) -> np.ndarray:
    """The values as an axis shows them: raw numbers, or category labels."""
    if col.categorical:
        return np.array([col.labels[int(v)] if not math.isnan(v) else "" for v in col.values],
                        dtype=object)
    return np.power(10.0, col.values) if col.log else col.values


def contour_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                   x: str | None = None, y: str | None = None) -> go.Figure:
    """The value over two parameters (default: the two most important), with the trials.

    When the trials form a grid, a heatmap: each cell the best value of the trials
    there; otherwise a contour of the value interpolated linearly between the trials.

    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(a * b),
    ...                       params={"a": a, "b": b})
    ...           for n, (a, b) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)])]
    >>> contour_figure(trials, "maximize", x="a", y="b").data[0].z.tolist()
    [[1.0, 2.0], [2.0, 4.0]]
    """
    go = _go("the contour plot")
    direction = Direction.parse(direction)
    data = contour_data(trials, direction, x, y)
    fig = go.Figure()
    common = {"x": data.grid_x, "y": data.grid_y, "z": data.z, "colorscale": _COLORSCALE,
              "reversescale": direction is Direction.MINIMIZE, "name": "value",
              "colorbar": {"title": {"text": "value"}}}
    if data.interpolated:
        fig.add_trace(go.Contour(**common, connectgaps=False,
                                 contours={"coloring": "heatmap", "showlabels": True}))
    else:  # a grid: each cell as it is, nothing smoothed between tried values
        fig.add_trace(go.Heatmap(**common, hoverongaps=False))
    fig.add_trace(go.Scatter(x=data.points_x, y=data.points_y, mode="markers", name="trial",
                             marker={"color": "white", "size": 6,
                                     "line": {"color": "black", "width": 1}},
                             showlegend=False))
    fig.update_xaxes(**_axis_ticks(data.x), title_text=data.x.name)
    fig.update_yaxes(**_axis_ticks(data.y), title_text=data.y.name)
    return _layout(fig, data.title)


def _axis_ticks(col: Column) -> dict[str, Any]:
    _, ticks, texts = col.plotted(inactive=False)
    return {"tickvals": ticks, "ticktext": texts} if ticks else {}


def fold_spread_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                       default: FrozenTrial | Sequence[float] | None = None,
                       top: int = 10) -> go.Figure:
    """The fold scores of the ``top`` best candidates, and of the default model.

    A box per candidate (best first, every fold shown as a point), so overlapping
    spreads show at a glance when the best is no better than its runners-up.
    ``default`` is the default model's trial (or its fold scores) on the same folds.

    >>> from tunesmith.records import FoldRecord, FrozenTrial, TrialState
    >>> folds = tuple(FoldRecord(fold=k, test_scores={"score": s})
    ...               for k, s in enumerate([0.8, 0.9]))
    >>> trials = [FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.85, folds=folds)]
    >>> [b.name for b in fold_spread_figure(trials, "maximize", default=[0.7, 0.8]).data]
    ['#0', 'default']
    """
    go = _go("the fold-spread plot")
    spread = fold_spread(trials, direction, default=default, top=top)
    fig = go.Figure()
    for label, scores, hover, is_default in spread.boxes:
        fig.add_trace(go.Box(y=scores, name=label, boxpoints="all", jitter=0.3,
                             pointpos=0, hovertext=hover, showlegend=False,
                             marker={"color": "#d62728" if is_default else "#1f77b4"}))
    return _layout(fig, f"Fold scores of the top {spread.n_top} candidates"
                   + (" and the default" if spread.has_default else ""),
                   yaxis_title=f"{spread.metric} per fold", xaxis_title="candidate")
