"""A study page's plots: the report's figures, drawn from a server-side sample.

The figures are :mod:`tunesmith.report`'s own (one set of plots in tunesmith). What this
module adds is the choice of trials (:func:`~tunesmith.dashboard._watch.sample_numbers`:
an even spread of at most a few thousand, every improvement of the best, the top ten),
the escaping of stored text for plotly (:func:`~tunesmith.dashboard._render.plot_trials`),
and figure JSON the page hands to ``Plotly.react``. A figure that cannot be drawn yet
(importance before four complete trials, a contour with one parameter) is a message in
its place, never a failed page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunesmith.dashboard._render import plot_trials
from tunesmith.records import Direction, FrozenTrial

if TYPE_CHECKING:
    from tunesmith.dashboard._watch import Watch

__all__ = ["PLOTS", "figures_of", "study_figures"]

logger = logging.getLogger(__name__)

#: The plots of a study page, in order: (key, title).
PLOTS = (
    ("history", "Optimisation history"),
    ("importance", "Hyperparameter importance"),
    ("parallel", "Parallel coordinates"),
    ("slice", "Slices"),
    ("contour", "Contour"),
    ("folds", "Fold spread of the top candidates"),
)
#: Complete trials the importance's forest and the parallel coordinates are drawn from.
IMPORTANCE_TRIALS = 1000
PARALLEL_TRIALS = 1000


def study_figures(watch: Watch) -> list[dict[str, Any]]:
    """The study's figures, from the trials :meth:`Watch.sample` picks."""
    numbers = watch.sample()
    trials = watch.source.trials_by_number(watch.study_id, numbers)
    return figures_of(trials, watch.direction)


def figures_of(trials: Sequence[FrozenTrial], direction: Direction) -> list[dict[str, Any]]:
    """Each plot of :data:`PLOTS` as ``{"key", "title", "figure"}`` (plotly's JSON) or
    ``{"key", "title", "message"}`` when it cannot be drawn from these trials."""
    from tunesmith import report

    shown = plot_trials(list(trials))
    complete = [t for t in shown if t.is_complete]
    few = _spread(complete, IMPORTANCE_TRIALS)
    makers: dict[str, Callable[[], Any]] = {
        "history": lambda: report.history_figure(shown, direction),
        "importance": lambda: report.importance_figure(
            report.parameter_importance(few, direction, n_trees=16)),
        "parallel": lambda: report.parallel_figure(_spread(complete, PARALLEL_TRIALS),
                                                   direction),
        "slice": lambda: report.slice_figure(few, direction),
        "contour": lambda: report.contour_figure(few, direction),
        "folds": lambda: report.fold_spread_figure(complete, direction),
    }
    out = []
    for key, title in PLOTS:
        try:
            figure = makers[key]()
        except (ValueError, TypeError) as exc:  # not drawable from these trials
            out.append({"key": key, "title": title, "message": str(exc)})
            continue
        figure.update_layout(autosize=True, height=figure.layout.height or 420, width=None)
        out.append({"key": key, "title": title, "figure": json.loads(figure.to_json())})
    return out


def _spread(trials: list[FrozenTrial], n: int) -> list[FrozenTrial]:
    """At most ``n`` of ``trials``, evenly spread over them (all when fewer)."""
    if len(trials) <= n:
        return trials
    step = len(trials) / n
    return [trials[int(k * step)] for k in range(n)]
