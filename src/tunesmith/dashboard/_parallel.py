"""Parallel coordinates drawn as SVG lines, for the dashboard.

The report's :func:`~tunesmith.report.parallel_figure` is plotly's ``parcoords``, which
draws with WebGL only: in a browser without a GPU (a server, a CI machine, headless
Chromium) that is software rendering, and the one plot took seconds of a study page's
time to draw. This figure shows the same thing from the same columns
(:func:`tunesmith.report._data.columns`: categorical axes by choice, log axes by decade,
inactive parameters just below their axis) with plotly's SVG ``scatter`` traces: each
axis scaled to 0..1, a line per complete trial through its position on every axis, the
lines binned by value into a few colours (one trace per colour, trials separated by
gaps), the best drawn last, on top.

Axis names and tick labels are annotations, which plotly draws reading entities: the
text comes from :func:`~tunesmith.dashboard._render.plot_trials`, escaped for that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial

__all__ = ["COLOR_BINS", "axes_of", "nice_ticks", "parallel_svg_figure"]

#: Optional packages the examples here need (tests/core/test_doctests.py skips without).
__doctest_requires__ = ("plotly",)

#: Colours the lines are binned into by value (a trace each).
COLOR_BINS = 8
_COLORSCALE = "Viridis"
_TICKS = 5


def axes_of(trials: Sequence[FrozenTrial]
            ) -> tuple[list[str], np.ndarray, list[list[tuple[float, str]]], np.ndarray]:
    """The axes of the complete trials among ``trials``: their names (parameters, then
    ``value``), each trial's position on each axis scaled to 0..1 (rows: axes), each
    axis's ticks as (position, text), and the trials' values.

    >>> from tunesmith.records import TrialState
    >>> t = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=v, params={"k": k})
    ...      for n, (k, v) in enumerate([("a", 1.0), ("b", 3.0), ("a", 2.0)])]
    >>> names, scaled, ticks, values = axes_of(t)
    >>> names, scaled.tolist()
    (['k', 'value'], [[0.25, 0.75, 0.25], [0.0, 1.0, 0.5]])
    >>> ticks[0]
    [(0.25, 'a'), (0.75, 'b')]
    """
    from tunesmith.report._data import columns, complete_trials, values_of

    done = complete_trials(trials)
    values = values_of(done)
    names: list[str] = []
    rows: list[np.ndarray] = []
    ticks: list[list[tuple[float, str]]] = []
    cols = columns(done)
    axes: list[tuple[str, np.ndarray, list[float], list[str], tuple[float, float]]] = []
    for col in cols:
        data, where, texts = col.plotted()
        axes.append((col.name, data, where, texts, col.bounds))
    low_v, high_v = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    axes.append(("value", values, [], [], (low_v, high_v)))
    for name, data, where, texts, bounds in axes:
        low = min([bounds[0], *where, *(data.tolist() if len(data) else [])])
        high = max([bounds[1], *where, *(data.tolist() if len(data) else [])])
        span = (high - low) or 1.0
        if not where:  # a numeric axis without named ticks: round numbers
            where = nice_ticks(low, high)
            texts = [_tick_text(t, name, cols) for t in where]
        names.append(name)
        rows.append((data - low) / span)
        ticks.append([(float((t - low) / span), text) for t, text in zip(where, texts,
                                                                         strict=True)])
    scaled = np.array(rows) if rows else np.zeros((0, len(values)))
    return names, scaled, ticks, values


def nice_ticks(low: float, high: float, n: int = _TICKS) -> list[float]:
    """Round numbers (steps of 1, 2 or 5 times a power of ten) from ``low`` to ``high``,
    as close to ``n`` of them as those steps allow.

    >>> nice_ticks(0.5, 12.5)
    [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    >>> nice_ticks(-5.0, 5.0)
    [-4.0, -2.0, 0.0, 2.0, 4.0]
    """
    span = high - low
    if not span > 0 or not math.isfinite(span):
        return [low]
    power = 10.0 ** math.floor(math.log10(span / n))
    best: list[float] = []
    for step in (m * power * scale for scale in (0.1, 1.0, 10.0) for m in (1, 2, 5)):
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        ticks = [round(k * step, 12) + 0.0 for k in range(first, last + 1)]
        if len(ticks) >= 2 and (not best or abs(len(ticks) - n) < abs(len(best) - n)):
            best = ticks
    return best or [low, high]


def _tick_text(encoded: float, name: str, cols: Sequence[Any]) -> str:
    for col in cols:
        if col.name == name:
            return str(col.label(encoded))
    return f"{encoded:.4g}"


def parallel_svg_figure(trials: Sequence[FrozenTrial], direction: Direction | str,
                        *, title: str = "Parallel coordinates") -> dict[str, Any]:
    """Parallel coordinates of the complete ``trials`` as plotly figure JSON (SVG only).

    A line per complete trial, coloured by value (the best end of the scale bright);
    ValueError when no trial is complete (nothing to draw).

    >>> from tunesmith.records import TrialState
    >>> t = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(n),
    ...                  params={"x": float(n)}) for n in range(3)]
    >>> fig = parallel_svg_figure(t, "minimize")
    >>> sorted({trace["type"] for trace in fig["data"]})
    ['scatter']
    """
    direction = Direction.parse(direction)
    names, scaled, ticks, values = axes_of(trials)
    if not len(values):
        raise ValueError("no complete trial with a finite value to draw")
    k = len(names)
    low, high = float(values.min()), float(values.max())
    span = (high - low) or 1.0
    # 0 is the worst end of the colour scale, 1 the best (bright, drawn on top).
    goodness = (values - low) / span
    if direction is Direction.MINIMIZE:
        goodness = 1.0 - goodness
    bins = np.minimum((goodness * COLOR_BINS).astype(int), COLOR_BINS - 1)
    colours = _colours(COLOR_BINS)
    data: list[dict[str, Any]] = []
    xs = list(range(k))
    for b in range(COLOR_BINS):
        members = np.flatnonzero(bins == b)
        if not len(members):
            continue
        x: list[float | None] = []
        y: list[float | None] = []
        for i in members:
            x.extend([*xs, None])
            y.extend([*(_round(v) for v in scaled[:, i]), None])
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": y,
                     "line": {"color": colours[b], "width": 1}, "opacity": 0.55,
                     "hoverinfo": "skip", "showlegend": False})
    # The colour scale, drawn by one invisible point's marker.
    data.append({"type": "scatter", "mode": "markers", "x": [0], "y": [0],
                 "hoverinfo": "skip", "showlegend": False,
                 "marker": {"size": 0, "opacity": 0, "color": [low], "cmin": low,
                            "cmax": high if high > low else low + 1.0,
                            "colorscale": _COLORSCALE,
                            "reversescale": direction is Direction.MINIMIZE,
                            "showscale": True, "colorbar": {"title": {"text": "value"},
                                                            "x": 1.02}}})
    shapes = [{"type": "line", "xref": "x", "yref": "y", "x0": a, "x1": a, "y0": 0, "y1": 1,
               "line": {"color": "#444", "width": 1}, "layer": "above"} for a in xs]
    annotations: list[dict[str, Any]] = [
        {"x": a, "y": 1.04, "xref": "x", "yref": "y", "text": name, "showarrow": False,
         "yanchor": "bottom", "font": {"size": 13}} for a, name in zip(xs, names, strict=True)]
    for a, axis_ticks in zip(xs, ticks, strict=True):
        annotations.extend(
            {"x": a, "y": where, "xref": "x", "yref": "y", "text": text, "showarrow": False,
             "xanchor": "right", "xshift": -4, "font": {"size": 10, "color": "#333"},
             "bgcolor": "rgba(255,255,255,0.7)"} for where, text in axis_ticks)
    layout = {
        "title": {"text": title}, "template": _template(), "height": 450,
        "margin": {"l": 90, "r": 40, "t": 90, "b": 30}, "showlegend": False,
        "xaxis": {"visible": False, "range": [-0.5, k - 0.85], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-0.06, 1.12], "fixedrange": True},
        "shapes": shapes, "annotations": annotations, "hovermode": False,
    }
    return {"data": data, "layout": layout}


def _round(v: float) -> float | None:
    return None if math.isnan(v) else round(float(v), 4)


def _colours(n: int) -> list[str]:
    from plotly.colors import sample_colorscale

    return list(sample_colorscale(_COLORSCALE, [(b + 0.5) / n for b in range(n)]))


def _template() -> Any:
    """plotly_white as JSON (the report's figures use it)."""
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()
