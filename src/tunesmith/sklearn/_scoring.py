"""How a drop-in search scores and routes, as scikit-learn's ``BaseSearchCV`` does:
its scorers (one or several metrics), which candidate is best, which fit parameters go
to the estimator, the splitter and the scorer, and ``pre_dispatch`` as a count.

>>> from sklearn.linear_model import LogisticRegression
>>> from tunesmith.sklearn import GridSearchCV
>>> search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=["accuracy", "f1"],
...                       refit="f1")
>>> scorer, named, refit_metric = make_scorers(search)
>>> sorted(named), refit_metric
(['accuracy', 'f1'], 'f1')
>>> pre_dispatch_count("2*n_jobs", 3)
6
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from inspect import signature
from typing import Any

import sklearn
from sklearn.metrics import check_scoring
from sklearn.utils.metadata_routing import process_routing

__all__ = [
    "check_refit_for_multimetric",
    "make_scorers",
    "pre_dispatch_count",
    "route_fit_params",
    "select_best_index",
]

# scikit-learn 1.7 (its PR #30743) began forwarding sample_weight to the scorer.
_WEIGHTS_SCORES = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 7)


def make_scorers(search: Any) -> tuple[Any, dict[str, Any] | None, Any]:
    """A search's (scorer to call, {name: scorer} when several metrics, refit metric)."""
    scoring = search.scoring
    if callable(scoring):
        return scoring, None, "score"
    if scoring is None or isinstance(scoring, str):
        return check_scoring(search.estimator, scoring), None, "score"
    if isinstance(scoring, (list, tuple, set, dict)):
        # One scorer per name, then scikit-learn's multimetric scorer over them: it
        # predicts once for several metrics and reports each metric's failure.
        named = scoring.items() if isinstance(scoring, dict) else ((s, s) for s in scoring)
        scorer_dict = {name: check_scoring(search.estimator, s) for name, s in named}
        multi = check_scoring(search.estimator, scoring=scorer_dict,
                              raise_exc=(search.error_score == "raise"))
        check_refit_for_multimetric(search.refit, scorer_dict)
        return multi, scorer_dict, search.refit
    raise ValueError(
        f"scoring must be None, a scorer name, a callable, or a list/tuple/set/dict of "
        f"scorers, got {scoring!r}"
    )


def check_refit_for_multimetric(refit: Any, scores: Mapping[str, Any]) -> None:
    """scikit-learn's rule: several metrics need refit to name one of them (or to be a
    callable, or False)."""
    if refit is not False and not callable(refit) and not (
        isinstance(refit, str) and refit in scores
    ):
        raise ValueError(
            "For multi-metric scoring, the parameter refit must be set to a scorer key "
            "or a callable to refit an estimator with the best parameter setting on the "
            "whole data and make the best_* attributes available for that metric. If "
            f"this is not needed, refit should be set to False explicitly. {refit!r} was "
            f"passed. Metrics: {sorted(scores)}"
        )


def select_best_index(refit: Any, refit_metric: Any, results: Mapping[str, Any]) -> Any:
    """The index of the best candidate: the refit callable's pick, or the refit metric's
    rank 1 (the first of ties)."""
    if callable(refit):
        best = refit(results)
        if not isinstance(best, numbers.Integral):
            raise TypeError(f"best_index_ returned is not an integer: the refit callable "
                            f"returned {best!r}")
        # int(): an Integral's exact value (typeshed's Integral has no ">=").
        if best < 0 or int(best) >= len(results["params"]):
            raise IndexError(f"best_index_ index out of range: the refit callable "
                             f"returned {best}, for {len(results['params'])} candidates")
        return best
    return results[f"rank_test_{refit_metric}"].argmin()


def route_fit_params(search: Any, params: dict[str, Any], scorer: Any,
                     scorer_dict: dict[str, Any] | None
                     ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(estimator fit params, splitter params, scorer params), as scikit-learn routes."""
    if sklearn.get_config().get("enable_metadata_routing", False):
        routed = process_routing(search, "fit", **params)
        return (dict(routed.estimator.fit), dict(routed.splitter.split),
                dict(routed.scorer.score))
    params = dict(params)
    groups = params.pop("groups", None)
    score_params = {}
    # scikit-learn >= 1.7 also weights the scores with sample_weight when the
    # scorer takes it, and warns for each scorer that does not; 1.6 scores unweighted.
    if (params.get("sample_weight") is not None and _WEIGHTS_SCORES
            and _accepts_sample_weight(search, scorer, scorer_dict)):
        score_params["sample_weight"] = params["sample_weight"]
    return params, {"groups": groups}, score_params


def _accepts_sample_weight(search: Any, scorer: Any,
                           scorer_dict: Mapping[str, Any] | None) -> bool:
    """Whether scikit-learn would pass sample_weight to the scorer(s); warns like it."""

    def accepts(s: Any) -> bool:
        # Scorer objects answer through a method scikit-learn keeps private; a plain
        # function takes sample_weight when its signature names it.
        method = getattr(s, "_accept_sample_weight", None)
        if method is not None:
            return bool(method())
        try:
            return "sample_weight" in signature(s).parameters
        except (TypeError, ValueError):
            return False

    if scorer_dict is not None:
        for name, s in scorer_dict.items():
            if not accepts(s):
                warnings.warn(
                    f"The scoring {name}={s} does not support sample_weight, which may lead "
                    f"to statistically incorrect results when fitting {search} with "
                    "sample_weight. ", stacklevel=4)
        return any(accepts(s) for s in scorer_dict.values())
    ok = accepts(scorer)
    if not ok:
        warnings.warn(
            f"The scoring {scorer} does not support sample_weight, which may lead to "
            f"statistically incorrect results when fitting {search} with sample_weight. ",
            stacklevel=4)
    return ok


def pre_dispatch_count(pre_dispatch: Any, n_jobs: int | None) -> int | None:
    """scikit-learn's ``pre_dispatch`` (an int, ``"all"``, or ``"k*n_jobs"``) as a count.

    Parsed, never evaluated: only those forms are accepted.
    """
    if pre_dispatch is None or pre_dispatch == "all":
        return None
    if isinstance(pre_dispatch, numbers.Integral) and not isinstance(pre_dispatch, bool):
        return max(1, int(pre_dispatch))
    from joblib import effective_n_jobs

    if isinstance(pre_dispatch, str):
        text = pre_dispatch.replace(" ", "")
        factor, _, rest = text.partition("*")
        if text == "n_jobs":
            return effective_n_jobs(n_jobs)
        if rest == "n_jobs" and factor.isdigit():
            return int(factor) * effective_n_jobs(n_jobs)
        if factor == "n_jobs" and rest.isdigit():
            return int(rest) * effective_n_jobs(n_jobs)
    raise ValueError(
        f"pre_dispatch must be an int, 'all', or 'k*n_jobs' such as '2*n_jobs', "
        f"got {pre_dispatch!r}"
    )
