"""``study.to_pandas()``: one row per trial, for whoever wants the numbers in a table.

Columns, in order: ``number``, ``state``, ``value``, ``params_<name>`` per parameter
(missing where a trial did not use it), ``split<k>_test_<metric>`` per fold and metric
(as in ``cv_results_``; a single scorer's metric is ``score``), ``mean_fit_time`` and
``mean_score_time`` (when the trials have folds), ``started_at``, ``finished_at``,
``duration_s``, ``candidate``, ``budget`` and ``message``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tunesmith.records import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FrameMixin", "trials_frame"]


def _fold_scores(trial: FrozenTrial) -> dict[str, float]:
    if trial.folds:
        return {f"split{f.fold}_test_{metric}": float(score)
                for f in trial.folds for metric, score in f.test_scores.items()}
    stored = (trial.attrs or {}).get("test_scores")  # a native cross-validated objective
    if isinstance(stored, list) and all(isinstance(s, int | float) for s in stored):
        return {f"split{k}_test_score": float(s) for k, s in enumerate(stored)}
    return {}


def _times(trial: FrozenTrial) -> dict[str, float]:
    if trial.folds:
        return {"mean_fit_time": sum(f.fit_time for f in trial.folds) / len(trial.folds),
                "mean_score_time": sum(f.score_time for f in trial.folds) / len(trial.folds)}
    fit = (trial.attrs or {}).get("fit_time")
    if isinstance(fit, list) and fit:
        return {"mean_fit_time": float(sum(fit)) / len(fit)}
    return {}


def trials_frame(trials: Sequence[FrozenTrial]) -> pd.DataFrame:
    """The trials as a :class:`pandas.DataFrame`, one row per trial, in number order.

    >>> from tunesmith.records import FoldRecord, TrialState
    >>> t = FrozenTrial(0, TrialState.COMPLETE, {"C": 1.0}, 0.6,
    ...                 folds=(FoldRecord(0, {"score": 0.5}), FoldRecord(1, {"score": 0.7})))
    >>> trials_frame([t])[["number", "state", "value", "params_C", "split1_test_score"]]
       number     state  value  params_C  split1_test_score
    0       0  complete    0.6       1.0                0.7
    """
    import pandas as pd

    names: dict[str, None] = {}
    splits: dict[str, None] = {}
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        for name in t.params:
            names.setdefault(name, None)
        scores = _fold_scores(t)
        for column in scores:
            splits.setdefault(column, None)
        rows.append((t, scores, _times(t)))
    timed = any(times for _, _, times in rows)
    records = []
    for t, scores, times in rows:
        record: dict[str, Any] = {
            "number": t.number, "state": t.state.value,
            "value": math.nan if t.value is None else float(t.value),
        }
        record.update({f"params_{n}": t.params.get(n) for n in names})
        record.update({c: scores.get(c, math.nan) for c in splits})
        if timed:
            record["mean_fit_time"] = times.get("mean_fit_time", math.nan)
            record["mean_score_time"] = times.get("mean_score_time", math.nan)
        record.update({
            "started_at": t.started_at, "finished_at": t.finished_at,
            "duration_s": math.nan if t.duration is None else t.duration,
            "candidate": t.candidate, "budget": t.budget, "message": t.message,
        })
        records.append(record)
    columns = ["number", "state", "value", *(f"params_{n}" for n in names), *splits,
               *(["mean_fit_time", "mean_score_time"] if timed else []),
               "started_at", "finished_at", "duration_s", "candidate", "budget", "message"]
    return pd.DataFrame.from_records(records, columns=columns)


class _HasTrials(Protocol):
    @property
    def trials(self) -> list[FrozenTrial]: ...


class FrameMixin:
    """Gives :class:`~tunesmith.Study` its ``to_pandas()``."""

    def to_pandas(self: _HasTrials) -> pd.DataFrame:
        """The study's trials as a DataFrame: one row per trial; ``number``, ``state``,
        ``value``, ``params_<name>`` per parameter, ``split<k>_test_<metric>`` per fold,
        fit and score times, start, finish, duration, candidate, budget and message.

        >>> import tunesmith
        >>> study = tunesmith.Study(space={"x": [1.0, 2.0]}, sampler="grid")
        >>> study.optimize(lambda t: t.params["x"] ** 2)
        >>> study.to_pandas()[["number", "state", "value", "params_x"]]
           number     state  value  params_x
        0       0  complete    1.0       1.0
        1       1  complete    4.0       2.0
        """
        return trials_frame(self.trials)
