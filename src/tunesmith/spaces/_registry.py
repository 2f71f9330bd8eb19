"""The registry of ready-made spaces and the lookup from an estimator to its space."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from tunesmith.space import Space
from tunesmith.spaces import _boosting, _linear, _neighbors, _svm, _trees

__all__ = ["READY_MADE", "ReadyMade", "build_registry", "space_for"]


@dataclass(frozen=True)
class ReadyMade:
    """A ready-made space for one estimator class.

    ``package`` is the top-level package the class must come from, so that an
    unrelated class of the same name (another library's ``LogisticRegression``)
    does not get scikit-learn's space.
    """

    name: str
    package: str
    build: Callable[[str], Space]

    def space(self, prefix: str = "") -> Space:
        """The space, every name (conditions and forbidden ones too) prefixed."""
        return self.build(prefix)


def _entry(name: str, package: str, build: Callable[..., Space], **kwargs: Any) -> ReadyMade:
    return ReadyMade(name, package, partial(build, **kwargs) if kwargs else build)


def _sklearn_entries() -> list[ReadyMade]:
    entries = [
        _entry("LogisticRegression", "sklearn", _linear.logistic_regression),
        _entry("RidgeClassifier", "sklearn", _linear.ridge_classifier),
        _entry("Ridge", "sklearn", _linear.ridge),
        _entry("Lasso", "sklearn", _linear.lasso),
        _entry("ElasticNet", "sklearn", _linear.elastic_net),
        _entry("SVC", "sklearn", _svm.svc),
        _entry("SVR", "sklearn", _svm.svr),
        _entry("LinearSVC", "sklearn", _svm.linear_svc),
        _entry("KNeighborsClassifier", "sklearn", _neighbors.k_neighbors),
        _entry("KNeighborsRegressor", "sklearn", _neighbors.k_neighbors),
    ]
    for kind, classifier in (("Classifier", True), ("Regressor", False)):
        entries += [
            _entry(f"RandomForest{kind}", "sklearn", _trees.forest, classifier=classifier),
            _entry(f"ExtraTrees{kind}", "sklearn", _trees.forest, classifier=classifier),
            _entry(f"HistGradientBoosting{kind}", "sklearn",
                   _boosting.hist_gradient_boosting, classifier=classifier),
        ]
    return entries


def _optional_entries(find_spec: Callable[[str], Any]) -> list[ReadyMade]:
    """XGBoost and LightGBM entries, each only when its package is installed."""
    entries = []
    if find_spec("xgboost") is not None:
        entries += [_entry(n, "xgboost", _boosting.xgboost)
                    for n in ("XGBClassifier", "XGBRegressor")]
    if find_spec("lightgbm") is not None:
        entries += [_entry(n, "lightgbm", _boosting.lightgbm)
                    for n in ("LGBMClassifier", "LGBMRegressor")]
    return entries


def build_registry(
    find_spec: Callable[[str], Any] = importlib.util.find_spec,
) -> dict[str, ReadyMade]:
    """The registry, keyed by estimator class name.

    ``find_spec`` decides which optional packages count as installed (a test
    passes a stand-in); nothing here imports them.

    >>> "XGBClassifier" in build_registry(find_spec=lambda name: None)
    False
    >>> "XGBClassifier" in build_registry(find_spec=lambda name: object())
    True
    """
    return {e.name: e for e in [*_sklearn_entries(), *_optional_entries(find_spec)]}


#: Ready-made spaces by estimator class name; add your own ``ReadyMade`` here.
READY_MADE: dict[str, ReadyMade] = build_registry()


def space_for(estimator: Any) -> Space:
    """The ready-made search space for an estimator (instance or class).

    For a Pipeline it is the space of the final step, every name prefixed with
    ``stepname__`` as the Pipeline's ``set_params`` expects. Subclasses of a
    supported estimator get its space.

    >>> from sklearn.svm import SVC
    >>> space = space_for(SVC())
    >>> sorted(space.names)
    ['C', 'class_weight', 'coef0', 'degree', 'gamma', 'kernel']
    >>> sorted(space.active_names({"C": 1.0, "class_weight": None, "kernel": "linear"}))
    ['C', 'class_weight', 'kernel']
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> sorted(space_for(make_pipeline(StandardScaler(), SVC())).names)[:2]
    ['svc__C', 'svc__class_weight']

    Raises TypeError, naming the supported estimators, for any other estimator.
    """
    prefix, final = _final_step(estimator)
    cls = final if isinstance(final, type) else type(final)
    for klass in getattr(cls, "__mro__", (cls,)):
        entry = READY_MADE.get(klass.__name__)
        if entry is not None and klass.__module__.split(".")[0] == entry.package:
            return entry.space(prefix)
    supported = ", ".join(sorted(READY_MADE))
    raise TypeError(
        f"no ready-made space for {getattr(cls, '__name__', cls)!s}; there is one for: "
        f"{supported}. For another estimator, declare the space yourself, e.g. "
        "tunesmith.Space({'alpha': tunesmith.Float(1e-4, 1e2, log=True)})"
    )


def _final_step(estimator: Any, prefix: str = "") -> tuple[str, Any]:
    """The last step of (nested) Pipelines and the ``name__`` prefix leading to it."""
    steps = getattr(estimator, "steps", None)
    if isinstance(estimator, type) or not isinstance(steps, list) or not steps:
        return prefix, estimator
    name, final = steps[-1]
    if final is None or final == "passthrough":
        raise TypeError(
            f"the Pipeline's final step {name!r} is {final!r}: there is no estimator "
            "to give a space for"
        )
    return _final_step(final, f"{prefix}{name}__")
