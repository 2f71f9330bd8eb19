"""study.to_pandas(): one row per stored trial, its columns and values as stored."""

from __future__ import annotations

import math

import numpy as np
from sklearn.datasets import load_iris
from sklearn.svm import SVC

import tunesmith
from tunesmith.sklearn import GridSearchCV
from tunesmith.study._frame import trials_frame


def test_native_study_rows_match_the_trials() -> None:
    def objective(trial: tunesmith.Trial) -> float:
        if trial.params["kind"] == "bad":
            raise RuntimeError("no good")
        return trial.params["x"] ** 2

    space = {"x": tunesmith.Float(-1.0, 1.0), "kind": tunesmith.Categorical(["ok", "bad"])}
    study = tunesmith.Study(space=space, seed=3)
    study.optimize(objective, n_trials=12)
    frame = study.to_pandas()
    trials = study.trials
    assert list(frame.columns[:5]) == ["number", "state", "value", "params_x", "params_kind"]
    assert len(frame) == 12 and frame["number"].tolist() == list(range(12))
    for row, t in zip(frame.itertuples(index=False), trials, strict=True):
        assert row.state == t.state.value
        assert row.params_x == t.params["x"] and row.params_kind == t.params["kind"]
        if t.value is None:
            assert math.isnan(row.value) and "no good" in row.message
        else:
            assert row.value == t.value == t.params["x"] ** 2
        assert row.duration_s == t.duration
    assert set(frame["state"]) == {"complete", "failed"}


def test_drop_in_folds_are_columns_like_cv_results() -> None:
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0]}, cv=4).fit(X, y)
    frame = trials_frame(search.study_.trials)
    for k in range(4):
        assert frame[f"split{k}_test_score"].tolist() == \
            search.cv_results_[f"split{k}_test_score"].tolist()
    assert frame["params_C"].tolist() == [0.1, 1.0, 10.0]
    assert np.allclose(frame["mean_fit_time"], search.cv_results_["mean_fit_time"])
    assert frame["value"].tolist() == search.cv_results_["mean_test_score"].tolist()


def test_cross_validated_objective_folds_from_attrs() -> None:
    t = tunesmith.FrozenTrial(0, tunesmith.TrialState.COMPLETE, {"a": 1}, 0.5,
                              attrs={"test_scores": [0.4, 0.6], "fit_time": [0.1, 0.3]})
    frame = trials_frame([t])
    assert frame[["split0_test_score", "split1_test_score"]].iloc[0].tolist() == [0.4, 0.6]
    assert frame["mean_fit_time"].iloc[0] == 0.2


def test_empty_study() -> None:
    frame = tunesmith.Study(space={"x": [1]}).to_pandas()
    assert len(frame) == 0 and list(frame.columns[:3]) == ["number", "state", "value"]
