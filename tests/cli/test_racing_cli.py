"""``racing = true`` in a study file's ``[search]``: the drop-ins race, the rest refuse."""

from __future__ import annotations

from tunesmith import TrialState
from tunesmith.storage import open_storage

RACED = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.linear_model.LogisticRegression"

[space]
C = [0.00001, 1.0, 10.0]

[search]
strategy = "grid"
cv = 5
scoring = "accuracy"
racing = true
"""


def test_racing_in_a_study_file_stops_a_clearly_worse_candidate(cli, study_file) -> None:
    path = study_file(RACED)  # C=1e-5: all but a constant prediction
    result = cli("run", path, "--no-progress", "--format", "json")
    assert result.code == 0, result.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        trials = storage.trials(storage.study_id(path.stem))
    stopped = [t for t in trials if t.state is TrialState.PRUNED]
    assert [t.params["C"] for t in stopped] == [0.00001]
    assert stopped[0].message.startswith("racing: worse than candidate")
    assert 2 <= len(stopped[0].folds) < 5
    assert all(len(t.folds) == 5 for t in trials if t.state is TrialState.COMPLETE)


def test_racing_needs_a_drop_in_search(cli, study_file, iris_grid: str) -> None:
    text = iris_grid.replace('strategy = "grid"', 'strategy = "tpe"\nn_trials = 4\nracing = true')
    text = text.replace("n_neighbors = [1, 5, 15]",
                        'n_neighbors = { low = 1, high = 15, type = "int" }')
    result = cli("run", study_file(text), "--no-progress")
    assert result.code == 2
    assert "search.racing: racing needs a grid or random search" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_racing_must_be_a_boolean(cli, study_file, iris_grid: str) -> None:
    text = iris_grid.replace('scoring = "accuracy"', 'scoring = "accuracy"\nracing = "yes"')
    result = cli("run", study_file(text), "--no-progress")
    assert result.code == 2
    assert "search.racing" in result.err and len(result.err.strip().splitlines()) == 1
