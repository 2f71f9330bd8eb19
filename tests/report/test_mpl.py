"""The matplotlib figures (static PNGs) draw the same numbers as the plotly ones."""

from __future__ import annotations

import numpy as np
import pytest

from tunesmith.records import TrialState
from tunesmith.report import mpl

pytest.importorskip("matplotlib", reason="the plots extra is not installed")


def _done(trials):
    return sorted((t for t in trials if t.state is TrialState.COMPLETE), key=lambda t: t.number)


def test_history_steps_through_the_running_minimum(mixed_trials) -> None:
    fig = mpl.history_figure(mixed_trials, "minimize")
    ax = fig.axes[0]
    values = [t.value for t in _done(mixed_trials)]
    assert list(ax.lines[0].get_ydata()) == list(np.minimum.accumulate(values))
    assert ax.collections[0].get_offsets()[:, 1].tolist() == values
    assert "not shown" in ax.get_title()


def test_parallel_draws_one_line_per_complete_trial_across_every_axis(mixed_trials) -> None:
    fig = mpl.parallel_figure(mixed_trials, "maximize")
    ax = fig.axes[0]
    lines = ax.collections[0]
    assert len(lines.get_segments()) == len(_done(mixed_trials))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["C", "kernel", "gamma", "value"]
    assert list(lines.get_array()) == [t.value for t in _done(mixed_trials)]
    # The value axis is the last one: the best trial's line ends at its top.
    best = int(np.argmax(lines.get_array()))
    assert lines.get_segments()[best][-1, 1] == pytest.approx(1.0)


def test_slices_use_log_and_category_axes(mixed_trials) -> None:
    fig = mpl.slice_figure(mixed_trials, "maximize")
    c_ax, kernel_ax, gamma_ax = fig.axes[:3]
    assert c_ax.get_xscale() == "log" and c_ax.get_title() == "C"
    assert [t.get_text() for t in kernel_ax.get_xticklabels()] == ["rbf", "linear", "poly"]
    xs = c_ax.collections[0].get_offsets()[:, 0]
    assert xs.tolist() == pytest.approx([t.params["C"] for t in _done(mixed_trials)])
    assert len(gamma_ax.collections[0].get_offsets()) == sum(
        "gamma" in t.params for t in _done(mixed_trials))


def test_contour_grid_cells_hold_the_best_values(make_complete) -> None:
    trials = [make_complete(n, float(a * b - c), {"a": a, "b": b, "c": c})
              for n, (a, b, c) in enumerate(
                  (a, b, c) for a in (1, 2) for b in (1, 3, 5) for c in (0, 1))]
    fig = mpl.contour_figure(trials, "maximize", x="a", y="b")
    mesh = fig.axes[0].collections[0]
    z = np.asarray(mesh.get_array()).reshape(3, 2)  # rows: b in 1, 3, 5; columns: a
    assert z.tolist() == [[a * b for a in (1, 2)] for b in (1, 3, 5)]


def test_fold_spread_and_importance(mixed_trials) -> None:
    fig = mpl.fold_spread_figure(mixed_trials, "maximize", default=[0.0, 0.1, 0.2], top=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "default"
    assert len(ax.get_xticklabels()) == 3
    fig = mpl.importance_figure({"a": 0.6, "b": 0.3, ("a", "b"): 0.1})
    bars = fig.axes[0].patches
    assert [round(b.get_width(), 6) for b in bars] == [0.1, 0.3, 0.6]
