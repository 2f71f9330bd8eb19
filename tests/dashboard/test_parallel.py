"""The dashboard's parallel coordinates (SVG lines): each complete trial is one line
through its hand-computed position on every axis, coloured by value, best on top."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tunesmith.dashboard._parallel import COLOR_BINS, axes_of, parallel_svg_figure
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.space import Categorical, Float

pytest.importorskip("plotly")

DIMS = {"x": Float(0.0, 10.0), "y": Float(1.0, 100.0, log=True),
        "k": Categorical(["a", "b", "c"])}


def _trial(n: int, value: float | None, state: TrialState = TrialState.COMPLETE,
           **params: Any) -> FrozenTrial:
    return FrozenTrial(number=n, state=state, value=value, params=params,
                       dimensions={name: DIMS[name] for name in params})


TRIALS = [
    _trial(0, 4.0, x=0.0, y=1.0, k="a"),
    _trial(1, 1.0, x=5.0, y=10.0, k="c"),
    _trial(2, 2.0, x=10.0, y=100.0, k="b"),
    _trial(3, None, TrialState.FAILED, x=7.0, y=3.0, k="a"),  # no value: no line
]


def _lines(fig: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in fig["data"] if t["mode"] == "lines"]


def _polylines(trace: dict[str, Any]) -> list[list[tuple[float, float]]]:
    out: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(trace["x"], trace["y"], strict=True):
        if x is None:
            out.append([])
        else:
            out[-1].append((x, y))
    return [line for line in out if line]


def test_positions_on_each_axis_are_the_values_scaled_to_its_range() -> None:
    names, scaled, ticks, values = axes_of(TRIALS)
    assert names == ["x", "y", "k", "value"]
    assert values.tolist() == [4.0, 1.0, 2.0]
    # x: the dimension's range 0..10; y: log10 over 0..2; k: codes 0..2 over -0.5..2.5;
    # value: its own range 1..4.
    assert scaled[0].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert scaled[1].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert scaled[2].tolist() == pytest.approx([0.5 / 3, 2.5 / 3, 1.5 / 3])
    assert scaled[3].tolist() == pytest.approx([1.0, 0.0, 1 / 3])
    assert ticks[0] == pytest.approx([(k / 5, str(2 * k)) for k in range(6)])  # round
    assert [text for _, text in ticks[1]] == ["1", "10", "100"]  # by decade
    assert [text for _, text in ticks[3]] == ["1", "2", "3", "4"]  # the value: 1..4
    assert ticks[2] == pytest.approx([(0.5 / 3, "a"), (1.5 / 3, "b"), (2.5 / 3, "c")])


def test_each_complete_trial_is_one_line_coloured_by_value_best_on_top() -> None:
    fig = parallel_svg_figure(TRIALS, Direction.MINIMIZE)
    lines = _lines(fig)
    drawn = [poly for trace in lines for poly in _polylines(trace)]
    assert len(drawn) == 3  # the failed trial has no line
    assert all([x for x, _ in poly] == [0, 1, 2, 3] for poly in drawn)
    # The best (value 1.0, trial 1) is in the last trace, drawn over the others.
    assert _polylines(lines[-1]) == [[(0, 0.5), (1, 0.5), (2, round(2.5 / 3, 4)), (3, 0.0)]]
    assert len(lines) <= COLOR_BINS
    scale = next(t for t in fig["data"] if t["mode"] == "markers")["marker"]
    assert (scale["cmin"], scale["cmax"], scale["reversescale"]) == (1.0, 4.0, True)
    assert [a["text"] for a in fig["layout"]["annotations"][:4]] == ["x", "y", "k", "value"]
    assert {trace["type"] for trace in fig["data"]} == {"scatter"}  # SVG, no WebGL


def test_maximizing_puts_the_highest_value_on_top() -> None:
    lines = _lines(parallel_svg_figure(TRIALS, "maximize"))
    assert [y for _, y in _polylines(lines[-1])[0]][-1] == 1.0  # value 4.0, the top


def test_an_inactive_parameter_sits_below_its_axis_with_a_tick_saying_so() -> None:
    trials = [*TRIALS[:3], FrozenTrial(number=4, state=TrialState.COMPLETE, value=3.0,
                                       params={"x": 2.0, "k": "a"},
                                       dimensions={"x": DIMS["x"], "k": DIMS["k"]})]
    names, scaled, ticks, _ = axes_of(trials)
    y_axis = names.index("y")
    assert ticks[y_axis][0][1] == "(inactive)"
    assert scaled[y_axis][3] == pytest.approx(ticks[y_axis][0][0])
    assert scaled[y_axis][3] < min(scaled[y_axis][:3])


def test_no_complete_trial_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no complete trial"):
        parallel_svg_figure(TRIALS[3:], "minimize")


def test_equal_values_still_draw() -> None:
    trials = [_trial(n, 2.0, x=float(n), y=10.0, k="a") for n in range(3)]
    fig = parallel_svg_figure(trials, "minimize")
    assert sum(len(_polylines(t)) for t in _lines(fig)) == 3
    assert not any(isinstance(v, float) and math.isnan(v)
                   for t in _lines(fig) for v in t["y"] if v is not None)
