"""Results you can see: importance, plots and a self-contained HTML report.

Everything here reads a sequence of :class:`~tunesmith.records.FrozenTrial` (a study's
``trials``, or a downsample of them) and a direction:

* :func:`parameter_importance`: how much each hyperparameter, and each pair, explains the
  score (functional ANOVA on a random forest, Hutter et al. 2014);
* plotly figures for notebooks and the HTML report: :func:`history_figure`,
  :func:`importance_figure`, :func:`parallel_figure`, :func:`slice_figure`,
  :func:`contour_figure`, :func:`fold_spread_figure`; the same plots with matplotlib, for
  static PNGs, in :mod:`tunesmith.report.mpl`;
* :class:`Report`: the verdict, the best parameters, the top candidates, the importance
  and every plot, shown in a notebook or saved as one HTML file that needs no network
  (``study.report()``, ``search.report()``, ``tunesmith report NAME --html FILE``).

The plotting libraries are an optional extra (``pip install "tunesmith[plots]"``);
without them importance and the report's text still work.
"""

from __future__ import annotations

from tunesmith.report._importance import parameter_importance
from tunesmith.report._plotly import (
    contour_figure,
    fold_spread_figure,
    history_figure,
    importance_figure,
    parallel_figure,
    slice_figure,
)
from tunesmith.report._report import Report, Verdict

__all__ = [
    "Report",
    "Verdict",
    "contour_figure",
    "fold_spread_figure",
    "history_figure",
    "importance_figure",
    "parallel_figure",
    "parameter_importance",
    "slice_figure",
]
