"""The plotly figures show the trials' own numbers (computed here independently)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.report import (
    contour_figure,
    fold_spread_figure,
    history_figure,
    importance_figure,
    parallel_figure,
    slice_figure,
)
from tunesmith.space import Categorical, Float

pytest.importorskip("plotly", reason="the plots extra is not installed")


def _complete(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    return sorted((t for t in trials if t.state is TrialState.COMPLETE), key=lambda t: t.number)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_history_shows_each_value_and_the_running_best(mixed_trials, direction) -> None:
    fig = history_figure(mixed_trials, direction)
    done = _complete(mixed_trials)
    points, best = fig.data
    assert list(points.x) == [t.number for t in done]
    assert list(points.y) == [t.value for t in done]
    running, expected = None, []
    for t in done:  # the running best, written out
        if running is None or (t.value < running if direction == "minimize"
                               else t.value > running):
            running = t.value
        expected.append(running)
    assert list(best.y) == expected
    # Failed, pruned and skipped trials are left out, and the title says so.
    assert "4 failed, 4 pruned, 1 skipped not shown" in fig.layout.title.text


def test_parallel_coordinates_has_an_axis_per_parameter_and_the_value(mixed_trials) -> None:
    fig = parallel_figure(mixed_trials, "maximize")
    done = _complete(mixed_trials)
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["C", "kernel", "gamma", "value"]
    assert list(dims[-1]["values"]) == [t.value for t in done]
    assert list(fig.data[0].line.color) == [t.value for t in done]
    # C spans six decades and crowds low: a log axis labelled by decade.
    c_axis = dims[0]
    assert list(c_axis["values"]) == pytest.approx([math.log10(t.params["C"]) for t in done])
    assert "0.01" in c_axis.ticktext and "100" in c_axis.ticktext
    # kernel is categorical: codes labelled by choice, in order of first appearance.
    kernel = dims[1]
    assert list(kernel.ticktext) == ["rbf", "linear", "poly"]
    labels = [kernel.ticktext[list(kernel.tickvals).index(v)] for v in kernel["values"]]
    assert labels == [t.params["kernel"] for t in done]
    # gamma is inactive outside rbf: placed below its range, labelled so.
    gamma = dims[2]
    assert gamma.ticktext[0] == "(inactive)"
    inactive = [v == gamma.tickvals[0] for v in gamma["values"]]
    assert inactive == ["gamma" not in t.params for t in done]


def test_slices_have_a_panel_per_parameter_with_log_and_category_axes(mixed_trials) -> None:
    fig = slice_figure(mixed_trials, "maximize")
    done = _complete(mixed_trials)
    assert [a.text for a in fig.layout.annotations] == ["C", "kernel", "gamma"]
    c, kernel, gamma = fig.data
    assert list(c.x) == pytest.approx([t.params["C"] for t in done])
    assert list(c.y) == [t.value for t in done]
    assert fig.layout.xaxis.type == "log"
    assert list(kernel.x) == [t.params["kernel"] for t in done]
    assert fig.layout.xaxis2.type == "category"
    with_gamma = [t for t in done if "gamma" in t.params]
    assert list(gamma.x) == [t.params["gamma"] for t in with_gamma]
    assert list(gamma.y) == [t.value for t in with_gamma]
    only = slice_figure(mixed_trials, "maximize", params=["gamma"])
    assert len(only.data) == 1
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['nope'\].*'C', 'kernel'"):
        slice_figure(mixed_trials, "maximize", params=["nope"])


def test_contour_of_a_grid_is_the_best_value_per_cell(make_complete) -> None:
    # A 3 x 2 grid of (a, b) tried twice each with another parameter c.
    trials, n = [], 0
    best: dict[tuple[float, str], float] = {}
    for a in (1.0, 2.0, 3.0):
        for b in ("u", "v"):
            for c in (0.0, 1.0):
                value = a * (2 if b == "v" else 1) - c
                trials.append(make_complete(n, value, {"a": a, "b": b, "c": c}))
                best[(a, b)] = min(best.get((a, b), math.inf), value)
                n += 1
    fig = contour_figure(trials, "minimize", x="a", y="b")
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert list(heat.x) == [1.0, 2.0, 3.0]
    b_labels = list(fig.layout.yaxis.ticktext)
    assert sorted(b_labels) == ["u", "v"]
    for j, y_code in enumerate(heat.y):
        for i, a in enumerate(heat.x):
            label = b_labels[list(fig.layout.yaxis.tickvals).index(y_code)]
            assert heat.z[j][i] == best[(a, label)]
    assert fig.layout.xaxis.title.text == "a" and fig.layout.yaxis.title.text == "b"


def test_contour_of_scattered_trials_interpolates_and_picks_important_params(
        make_uniform) -> None:
    trials = make_uniform(lambda x, y, z: x + y, "xyz", n=120)
    fig = contour_figure(trials, "minimize")  # z explains nothing: x and y are shown
    assert fig.data[0].type == "contour"
    assert {fig.layout.xaxis.title.text, fig.layout.yaxis.title.text} == {"x", "y"}
    z = np.array(fig.data[0].z, dtype=float)
    gx, gy = np.array(fig.data[0].x), np.array(fig.data[0].y)
    # Linear interpolation of a linear function is exact inside the hull.
    inside = ~np.isnan(z)
    assert inside.mean() > 0.5
    xs, ys = np.meshgrid(gx, gy)
    assert np.allclose(z[inside], (xs + ys)[inside], atol=1e-9)  # f = x + y is symmetric
    assert len(fig.data[1].x) == 120


def test_contour_names_a_bad_parameter_and_needs_two(make_uniform, make_complete) -> None:
    trials = make_uniform(lambda x, y: x, n=20)
    with pytest.raises(ValueError, match="unknown parameter 'w'; the trials' parameters: 'x', 'y'"):
        contour_figure(trials, "minimize", x="w")
    with pytest.raises(ValueError, match="two different parameters, got 'x' twice"):
        contour_figure(trials, "minimize", x="x", y="x")
    one = [make_complete(n, float(n), {"x": float(n)}) for n in range(5)]
    with pytest.raises(ValueError, match="needs two parameters that vary"):
        contour_figure(one, "minimize")


def test_fold_spread_shows_the_top_candidates_folds_and_the_default(mixed_trials) -> None:
    fig = fold_spread_figure(mixed_trials, "maximize", default=[0.1, 0.2, 0.3, 0.2, 0.1],
                             top=3)
    ranked = sorted(_complete(mixed_trials), key=lambda t: (-t.value, t.number))[:3]
    boxes = fig.data
    assert [b.name for b in boxes] == [f"#{t.number}" for t in ranked] + ["default"]
    for box, trial in zip(boxes, ranked, strict=False):
        assert list(box.y) == [f.test_scores["score"] for f in trial.folds]
    assert list(boxes[-1].y) == [0.1, 0.2, 0.3, 0.2, 0.1]
    assert "top 3 candidates and the default" in fig.layout.title.text


def test_fold_spread_needs_fold_scores_and_a_sane_top(make_uniform, mixed_trials) -> None:
    with pytest.raises(ValueError, match="needs trials with per-fold scores"):
        fold_spread_figure(make_uniform(lambda x, y: x, n=5), "minimize")
    with pytest.raises(ValueError, match="top must be a positive integer, got 0"):
        fold_spread_figure(mixed_trials, "maximize", top=0)
    with pytest.raises(TypeError, match="default must be the default model's FrozenTrial"):
        fold_spread_figure(mixed_trials, "maximize", default="0.5")  # type: ignore[arg-type]


def test_importance_bars_are_labelled_and_sorted() -> None:
    fig = importance_figure({"C": 0.2, "kernel": 0.7, ("C", "kernel"): 0.05})
    bar = fig.data[0]
    assert list(bar.y) == ["C x kernel", "C", "kernel"]  # largest drawn at the top
    assert list(bar.x) == [0.05, 0.2, 0.7]
    with pytest.raises(ValueError, match="non-empty dict"):
        importance_figure({})
    with pytest.raises(ValueError, match="importance of 'C' must be a finite number, got nan"):
        importance_figure({"C": float("nan")})


def test_stored_dimensions_decide_the_axes(make_complete) -> None:
    # Declared log and categorical dimensions win over what the values look like.
    dims = {"lr": Float(1e-4, 1.0, log=True), "depth": Categorical([3, 1, 2])}
    trials = [make_complete(n, float(n), {"lr": lr, "depth": d}, dimensions=dims)
              for n, (lr, d) in enumerate([(0.5, 3), (0.01, 1), (0.2, 2), (0.001, 1)])]
    dims_out = parallel_figure(trials, "minimize").data[0].dimensions
    lr, depth = dims_out[0], dims_out[1]
    assert list(lr["values"]) == pytest.approx(np.log10([0.5, 0.01, 0.2, 0.001]))
    assert list(lr.ticktext) == ["0.0001", "0.001", "0.01", "0.1", "1"]  # the declared range
    assert list(depth.ticktext) == ["1", "2", "3"]


def test_bad_trials_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="trials must be FrozenTrial records"):
        history_figure([1, 2], "minimize")  # type: ignore[list-item]
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        history_figure([], "best")


def test_fold_spread_reads_a_native_objectives_stored_fold_scores(make_complete) -> None:
    # A native cross-validation objective keeps its fold scores in attrs["test_scores"].
    trials = [make_complete(n, sum(s) / 3, {"x": float(n)}, attrs={"test_scores": s})
              for n, s in enumerate([[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]])]
    fig = fold_spread_figure(trials, "maximize")
    assert [(b.name, list(b.y)) for b in fig.data] == [("#1", [0.5, 0.6, 0.7]),
                                                       ("#0", [0.1, 0.2, 0.3])]
