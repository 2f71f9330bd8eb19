"""Tree ensembles: random forests and extremely randomised trees."""

from __future__ import annotations

from tunesmith.space import Categorical, Condition, Float, Int, Space

__all__ = ["forest"]

# Regressors keep their default criterion: of the others forests accept, poisson needs a
# non-negative target and absolute_error is slow (friedman_mse is for boosting only).
_CLASSIFIER_CRITERIA = ["gini", "entropy", "log_loss"]


def forest(prefix: str = "", *, classifier: bool) -> Space:
    """Trees (50 to 500, log), depth, leaf sizes, feature share, bootstrap.

    ``max_samples`` (the share of rows each tree draws) only applies with
    ``bootstrap=True``, so it is conditional on it.
    """
    p = prefix
    dims = {
        f"{p}n_estimators": Int(50, 500, log=True),
        f"{p}max_depth": Categorical([None, 4, 8, 16, 32]),
        f"{p}min_samples_split": Int(2, 20),
        f"{p}min_samples_leaf": Int(1, 20, log=True),
        f"{p}max_features": Float(0.1, 1.0),
        f"{p}bootstrap": Categorical([True, False]),
        f"{p}max_samples": Float(0.5, 1.0),
    }
    if classifier:
        dims[f"{p}criterion"] = Categorical(_CLASSIFIER_CRITERIA)
        dims[f"{p}class_weight"] = Categorical([None, "balanced", "balanced_subsample"])
    return Space(
        dims, conditions=[Condition(f"{p}max_samples", f"{p}bootstrap", [True])]
    )
