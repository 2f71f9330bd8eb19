"""A fitted search used as an estimator: it scores and predicts with its best model.

What scikit-learn's ``BaseSearchCV`` offers after ``fit`` with ``refit=True``: each
method exists only when the estimator has it (``available_if``), and says how to get
the model by hand when ``refit=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["FittedSearchMixin"]


def _delegate(method: str) -> Any:
    """available_if check: refit=True and the (best) estimator has ``method``."""

    def check(self: Any) -> bool:
        _require_refit(self, method)
        getattr(getattr(self, "best_estimator_", self.estimator), method)  # AttributeError
        return True

    return check


def _require_refit(search: Any, what: str) -> None:
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with `refit=False`. "
            f"{what} is available only after refitting on the best parameters. You can "
            "refit an estimator manually using the `best_params_` attribute"
        )


class FittedSearchMixin:
    """``score``, ``predict`` and the rest, delegated to ``best_estimator_``."""

    # Set by the search (its __init__ and fit), read here; declared only, never assigned,
    # so that ``hasattr`` and ``check_is_fitted`` still see what fit has set.
    estimator: Any
    #: As given: True/False, a metric name, or a callable picking the best index.
    refit: Any
    multimetric_: bool
    #: A scorer; with several metrics, {name: scorer}.
    scorer_: Callable[..., Any] | dict[str, Callable[..., Any]]
    best_estimator_: Any

    def score(self, X: Any, y: Any = None, **params: Any) -> float:
        """The refit estimator's score on X, y: by ``scoring`` (the refit metric), else
        ``best_estimator_.score``."""
        _require_refit(self, "score")
        check_is_fitted(self)
        if sklearn.get_config().get("enable_metadata_routing", False):
            score_params = dict(process_routing(self, "score", **params).scorer["score"])
        elif params:
            raise ValueError(
                f"Passing extra keyword arguments to {type(self).__name__}.score is only "
                "supported if enable_metadata_routing=True, which you can set with "
                f"sklearn.set_config(enable_metadata_routing=True); got {sorted(params)}"
            )
        else:
            score_params = {}
        scorer = self.scorer_
        if isinstance(scorer, dict):
            if self.multimetric_:
                return scorer[self.refit](self.best_estimator_, X, y, **score_params)
            # As scikit-learn: fit sets a dict only with multimetric_, else this fails.
            return scorer(self.best_estimator_, X, y, **score_params)  # type: ignore[operator]
        result = scorer(self.best_estimator_, X, y, **score_params)
        return result[self.refit] if self.multimetric_ else result

    @available_if(_delegate("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """``best_estimator_.score_samples(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @available_if(_delegate("predict"))
    def predict(self, X: Any) -> Any:
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_delegate("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_delegate("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_log_proba(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_delegate("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``best_estimator_.decision_function(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_delegate("transform"))
    def transform(self, X: Any) -> Any:
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_delegate("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``best_estimator_.inverse_transform(X)``."""
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    def _sk_visual_block_(self) -> Any:
        """The HTML diagram: the best estimator once refitted, else the estimator."""
        try:  # scikit-learn keeps the diagram's building block private; it moved in 1.7
            from sklearn.utils._repr_html.estimator import _VisualBlock
        except ImportError:  # pragma: no cover - scikit-learn < 1.7
            from sklearn.utils._estimator_html_repr import _VisualBlock

        if hasattr(self, "best_estimator_"):
            key, estimator = "best_estimator_", self.best_estimator_
        else:
            key, estimator = "estimator", self.estimator
        return _VisualBlock("parallel", [estimator],
                            names=[f"{key}: {type(estimator).__name__}"],
                            name_details=[str(estimator)])

    @property
    def n_features_in_(self) -> int:
        """Number of features seen during fit (with ``refit=True``)."""
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return self.best_estimator_.n_features_in_

    @property
    def classes_(self) -> Any:
        """Class labels (with ``refit=True`` and a classifier)."""
        _delegate("classes_")(self)
        return self.best_estimator_.classes_
