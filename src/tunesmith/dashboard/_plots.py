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

import html
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunesmith.dashboard._render import plot_trials
from tunesmith.records import Direction, FrozenTrial

if TYPE_CHECKING:
    from tunesmith.dashboard._watch import Watch

__all__ = ["PLOTS", "Sample", "figure", "figures_of", "importance_of", "read_sample", "warm_up"]

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
#: Complete trials the plots of parameters (importance, parallel coordinates, slices,
#: contour) are drawn from, evenly spread over the study; the top ten come with them.
SPREAD_TRIALS = 500
#: Of those, the trials the importance's forest and the contour's interpolation use
#: (their cost grows with the trials).
MODEL_TRIALS = 500
TITLES = dict(PLOTS)


@dataclass(frozen=True)
class Sample:
    """What a study's plots are drawn from, read once per redraw.

    ``history``: number, state and value of up to 2,000 trials (every improvement of
    the best kept); ``spread``: complete trials evenly spread, with their parameters,
    escaped for plotly; ``top``: the ten best, with their folds; ``total``: the study's
    number of trials; ``default``: the default model's fold scores, if stored.
    """

    history: list[FrozenTrial]
    spread: list[FrozenTrial]
    top: list[FrozenTrial]
    total: int
    default: list[float] | None = None


def read_sample(watch: Watch) -> Sample:
    """The sample of a study's trials its plots are drawn from (module docstring)."""
    from tunesmith.dashboard._watch import TOP

    history = watch.sample()
    spread = watch.source.trials_by_number(watch.study_id, watch.spread(SPREAD_TRIALS),
                                           folds=False)
    top = watch.source.trials_by_number(watch.study_id, watch.top(TOP))
    default = watch.source.default_scores(watch.study_id)[0]
    return Sample(history, plot_trials(spread), plot_trials(top), len(watch.outline.states),
                  default)


def figure(key: str, sample: Sample, direction: Direction,
           importances: Callable[[], dict[Any, float]] | None = None) -> dict[str, Any]:
    """Plot ``key`` of :data:`PLOTS` as ``{"key", "title", "figure"}`` (plotly's JSON),
    or ``{"key", "title", "message"}`` when these trials cannot draw it (importance
    before four complete trials, a contour of one parameter).

    ``importances`` gives :func:`importance_of` the sample (computed once, shared by
    the importance plot and the contour's choice of its two parameters).
    """
    from tunesmith import report

    if key not in TITLES:
        raise KeyError(f"no plot {key!r}; plots: {', '.join(TITLES)}")
    few = _spread(sample.spread, MODEL_TRIALS)
    ranked = importances or (lambda: importance_of(sample, direction))
    makers: dict[str, Callable[[], Any]] = {
        "history": lambda: report.history_figure(sample.history, direction),
        "importance": lambda: report.importance_figure(ranked()),
        "parallel": lambda: report.parallel_figure(sample.spread, direction),
        "slice": lambda: report.slice_figure(sample.spread, direction),
        "contour": lambda: report.contour_figure(few, direction, *_two_most(ranked())),
        "folds": lambda: report.fold_spread_figure(sample.top, direction,
                                                   default=sample.default),
    }
    try:
        made = makers[key]()
    except (ValueError, TypeError) as exc:  # not drawable from these trials
        return {"key": key, "title": TITLES[key], "message": str(exc)}
    made.update_layout(autosize=True, width=None)
    if key == "history" and sample.total > len(sample.history):
        made.update_layout(title_text=f"History: {len(sample.history):,} of "
                                      f"{sample.total:,} trials (every improvement kept)")
    drawn = json.loads(made.to_json())
    if key == "parallel":
        _plain_ticks(drawn)
    return {"key": key, "title": TITLES[key], "figure": drawn}


def _plain_ticks(drawn: dict[str, Any]) -> None:
    """Parallel coordinates draw tick labels as plain text (no entities, no tags, unlike
    every other plotly text): give them the stored text back, control characters still
    escaped."""
    for trace in drawn.get("data", []):
        for dimension in trace.get("dimensions", []):
            if "ticktext" in dimension:
                dimension["ticktext"] = [html.unescape(t) if isinstance(t, str) else t
                                         for t in dimension["ticktext"]]


def importance_of(sample: Sample, direction: Direction) -> dict[Any, float]:
    """The report's parameter importance on (part of) the sample's spread."""
    from tunesmith import report

    few = _spread(sample.spread, MODEL_TRIALS)
    return report.parameter_importance(few, direction, n_trees=16)


def _two_most(importances: dict[Any, float]) -> tuple[str | None, str | None]:
    """The two parameters with the largest main effects (None: let the contour pick)."""
    names = [key for key in importances if isinstance(key, str)]
    return (names[0], names[1]) if len(names) >= 2 else (None, None)


def figures_of(trials: Sequence[FrozenTrial], direction: Direction) -> list[dict[str, Any]]:
    """Every plot of :data:`PLOTS` (see :func:`figure`) of all these trials."""
    from tunesmith.dashboard._watch import TOP

    shown = plot_trials(list(trials))
    complete = [t for t in shown if t.is_complete]
    sign = direction.sign()
    top = sorted(complete, key=lambda t: (sign * float(t.value), t.number))[:TOP]  # type: ignore[arg-type]
    sample = Sample(shown, complete, top, len(shown))
    return [figure(key, sample, direction) for key, _title in PLOTS]


def warm_up() -> None:
    """Draw each plot once from a few made-up trials, so that plotly's lazily loaded
    machinery is ready before the first page asks (a second or more, once)."""
    from tunesmith.records import TrialState

    trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(n % 7),
                          params={"a": float(n), "b": float(n * n % 11), "c": "xy"[n % 2]})
              for n in range(16)]
    try:
        figures_of(trials, Direction.MINIMIZE)
    except Exception:  # a warm-up must never stop the server
        logger.debug("plot warm-up failed", exc_info=True)


def _spread(trials: list[FrozenTrial], n: int) -> list[FrozenTrial]:
    """At most ``n`` of ``trials``, evenly spread over them (all when fewer)."""
    if len(trials) <= n:
        return trials
    step = len(trials) / n
    return [trials[int(k * step)] for k in range(n)]
