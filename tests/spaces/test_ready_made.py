"""Ready-made spaces: every point they can propose fits, and discovery agrees."""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from tunesmith.sklearn._discovery import find_invalid_candidates
from tunesmith.space import Categorical, Space
from tunesmith.spaces import READY_MADE, build_registry, space_for
from tunesmith.spaces._linear import logistic_regression

SKLEARN_ESTIMATORS = {
    cls.__name__: cls
    for cls in [
        LogisticRegression, RidgeClassifier, Ridge, Lasso, ElasticNet, SVC, SVR, LinearSVC,
        KNeighborsClassifier, KNeighborsRegressor, RandomForestClassifier,
        RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor,
        HistGradientBoostingClassifier, HistGradientBoostingRegressor,
    ]
}
N_SAMPLED = 30
# Fitting 500 trees or boosting rounds for each of 30 points would take most of a
# minute without telling more: sampled points fit with at most this many; the
# corners (which include the largest sizes) fit with exactly what they propose.
SIZE_CAP = {"n_estimators": 10, "max_iter": 10}


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def _points(space: Space, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """30 seeded samples, and corners: each dimension at its ends (every choice of a
    categorical), the rest sampled; conditions and forbidden combinations respected."""
    rng = np.random.default_rng(seed)
    sampled = [space.sample(rng) for _ in range(N_SAMPLED)]
    corners = []
    for name, dim in space.items():
        ends = dim.values() if isinstance(dim, Categorical) else (dim.from_unit(0.0),
                                                                    dim.from_unit(1.0))
        for value in ends:
            full = {n: d.sample(rng) for n, d in space.items()}
            full[name] = value
            point = {n: full[n] for n in space.active_names(full)}
            if space.is_valid(point):
                corners.append(point)
    return sampled, corners


def _fit(estimator: Any, point: dict, X, y, *, cap: bool) -> None:
    model = clone(estimator).set_params(**point)
    if cap:
        model.set_params(**{
            name: min(value, SIZE_CAP[name.rsplit("__", 1)[-1]])
            for name, value in model.get_params().items()
            if name.rsplit("__", 1)[-1] in SIZE_CAP and isinstance(value, int)
        })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings are not failures
        model.fit(X, y)


def _check_every_point_fits(estimator: Any, space: Space, data) -> None:
    X, y = data
    sampled, corners = _points(space)
    assert len(sampled) == N_SAMPLED and corners
    report = find_invalid_candidates(estimator, sampled + corners, X, y)
    assert report.reasons == {}, report.summary()
    for point in sampled:
        _fit(estimator, point, X, y, cap=True)
    for point in corners:
        _fit(estimator, point, X, y, cap=False)


def test_registry_lists_every_tested_estimator():
    sklearn_entries = {name for name, e in READY_MADE.items() if e.package == "sklearn"}
    assert sklearn_entries == set(SKLEARN_ESTIMATORS)


# The ensembles and SVR take seconds each: slow (the others keep the fast run covered).
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in {
    "SVR", "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
    "ExtraTreesRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor"} else n for n in sorted(SKLEARN_ESTIMATORS)])
def test_every_point_of_a_ready_made_space_fits(name, classification, regression):
    estimator = SKLEARN_ESTIMATORS[name]()
    space = space_for(estimator)
    assert set(space.names) <= set(estimator.get_params())
    _check_every_point_fits(estimator, space, classification if is_classifier(estimator)
                            else regression)


def test_legacy_logistic_regression_space_fits(classification):
    # The pre-1.8 spelling with ``penalty`` still works in 1.9 (with a warning).
    space = logistic_regression(legacy=True)
    assert "penalty" in space.names
    _check_every_point_fits(LogisticRegression(), space, classification)


@pytest.mark.pinned_sklearn  # 1.9's table: penalty gave way to l1_ratio
def test_logistic_regression_follows_the_solver_table():
    space = space_for(LogisticRegression())
    assert space.active_names({"C": 1.0, "class_weight": None, "solver": "lbfgs"}) == (
        "C", "class_weight", "solver"
    )
    assert "l1_ratio" in space.active_names({"C": 1.0, "solver": "saga", "l1_ratio": 0.5,
                                              "class_weight": None})
    point = {"C": 1.0, "class_weight": None, "solver": "liblinear"}
    assert space.is_valid({**point, "l1_ratio": 1.0})
    assert not space.is_valid({**point, "l1_ratio": 0.5})
    assert space["C"].log


