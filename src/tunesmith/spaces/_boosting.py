"""Gradient boosting: HistGradientBoosting (scikit-learn), XGBoost, LightGBM.

The XGBoost and LightGBM spaces are plain data: building them does not import
those packages. The registry lists them only when the package is installed.
"""

from __future__ import annotations

from tunesmith.space import Categorical, Condition, Float, Int, Space

__all__ = ["hist_gradient_boosting", "lightgbm", "xgboost"]


def hist_gradient_boosting(prefix: str = "", *, classifier: bool) -> Space:
    """Learning rate and rounds (log), leaves, leaf size, L2, feature share."""
    p = prefix
    dims = {
        f"{p}learning_rate": Float(0.01, 0.3, log=True),
        f"{p}max_iter": Int(50, 500, log=True),
        f"{p}max_leaf_nodes": Int(8, 128, log=True),
        f"{p}min_samples_leaf": Int(5, 100, log=True),
        f"{p}l2_regularization": Float(1e-6, 10.0, log=True),
        f"{p}max_features": Float(0.3, 1.0),
    }
    if classifier:
        dims[f"{p}class_weight"] = Categorical([None, "balanced"])
    else:
        # poisson and gamma losses need a positive target: not by default.
        dims[f"{p}loss"] = Categorical(["squared_error", "absolute_error"])
    return Space(dims)


def xgboost(prefix: str = "") -> Space:
    """The usual XGBoost ranges: rounds, learning rate, depth, sampling, L1/L2."""
    p = prefix
    return Space({
        f"{p}n_estimators": Int(50, 1000, log=True),
        f"{p}learning_rate": Float(1e-3, 0.3, log=True),
        f"{p}max_depth": Int(2, 10),
        f"{p}min_child_weight": Float(0.5, 20.0, log=True),
        f"{p}subsample": Float(0.5, 1.0),
        f"{p}colsample_bytree": Float(0.5, 1.0),
        f"{p}reg_lambda": Float(1e-8, 10.0, log=True),
        f"{p}reg_alpha": Float(1e-8, 10.0, log=True),
    })


def lightgbm(prefix: str = "") -> Space:
    """The usual LightGBM ranges; row sampling only when bagging is switched on.

    LightGBM ignores ``subsample`` unless ``subsample_freq`` > 0, hence the condition.
    """
    p = prefix
    return Space(
        {
            f"{p}n_estimators": Int(50, 1000, log=True),
            f"{p}learning_rate": Float(1e-3, 0.3, log=True),
            f"{p}num_leaves": Int(8, 256, log=True),
            f"{p}min_child_samples": Int(5, 100, log=True),
            f"{p}subsample_freq": Categorical([0, 1]),
            f"{p}subsample": Float(0.5, 1.0),
            f"{p}colsample_bytree": Float(0.5, 1.0),
            f"{p}reg_lambda": Float(1e-8, 10.0, log=True),
            f"{p}reg_alpha": Float(1e-8, 10.0, log=True),
        },
        conditions=[Condition(f"{p}subsample", f"{p}subsample_freq", [1])],
    )
