"""A candidate's folds as storage keeps them (typed :class:`~tunesmith.FoldRecord` rows)
and as the drop-ins aggregate them (:class:`~tunesmith.sklearn._evaluate.FoldResult`).

A fold's scores are a number (one scorer) or a dict (several metrics, or a callable
scorer returning a dict); storage keeps a dict either way, a lone scorer under
``"score"``. Which one a trial had is known from the search's scoring, and marked on
the trial (``attrs["multimetric"]``) for a callable's dict, the one case the scoring
does not tell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.records import FoldRecord, FrozenTrial
from tunesmith.sklearn._evaluate import FoldResult

__all__ = ["MULTIMETRIC_ATTR", "fold_records", "fold_results"]

#: Trial attribute set when a fold's scores were a dict.
MULTIMETRIC_ATTR = "multimetric"
_SINGLE = "score"


def fold_records(folds: Sequence[FoldResult]) -> list[FoldRecord]:
    """Landed folds as storage's typed records, in fold order.

    >>> fold_records([FoldResult(0.75, None, 0.01, 0.002)])[0].test_scores
    {'score': 0.75}
    """
    return [
        FoldRecord(fold=k, test_scores=_as_dict(f.test_scores),
                   train_scores=None if f.train_scores is None else _as_dict(f.train_scores),
                   fit_time=float(f.fit_time), score_time=float(f.score_time),
                   fit_error=f.fit_error, score_error=f.score_error)
        for k, f in enumerate(folds)
    ]


def fold_results(trial: FrozenTrial, *, multimetric: bool) -> list[FoldResult]:
    """A finished trial's folds, as the drop-ins aggregate them.

    ``multimetric`` says the search's scoring names several metrics; a trial marked
    ``attrs["multimetric"]`` (a callable's dict) is read as one too.

    >>> record = FrozenTrial(number=0, state="complete",
    ...                      folds=(FoldRecord(0, {"score": 0.5}, fit_time=0.1),))
    >>> fold_results(record, multimetric=False)[0].test_scores
    0.5
    """
    as_dict = multimetric or bool(trial.attrs.get(MULTIMETRIC_ATTR))
    return [
        FoldResult(_scores(f.test_scores, as_dict),
                   None if f.train_scores is None else _scores(f.train_scores, as_dict),
                   f.fit_time, f.score_time, f.fit_error, False, f.score_error)
        for f in trial.folds
    ]


def _as_dict(scores: Any) -> dict[str, float]:
    # float() is exact for every real a scorer returns (float64, float32, int), so a
    # score read back from storage is the very float scikit-learn would average.
    if isinstance(scores, Mapping):
        return {str(name): float(value) for name, value in scores.items()}
    return {_SINGLE: float(scores)}


def _scores(stored: Mapping[str, float], as_dict: bool) -> float | dict[str, float]:
    if as_dict or set(stored) != {_SINGLE}:
        return dict(stored)
    return stored[_SINGLE]