def test_legacy_logistic_regression_forbids_solver_penalty_pairs():
    space = logistic_regression(legacy=True)
    base = {"C": 1.0, "class_weight": None}
    assert not space.is_valid({**base, "penalty": "l1", "solver": "lbfgs"})
    assert not space.is_valid({**base, "penalty": "elasticnet", "solver": "liblinear",
                               "l1_ratio": 0.5})
    assert space.is_valid({**base, "penalty": "l1", "solver": "liblinear"})
    assert space.active_names({"class_weight": None, "penalty": None, "solver": "lbfgs"}) == (
        "class_weight", "penalty", "solver"
    )


def test_svc_kernel_parameters_are_conditional():
    space = space_for(SVC)
    assert set(space.active_names({"C": 1.0, "class_weight": None, "kernel": "linear"})) == {
        "C", "class_weight", "kernel"
    }
    poly = {"C": 1.0, "class_weight": None, "kernel": "poly", "gamma": 0.1, "degree": 3,
            "coef0": 0.0}
    assert set(space.active_names(poly)) == set(poly)


def test_pipeline_gets_its_final_steps_space_with_prefixed_names():
    pipe = make_pipeline(StandardScaler(), SVC())
    space = space_for(pipe)
    assert set(space.names) == {f"svc__{n}" for n in space_for(SVC()).names}
    assert set(space.active_names({"svc__C": 1.0, "svc__class_weight": None,
                                   "svc__kernel": "linear"})) == {
        "svc__C", "svc__class_weight", "svc__kernel"
    }
    nested = Pipeline([("prep", StandardScaler()),
                       ("inner", Pipeline([("lr", LogisticRegression())]))])
    names = space_for(nested).names
    assert "inner__lr__C" in names
    point = space_for(nested).sample(np.random.default_rng(0))
    nested.set_params(**point)  # the names are what set_params expects


def test_unsupported_estimators_are_named_with_the_supported_ones():
    with pytest.raises(TypeError, match=r"no ready-made space for DecisionTreeClassifier; "
                                        r"there is one for: .*LogisticRegression"):
        space_for(DecisionTreeClassifier())
    with pytest.raises(TypeError, match="final step 'clf' is 'passthrough'"):
        space_for(Pipeline([("scale", StandardScaler()), ("clf", "passthrough")]))


class LogisticRegressionLookalike(LogisticRegression):
    """A subclass: it gets LogisticRegression's space."""


class LogisticRegression2:
    pass


LogisticRegression2.__name__ = "LogisticRegression"  # same name, another package


def test_lookup_follows_subclasses_but_not_namesakes():
    assert space_for(LogisticRegressionLookalike()) == space_for(LogisticRegression())
    with pytest.raises(TypeError, match="no ready-made space"):
        space_for(LogisticRegression2())


def test_optional_entries_only_when_installed():
    without = build_registry(find_spec=lambda name: None)
    assert not {"XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor"} & set(without)
    only_xgb = build_registry(find_spec=lambda name: object() if name == "xgboost" else None)
    assert {"XGBClassifier", "XGBRegressor"} <= set(only_xgb)
    assert "LGBMClassifier" not in only_xgb
    every = build_registry(find_spec=lambda name: object())
    assert every["LGBMClassifier"].package == "lightgbm"
    # The spaces are plain data: building them needs neither package.
    assert "learning_rate" in every["XGBRegressor"].space().names
    lgbm = every["LGBMRegressor"].space("model__")
    assert lgbm.active_names({**{n: 1 for n in lgbm.names}, "model__subsample_freq": 0}) == \
        tuple(n for n in lgbm.names if n != "model__subsample")
    for package, name in (("xgboost", "XGBClassifier"), ("lightgbm", "LGBMClassifier")):
        installed = importlib.util.find_spec(package) is not None
        assert (name in READY_MADE) == installed


@pytest.mark.parametrize(("package", "classifier", "regressor"),
                         [("xgboost", "XGBClassifier", "XGBRegressor"),
                          ("lightgbm", "LGBMClassifier", "LGBMRegressor")])
def test_boosting_libraries_spaces_fit(package, classifier, regressor, classification,
                                       regression):
    module = pytest.importorskip(package)
    for name, data in ((classifier, classification), (regressor, regression)):
        estimator = getattr(module, name)()
        _check_every_point_fits(estimator, space_for(estimator), data)


def test_ready_made_spaces_round_trip_through_json():
    for entry in READY_MADE.values():
        space = entry.space("step__")
        assert Space.from_json(space.to_json()) == space
