"""Rows of the SQL storage's tables turned into records (:class:`FrozenTrial`).

Kept apart from the statements that read them: every read of trials (a study's, the
changed ones, one trial, a dashboard's page) ends here, in three result sets (the
trials, their intermediate values, their folds) decoded in one pass.

>>> from tunesmith.records import TrialState
>>> row = (7, 1, 0, None, "complete", 0.5, None, '{"lr": 0.1}', "{}", "{}", None, "me",
...        None, None, None, None, 3)
>>> [(t.number, t.state is TrialState.COMPLETE, t.params, t.intermediate)
...  for t in TrialRows().trials([row], [(7, 0, 0.75)], [])]
[(0, True, {'lr': 0.1}, {0: 0.75})]
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tunesmith.records import Direction, FoldRecord, FrozenTrial, TrialState
from tunesmith.storage import _sql_json as codec
from tunesmith.storage._base import StudySummary

__all__ = ["TrialRows", "merged_json", "row_number", "study_summary"]

_STATES = {state.value: state for state in TrialState}


class TrialRows:
    """Decodes trial rows, remembering the few distinct search spaces a study has."""

    def __init__(self) -> None:
        # Trials of one study mostly share one search space, hence one JSON text.
        self._decode_dimensions = functools.lru_cache(maxsize=256)(codec.decode_dimensions)

    def trials(self, rows: Iterable[Sequence[Any]], values: Iterable[Sequence[Any]],
               folds: Iterable[Sequence[Any]]) -> list[FrozenTrial]:
        """Records of ``rows`` (trial table rows), with their steps and folds.

        ``values`` are ``(trial_id, step, value)`` rows; ``folds`` are fold table rows
        ordered by ``(trial, fold)``.
        """
        steps: dict[int, dict[int, float]] = defaultdict(dict)
        nan = float("nan")
        for trial_id, step, value in values:
            steps[trial_id][step] = nan if value is None else value
        by_trial: dict[int, list[FoldRecord]] = defaultdict(list)
        for (trial_id, fold, test_json, train_json, fit_time, score_time, fit_error,
             score_error) in folds:
            by_trial[trial_id].append(FoldRecord(
                fold=fold,
                test_scores=codec.decode_scores(test_json),
                train_scores=None if train_json is None else codec.decode_scores(train_json),
                fit_time=nan if fit_time is None else fit_time,
                score_time=nan if score_time is None else score_time,
                fit_error=fit_error,
                score_error=score_error,
            ))
        return [
            self.trial(row, steps.get(row[0], {}), tuple(by_trial.get(row[0], ())))
            for row in rows
        ]

    def trial(self, row: Sequence[Any], intermediate: dict[int, float],
              folds: tuple[FoldRecord, ...]) -> FrozenTrial:
        """One trial row's record."""
        # Unpacked by position (the table's column order): attribute access per field
        # was a third of the time of reading 10k trials.
        (trial_id, _study_id, number, candidate, state, value, value_special, params_json,
         dimensions_json, attrs_json, message, owner, started_at, finished_at,
         heartbeat_at, budget, _seq) = row
        return FrozenTrial(
            number=number,
            state=_STATES[state],
            params=codec.decode_params(params_json),
            value=value if value_special is None else float(value_special),
            dimensions=dict(self._decode_dimensions(dimensions_json)),
            attrs=codec.decode_attrs(attrs_json),
            intermediate=intermediate,
            candidate=candidate,
            message=message,
            started_at=started_at,
            finished_at=finished_at,
            owner=owner,
            heartbeat_at=heartbeat_at,
            trial_id=trial_id,
            budget=budget,
            folds=folds,
        )


def row_number(row: Sequence[Any]) -> int:
    """A trial row's number (its third column)."""
    return int(row[2])


def merged_json(stored_json: str, new: Mapping[str, Any]) -> str:
    """Stored JSON object text updated with already-encoded entries."""
    if not new:
        return stored_json
    return codec.dumps({**json.loads(stored_json), **new})


def study_summary(row: Sequence[Any]) -> StudySummary:
    """One row of the studies listing (the study, its trial counts, lowest and highest
    complete value) as a summary whose best follows the study's direction."""
    sid, name, direction_text, created_at, n, n_complete, low, high = row
    direction = Direction(direction_text)
    best = low if direction is Direction.MINIMIZE else high
    return StudySummary(int(sid), name, direction, int(n), int(n_complete),
                        None if best is None else float(best), created_at)
