"""A study page's plots: the report's figures, drawn from a server-side sample.

The figures are :mod:`tunesmith.report`'s own (one set of plots in tunesmith), but for
parallel coordinates, drawn as SVG lines from the report's columns
(:mod:`~tunesmith.dashboard._parallel`: the report's is WebGL, seconds to render in a
browser without a GPU), and the contour, whose lines go unlabelled. What this
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunesmith.dashboard._parallel import parallel_svg_figure
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
#: Of those, the trials the slices show (with the top ten): each is an SVG marker in
#: every panel, which the browser pays for in drawing time.
SLICE_TRIALS = 250
TITLES = dict(PLOTS)


@dataclass(frozen=True)
class Sample:
    """What a study's plots are drawn from, read once per redraw.

    ``history``: number, state and value of up to 1,000 trials (every improvement of
    the best kept); ``spread``: complete trials evenly spread, with their parameters,
    escaped for plotly; ``top``: the ten best, with their folds; ``total``: the study's
    number of trials; ``default``: the default model's fold scores, if stored;
    ``complete``: the study's number of complete trials (None: those of ``spread``).
    """

    history: list[FrozenTrial]
    spread: list[FrozenTrial]
    top: list[FrozenTrial]
    total: int
    default: list[float] | None = None
    complete: int | None = None


def read_sample(watch: Watch) -> Sample:
    """The sample of a study's trials its plots are drawn from (module docstring)."""
    from tunesmith.dashboard._watch import TOP

    history = watch.sample()
    spread = watch.source.trials_by_number(watch.study_id, watch.spread(SPREAD_TRIALS),
                                           folds=False)
    top = watch.source.trials_by_number(watch.study_id, watch.top(TOP))
    default = watch.source.default_scores(watch.study_id)[0]
    return Sample(history, plot_trials(spread), plot_trials(top), len(watch.outline.states),
                  default, watch.n_complete())


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
    best = {t.number for t in sample.top}
    sliced = sorted({t.number: t for t in [*_spread(sample.spread, SLICE_TRIALS),
                                           *(t for t in sample.spread if t.number in best)]
                     }.values(), key=lambda t: t.number)
    ranked = importances or (lambda: importance_of(sample, direction))
    makers: dict[str, Callable[[], Any]] = {
        "history": lambda: report.history_figure(sample.history, direction),
        "importance": lambda: report.importance_figure(ranked()),
        "parallel": lambda: parallel_svg_figure(
            sample.spread, direction, title=_of_complete("Parallel coordinates",
                                                         sample.spread, sample)),
        "slice": lambda: report.slice_figure(sliced, direction),
        "contour": lambda: report.contour_figure(few, direction, *_two_most(ranked())),
        "folds": lambda: report.fold_spread_figure(sample.top, direction,
                                                   default=sample.default),
    }
    try:
        made = makers[key]()
    except (ValueError, TypeError) as exc:  # not drawable from these trials
        return {"key": key, "title": TITLES[key], "message": str(exc)}
    if isinstance(made, dict):  # drawn here as plotly JSON (parallel coordinates)
        return {"key": key, "title": TITLES[key], "figure": made}
    # Edited as JSON: plotly's own update_layout validates (and copies) the template.
    drawn = json.loads(made.to_json())
    layout = drawn.setdefault("layout", {})
    layout["autosize"] = True
    layout.pop("width", None)
    if key == "contour":
        # Labels on the contour lines cost the browser more than the rest of the plot
        # (placing them); the colour bar and the hover give the values.
        for trace in drawn.get("data", []):
            if isinstance(trace.get("contours"), dict):
                trace["contours"]["showlabels"] = False
        title = layout.get("title", {})
        layout["title"] = {**title, "text": _of_complete(str(title.get("text", "")), few,
                                                         sample)}
    if key == "slice":
        layout["title"] = {**layout.get("title", {}), "text": _of_complete(
            f"Slices ({direction.value})", sliced, sample)}
    if key == "history" and sample.total > len(sample.history):
        layout["title"] = {**layout.get("title", {}),
                           "text": f"History: {len(sample.history):,} of {sample.total:,} "
                                   "trials (every improvement kept)"}
    return {"key": key, "title": TITLES[key], "figure": drawn}


def _of_complete(title: str, shown: Sequence[FrozenTrial], sample: Sample) -> str:
    """``title``, saying how many of the study's complete trials it shows when not all."""
    complete = sample.complete
    n = sum(1 for t in shown if t.is_complete)
    if complete is None or complete <= n:
        return title
    return f"{title}: {n:,} of {complete:,} complete trials"


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
    machinery is ready before the first page asks (a second or more, once), and
    compress plotly.js for the pages."""
    from tunesmith.records import TrialState

    trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(n % 7),
                          params={"a": float(n), "b": float(n * n % 11), "c": "xy"[n % 2]})
              for n in range(16)]
    try:
        from tunesmith.dashboard._app import _plotly_bytes

        _plotly_bytes()
        figures_of(trials, Direction.MINIMIZE)
    except Exception:  # a warm-up must never stop the server
        logger.debug("plot warm-up failed", exc_info=True)


def _spread(trials: list[FrozenTrial], n: int) -> list[FrozenTrial]:
    """At most ``n`` of ``trials``, evenly spread over them (all when fewer)."""
    if len(trials) <= n:
        return trials
    step = len(trials) / n
    return [trials[int(k * step)] for k in range(n)]
