"""``racing = true`` in a study file's ``[search]``: the drop-ins race, the rest refuse."""

from __future__ import annotations

import numpy as np
import pytest

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


@pytest.mark.slow  # a full CLI search
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


def _stopped_folds(path) -> dict[float, int]:
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        trials = storage.trials(storage.study_id(path.stem))
    return {t.params["C"]: len(t.folds) for t in trials if t.state is TrialState.PRUNED}


@pytest.mark.slow  # full CLI searches with racing
def test_racing_settings_in_a_table_reach_the_race(cli, study_file) -> None:
    # min_folds = 4 of 5: nobody is judged before its 4th fold, so whoever is stopped
    # (the hopeless C=1e-5 at least) stops with exactly 4 folds; the default's
    # min_folds = 2 stops it with fewer.
    path = study_file(RACED.replace("racing = true", "racing = { min_folds = 4 }"))
    result = cli("run", path, "--no-progress", "--format", "json")
    assert result.code == 0, result.err
    stopped = _stopped_folds(path)
    assert 0.00001 in stopped and set(stopped.values()) == {4}
    shown = cli("show", path)  # the study says how it raced
    assert "cv=5, scoring=accuracy, racing (min_folds=4)" in " ".join(shown.out.split())
    default = study_file(RACED, name="default.toml")
    assert cli("run", default, "--no-progress", "--format", "json").code == 0
    assert _stopped_folds(default)[0.00001] < 4


@pytest.mark.slow  # full CLI searches with racing
def test_a_racing_tolerance_in_the_study_file_stops_what_the_python_api_stops(
        cli, study_file) -> None:
    from sklearn.linear_model import LogisticRegression

    from tunesmith.cli._config import DataSettings
    from tunesmith.cli._data import load_data
    from tunesmith.sklearn import GridSearchCV, Racing

    values = [0.00001, 0.01, 0.1, 1.0, 10.0]
    text = RACED.replace("C = [0.00001, 1.0, 10.0]", f"C = {values}").replace(
        "racing = true", "racing = { tolerance = 0.05, confidence = 0.9 }")
    path = study_file(text)
    result = cli("run", path, "--no-progress", "--format", "json")
    assert result.code == 0, result.err

    data = load_data(DataSettings(dataset="iris"))  # the run's training rows
    X, y = data.X, data.y
    search = GridSearchCV(LogisticRegression(), {"C": values}, cv=5, scoring="accuracy",
                          racing=Racing(confidence=0.9, tolerance=0.05)).fit(X, y)
    python = {c["C"]: int(sum(~np.isnan(search.cv_results_[f"split{i}_test_score"][k])
                              for i in range(5)))
              for k, c in enumerate(search.cv_results_["params"])
              if search.cv_results_["stopped"][k]}
    assert _stopped_folds(path) == python
    # The zone stopped more than the plain test would: racing = true keeps them racing.
    plain = study_file(text.replace("racing = { tolerance = 0.05, confidence = 0.9 }",
                                    "racing = { confidence = 0.9 }"), name="plain.toml")
    assert cli("run", plain, "--no-progress", "--format", "json").code == 0
    assert set(_stopped_folds(plain)) < set(python)


@pytest.mark.parametrize(("setting", "says"), [
    ("{ patience = 3 }", "unknown racing setting 'patience'"),
    ("{ confidence = 1.5 }", "confidence must be a number between 0 and 1"),
    ('{ method = "anova" }', "method must be one of"),
    ("{ min_folds = 5 }", "min_folds = 5 leaves nothing to race with cv = 5"),
    ("{ tolerance = -0.1 }", "tolerance must be a finite number >= 0"),
    ('"yes"', "search.racing"),
])
def test_bad_racing_settings_are_one_line(cli, study_file, setting: str, says: str) -> None:
    path = study_file(RACED.replace("racing = true", f"racing = {setting}"))
    result = cli("run", path, "--no-progress")
    assert result.code == 2
    assert "search.racing" in result.err and says in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not path.with_suffix(".db").exists()  # refused before any study was made


COPIES = RACED.replace("C = [0.00001, 1.0, 10.0]",
                       'C = [0.00001, 1.0, 10.0]\npenalty = ["l2", "None"]')


@pytest.mark.slow  # a full CLI search
def test_the_run_says_what_racing_stopped_and_the_fits_it_spent(cli, study_file) -> None:
    """penalty=None idles C: two of its three candidates are copies of the first."""
    path = study_file(COPIES)
    result = cli("run", path, "--no-progress")
    assert result.code == 0, result.err
    with open_storage(f"sqlite:///{path.with_suffix('.db')}") as storage:
        trials = storage.trials(storage.study_id(path.stem))
    copies = [t for t in trials if (t.message or "").startswith("racing: the same model as")]
    assert sorted(t.params["C"] for t in copies) == [1.0, 10.0]
    assert all(t.params["penalty"] is None and len(t.folds) == 2 for t in copies)
    worse = [t for t in trials if (t.message or "").startswith("racing: worse than")]
    ran = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    out = " ".join(result.out.split())
    line = out[out.index("stopped early"):out.index(" fits") + len(" fits")]
    assert line.startswith(f"stopped early {len(copies) + len(worse)} trials: ")
    assert "2 the same model as an earlier candidate" in line
    assert (f"{len(worse)} worse than the leader" in line) == bool(worse)
    assert line.endswith(f"; {sum(len(t.folds) for t in ran)} of {len(ran) * 5} fits")
