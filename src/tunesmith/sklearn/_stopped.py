"""A candidate stopped early (racing, or a pruner over folds) in ``cv_results_``.

Its row keeps the folds it finished (the others NaN, never fitted), its mean and std
over those, ranks after every candidate that finished all its folds (and before the
failed ones), and ``cv_results_["stopped"]`` says why (``""`` for a candidate that was
not stopped): ``racing: worse than ...``, ``racing: within <tolerance> of ...``,
``racing: the same model as ...`` or ``pruned by ...``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.sklearn._evaluate import FoldJob, FoldResult
from tunesmith.sklearn._folds import fold_results

__all__ = ["STOPPED", "apply_stops", "padded_folds", "stopped_rows"]

#: The ``cv_results_`` key that says why a candidate was stopped.
STOPPED = "stopped"


def padded_folds(trial: FrozenTrial, job: FoldJob) -> list[FoldResult]:
    """A stopped trial's folds in fold order, the ones it never ran as NaN "not run" folds.

    Not-run folds are marked ``skipped`` (never fitted: not counted as failed fits).
    """
    landed = fold_results(trial, multimetric=job.metric_names is not None)
    by_fold = {record.fold: result for record, result in zip(trial.folds, landed, strict=True)}
    nan: Any = math.nan
    if job.metric_names is not None:
        nan = dict.fromkeys(job.metric_names, math.nan)
    elif landed and isinstance(landed[0].test_scores, dict):
        nan = dict.fromkeys(landed[0].test_scores, math.nan)
    not_run = FoldResult(nan, nan if job.return_train_score else None, 0.0, 0.0, None,
                         skipped=True)
    return [by_fold.get(k, not_run) for k in range(job.n_splits)]


def stopped_rows(trials: Iterable[tuple[int, FrozenTrial]]
                 ) -> dict[int, tuple[str, frozenset[int]]]:
    """``{row: (reason, folds it finished)}`` for the stopped trials among ``(row, trial)``."""
    return {row: (trial.message or "racing: stopped", frozenset(f.fold for f in trial.folds))
            for row, trial in trials if trial.state is TrialState.PRUNED}


def apply_stops(results: dict[str, Any], folds: Sequence[FoldResult], n_splits: int,
                stopped: Mapping[int, tuple[str, frozenset[int]]]) -> dict[str, Any]:
    """``cv_results_`` with stopped rows over their finished folds, re-ranked, and
    ``results["stopped"]`` (``""`` for the others). ``folds`` are candidate-major."""
    n = len(results["params"])
    for row, (_, done) in stopped.items():
        kept = sorted(done)
        for key in ("fit_time", "score_time"):
            values = np.array([getattr(folds[row * n_splits + k], key) for k in kept])
            _set_mean_std(results, key, row, values)
        for name in [k[len("mean_"):] for k in results if k.startswith(("mean_test_",
                                                                        "mean_train_"))]:
            columns = [f"split{k}_{name}" for k in range(n_splits)]
            for k, column in enumerate(columns):
                if k not in done:
                    results[column][row] = np.nan
            _set_mean_std(results, name, row, np.array([results[columns[k]][row]
                                                        for k in kept]))
    partial = np.zeros(n, dtype=bool)
    partial[list(stopped)] = True
    for key in [k for k in results if k.startswith("rank_test_")]:
        results[key] = _rank_with_stops(results[f"mean_{key[len('rank_'):]}"], partial)
    reasons = np.empty(n, dtype=object)
    reasons[:] = [stopped[i][0] if i in stopped else "" for i in range(n)]
    results[STOPPED] = reasons
    return results


def _set_mean_std(results: dict[str, Any], name: str, row: int, values: np.ndarray) -> None:
    mean = np.average(values) if values.size else np.nan
    results[f"mean_{name}"][row] = mean
    results[f"std_{name}"][row] = np.sqrt(np.average((values - mean) ** 2)) if values.size \
        else np.nan


def _rank_with_stops(means: np.ndarray, partial: np.ndarray) -> np.ndarray:
    """Rank 1 best: full candidates by mean, then stopped ones by theirs, then NaN ones."""
    finite = np.isfinite(means)
    groups = [finite & ~partial, finite & partial, ~finite]
    ranks = np.empty(means.shape, dtype=np.int32)
    offset = 0
    for group in groups:
        if group.any():
            ranks[group] = offset + rankdata(-means[group], method="min").astype(np.int32)
        offset += int(group.sum())
    if groups[2].any():  # failed candidates tie below every other, as in scikit-learn
        ranks[groups[2]] = int((~groups[2]).sum()) + 1
    return ranks
