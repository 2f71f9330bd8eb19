"""Linear models: LogisticRegression, RidgeClassifier, Ridge, Lasso, ElasticNet."""

from __future__ import annotations

from tunesmith.space import Categorical, Condition, Float, Forbidden, Space

__all__ = [
    "elastic_net",
    "lasso",
    "logistic_regression",
    "penalty_is_deprecated",
    "ridge",
    "ridge_classifier",
]

_SOLVERS = ["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"]
# Solvers that only minimise an L2 (or no) penalty, per scikit-learn's solver table.
_L2_ONLY = ["lbfgs", "newton-cg", "newton-cholesky", "sag"]


def penalty_is_deprecated() -> bool:
    """Whether the installed LogisticRegression spells its penalty with ``l1_ratio``.

    scikit-learn 1.8 deprecated ``penalty`` (removed in 1.10): the mix of L1 and L2
    is ``l1_ratio`` alone. Spaces written with ``penalty`` would warn on every fit.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().get_params().get("penalty") == "deprecated"


def logistic_regression(prefix: str = "", *, legacy: bool | None = None) -> Space:
    """C on a log scale, the solver, and the L1/L2 mix where the solver supports it.

    scikit-learn >= 1.8 (``legacy=False``): ``l1_ratio`` in {0, .25, .5, .75, 1},
    active only for liblinear and saga, liblinear only at 0 or 1 (its docs' table).
    Older releases (``legacy=True``): ``penalty`` with its known forbidden solver
    pairs, ``l1_ratio`` only for elasticnet and ``C`` unused without a penalty.
    Note: liblinear fits binary targets only; probe the space with the data
    (:func:`tunesmith.sklearn.probe_space`) to drop it for a multiclass target.
    """
    p = prefix
    if legacy is None:
        legacy = not penalty_is_deprecated()
    class_weight = Categorical([None, "balanced"])
    C = Float(1e-4, 1e4, log=True)
    if not legacy:
        return Space(
            {
                f"{p}C": C,
                f"{p}class_weight": class_weight,
                f"{p}l1_ratio": Categorical([0.0, 0.25, 0.5, 0.75, 1.0]),
                f"{p}solver": Categorical(_SOLVERS),
            },
            conditions=[Condition(f"{p}l1_ratio", f"{p}solver", ["liblinear", "saga"])],
            forbidden=[Forbidden({f"{p}solver": ["liblinear"], f"{p}l1_ratio": [0.25, 0.5, 0.75]})],
        )
    return Space(
        {
            f"{p}C": C,
            f"{p}class_weight": class_weight,
            f"{p}l1_ratio": Float(0.0, 1.0),
            f"{p}penalty": Categorical(["l1", "l2", "elasticnet", None]),
            f"{p}solver": Categorical(_SOLVERS),
        },
        conditions=[
            Condition(f"{p}l1_ratio", f"{p}penalty", ["elasticnet"]),
            Condition(f"{p}C", f"{p}penalty", ["l1", "l2", "elasticnet"]),
        ],
        forbidden=[
            Forbidden({f"{p}penalty": ["l1", "elasticnet"], f"{p}solver": _L2_ONLY}),
            Forbidden({f"{p}penalty": ["elasticnet", None], f"{p}solver": ["liblinear"]}),
        ],
    )


def ridge_classifier(prefix: str = "") -> Space:
    """Regularisation strength on a log scale, class weights."""
    return Space({
        f"{prefix}alpha": Float(1e-4, 1e4, log=True),
        f"{prefix}class_weight": Categorical([None, "balanced"]),
    })


def ridge(prefix: str = "") -> Space:
    """Regularisation strength on a log scale."""
    return Space({f"{prefix}alpha": Float(1e-4, 1e4, log=True)})


def lasso(prefix: str = "") -> Space:
    """Regularisation strength on a log scale (large alphas zero every weight)."""
    return Space({f"{prefix}alpha": Float(1e-5, 10.0, log=True)})


def elastic_net(prefix: str = "") -> Space:
    """Strength on a log scale and the L1 share (above 0: 0 is Ridge, tuned better there)."""
    return Space({
        f"{prefix}alpha": Float(1e-5, 10.0, log=True),
        f"{prefix}l1_ratio": Float(0.05, 1.0),
    })
