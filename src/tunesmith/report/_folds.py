"""The fold-score spread's data: the top candidates' fold scores, and the default's."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._data import fold_metric, fold_scores, ranked

__all__ = ["FoldSpread", "fold_spread", "params_text"]


@dataclass(frozen=True)
class FoldSpread:
    """Boxes in display order: ``(label, fold scores, hover text, is_default)``."""

    metric: str
    boxes: list[tuple[str, np.ndarray, str, bool]]
    n_top: int
    has_default: bool


def params_text(params: Mapping[str, Any]) -> str:
    """``a=1, b='x'``: a trial's parameters on one line."""
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def fold_spread(trials: Sequence[FrozenTrial], direction: Direction | str,
                default: FrozenTrial | Sequence[float] | None = None, top: int = 10
                ) -> FoldSpread:
    """The fold scores of the ``top`` best complete trials (best first), then the default.

    >>> from tunesmith.records import FoldRecord, FrozenTrial, TrialState
    >>> folds = lambda *s: tuple(FoldRecord(fold=k, test_scores={"score": v})
    ...                          for k, v in enumerate(s))
    >>> trials = [FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.8,
    ...                       folds=folds(0.7, 0.9)),
    ...           FrozenTrial(number=1, state=TrialState.COMPLETE, value=0.9,
    ...                       folds=folds(0.85, 0.95))]
    >>> [(label, s.tolist()) for label, s, _, _ in fold_spread(trials, "maximize").boxes]
    [('#1', [0.85, 0.95]), ('#0', [0.7, 0.9])]
    """
    if isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    done = ranked(trials, direction)
    metric = fold_metric(done)
    if metric is None:
        raise ValueError(
            "the fold spread needs trials with per-fold scores (a scikit-learn drop-in "
            "search or a CLI study); none of these complete trials has any")
    best = [t for t in done if fold_scores(t, metric).size][: int(top)]
    boxes = [(f"#{t.number}", fold_scores(t, metric), params_text(t.params), False)
             for t in best]
    if default is not None:
        boxes.append(("default", _default_scores(default, metric), "the default parameters",
                      True))
    return FoldSpread(metric, boxes, len(best), default is not None)


def _default_scores(default: FrozenTrial | Sequence[float], metric: str) -> np.ndarray:
    if isinstance(default, FrozenTrial):
        if not default.folds:
            raise ValueError(f"default trial #{default.number} has no fold scores; pass the "
                             "default model's trial evaluated on the same folds")
        return fold_scores(default, metric)
    if isinstance(default, (str, bytes)) or not isinstance(default, Sequence | np.ndarray):
        raise TypeError("default must be the default model's FrozenTrial or its fold scores "
                        f"(a sequence of numbers), got {type(default).__name__}")
    try:
        scores = np.array([float(s) for s in default], dtype=float)
    except (TypeError, ValueError):
        raise ValueError("default fold scores must be numbers, got "
                         f"{list(default)!r}") from None
    if len(scores) == 0 or np.isinf(scores).any():
        raise ValueError("default fold scores must be a non-empty list of finite numbers "
                         f"(NaN for a failed fold), got {list(default)!r}")
    return scores
