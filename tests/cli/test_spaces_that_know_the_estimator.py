"""Study files without a [space] get the estimator's ready-made space; native searches
never spend a trial on a combination the estimator rejects whatever the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterGrid, cross_val_score
from sklearn.svm import SVC

from tunesmith.spaces import space_for

NO_SPACE = """\
[data]
dataset = "iris"

[estimator]
class = "{cls}"

[search]
strategy = "{strategy}"
{trials}cv = 3
seed = 1
"""

LOGISTIC_SPACE = """\
[data]
dataset = "iris"

[estimator]
class = "sklearn.linear_model.LogisticRegression"
params = { max_iter = 2000 }

[space]
C = { low = 1e-2, high = 1e2, log = true }
penalty = ["l1", "l2", "None"]
solver = ["lbfgs", "liblinear", "saga"]

[search]
strategy = "random"
n_trials = 12
cv = 3
seed = 0
"""


def _run(cli, study_file, text: str, tmp_path: Path):
    path = study_file(text)
    return cli("run", path, "--storage", tmp_path / "s.db", "--format", "json", "--n-jobs", "1")


@pytest.mark.slow
def test_no_space_uses_the_ready_made_one_and_says_so(cli, study_file, tmp_path) -> None:
    text = NO_SPACE.format(cls="sklearn.svm.SVC", strategy="random", trials="n_trials = 8\n")
    result = _run(cli, study_file, text, tmp_path)
    assert result.code == 0, result.err
    assert "no [space] in the study file: tuning SVC's ready-made space" in result.err
    summary = json.loads(result.out)
    assert summary["n_trials"] == 8 and summary["states"] == {"complete": 8}
    space = space_for(SVC())
    trials = json.loads(cli("trials", "study", "--storage", tmp_path / "s.db",
                            "--format", "json").out)
    for trial in trials:
        # Every point is a valid point of the ready-made space, conditions included.
        assert set(trial["params"]) <= set(space.names)
        assert space.is_valid(trial["params"]), trial["params"]


def test_no_space_with_a_grid_is_a_one_line_error(cli, study_file, tmp_path) -> None:
    text = NO_SPACE.format(cls="sklearn.svm.SVC", strategy="grid", trials="")
    result = _run(cli, study_file, text, tmp_path)
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "space: no [space] table: the ready-made space for SVC has continuous ranges" \
        in result.err
    assert not (tmp_path / "s.db").exists()  # refused before any storage is touched


def test_no_space_for_an_estimator_without_one_names_the_supported(cli, study_file,
                                                                    tmp_path) -> None:
    text = NO_SPACE.format(cls="sklearn.tree.DecisionTreeClassifier", strategy="random",
                           trials="n_trials = 3\n")
    result = _run(cli, study_file, text, tmp_path)
    assert result.code == 2
    assert "no ready-made space for DecisionTreeClassifier (there is one for: " in result.err
    assert "LogisticRegression" in result.err and "add a [space] table" in result.err


@pytest.mark.slow
def test_native_search_spends_no_trial_on_invalid_combinations(cli, study_file,
                                                                tmp_path) -> None:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    # What scikit-learn says about each penalty x solver pair on this data: the pairs
    # it rejects are exactly the ones whose cross-validation fails.
    rejected = set()
    for pair in ParameterGrid({"penalty": ["l1", "l2", None],
                               "solver": ["lbfgs", "liblinear", "saga"]}):
        try:
            cross_val_score(LogisticRegression(max_iter=50, **pair), X, y, cv=3)
        except ValueError:  # scikit-learn: "All the 3 fits failed"
            rejected.add((pair["penalty"], pair["solver"]))
    assert rejected  # lbfgs with l1, and liblinear on three classes, among others

    result = _run(cli, study_file, LOGISTIC_SPACE, tmp_path)
    assert result.code == 0, result.err
    assert "parameter combinations will not be tried: LogisticRegression rejects them" \
        in result.err
    summary = json.loads(result.out)
    assert summary["states"] == {"complete": 12}  # 12 trials, 12 models that fitted
    trials = json.loads(cli("trials", "study", "--storage", tmp_path / "s.db",
                            "--format", "json").out)
    tried = {(t["params"]["penalty"], t["params"]["solver"]) for t in trials}
    assert not tried & rejected
