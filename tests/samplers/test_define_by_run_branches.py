"""Define-by-run with a categorical root: the known space is finite but not the search."""

from __future__ import annotations

import pytest

import tunesmith
from tunesmith.records import TrialState


def _branches(t: tunesmith.Trial) -> float:
    # Each branch asks its own float: after one trial per branch, the parameters every
    # trial shares ({"model"}) have a trial at each of their two points.
    if t.categorical("model", ["a", "b"]) == "a":
        return (t.float("x", 0.0, 1.0) - 0.3) ** 2
    return 0.5 + (t.float("y", 0.0, 1.0) - 0.7) ** 2


@pytest.mark.parametrize("sampler", ["tpe", "gp", "auto"])
def test_a_finite_known_space_does_not_end_a_define_by_run_search(sampler: str) -> None:
    study = tunesmith.Study(sampler=sampler, seed=0)
    study.optimize(_branches, n_trials=30, show_progress=False)
    # Before: the study stopped after 2-4 trials, the last one left running and empty.
    assert len(study.trials) == 30
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert {t.params["model"] for t in study.trials} == {"a", "b"}
    assert study.best_value < 0.01  # branch "a" near x = 0.3
