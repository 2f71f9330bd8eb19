"""From settings to things that run: the estimator, the search space, the scorer.

The estimator class is imported from its dotted path, but only from packages that hold
estimators (a study file from someone else must not import arbitrary modules), and
every parameter the file names is checked against ``get_params()`` before any fit, so a
typo is one line naming the valid parameters instead of a hundred failed trials.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import get_scorer_names
from sklearn.pipeline import Pipeline

from tunesmith.cli._checks import screen_param
from tunesmith.cli._config import (
    ConfigError,
    EstimatorSettings,
    Settings,
    SpaceEntry,
    Strategy,
)
from tunesmith.cli._config_limits import MAX_VALUES
from tunesmith.cli._data import make_preprocessor, non_numeric_columns
from tunesmith.space import Float, Int, Space
from tunesmith.spaces import READY_MADE, space_for

if TYPE_CHECKING:
    from tunesmith.sklearn import Racing

__all__ = [
    "ALLOWED_PACKAGES",
    "Problem",
    "build_problem",
    "build_space",
    "import_estimator",
    "make_estimator",
    "ready_made_space",
]

#: Top-level packages a study file may import an estimator from.
ALLOWED_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost")

#: Pipeline step names: space keys under these reach into the pipeline as given.
_STEPS = ("preprocess", "model")


@dataclass(frozen=True)
class Problem:
    """What a search needs besides the data: estimator, space and scoring.

    ``space`` maps each parameter (as ``set_params`` names it) to a list of values or
    a :class:`~tunesmith.Float` / :class:`~tunesmith.Int`. ``list_form`` says that
    every entry is a list: scikit-learn's own format, which its searches accept.
    """

    estimator: BaseEstimator
    space: Mapping[str, Any] | Space
    strategy: Strategy
    scoring: str | None
    cv: int
    seed: int | None
    n_trials: int | None
    #: ``racing``: stop fitting candidates worse than the leader (drop-ins only); a
    #: :class:`~tunesmith.sklearn.Racing` when the study file gave its settings.
    racing: bool | Racing = False
    #: ``pruner = "..."`` and its settings: a native study's folds are its steps.
    pruner: str = "none"
    pruner_settings: Mapping[str, Any] = field(default_factory=dict)

    def _value_lists(self) -> list[list[Any]] | None:
        """Every entry's list of values, when every entry is a list; else None."""
        if isinstance(self.space, Space):
            return None  # a ready-made space: ranges, conditions
        values = list(self.space.values())
        lists = [v for v in values if isinstance(v, list)]
        return lists if len(lists) == len(values) else None

    @property
    def list_form(self) -> bool:
        return self._value_lists() is not None

    @property
    def ready_made(self) -> bool:
        """Whether the space is the estimator's ready-made one (no ``[space]`` given)."""
        return isinstance(self.space, Space)

    @property
    def n_candidates(self) -> int | None:
        """The number of points of a list-form space (a grid's size), else None."""
        lists = self._value_lists()
        if lists is None:
            return None
        return int(np.prod([len(v) for v in lists]))


def build_problem(settings: Settings, X: pd.DataFrame) -> Problem:
    """Estimator (in a pipeline when ``[preprocess]`` is given), space and scorer.

    >>> from tunesmith.cli._config import parse_settings
    >>> settings = parse_settings('''
    ... [data]
    ... dataset = "iris"
    ... [estimator]
    ... class = "sklearn.svm.SVC"
    ... [space]
    ... C = {logspace = [-1, 1, 3]}
    ... [search]
    ... strategy = "grid"
    ... ''', name="demo")
    >>> space = build_problem(settings, pd.DataFrame({"x": [1.0]})).space
    >>> [round(c, 12) for c in space["C"]]  # np.logspace: within an ulp, by CPU and numpy
    [0.1, 1.0, 10.0]
    """
    estimator = make_estimator(settings.estimator)
    if settings.preprocess is not None:
        estimator = Pipeline([
            ("preprocess", make_preprocessor(settings.preprocess, X)),
            ("model", estimator),
        ])
    else:
        text = non_numeric_columns(X)
        if text:
            shown = ", ".join(text[:5]) + (", ..." if len(text) > 5 else "")
            raise ConfigError(
                "data",
                f"column{'s' if len(text) > 1 else ''} {shown} "
                f"{'are' if len(text) > 1 else 'is'} not numeric: add a [preprocess] table "
                "(imputation, one-hot encoding) or list them in data.drop",
            )
    if settings.space is None:
        space: Mapping[str, Any] | Space = ready_made_space(estimator, settings.search.strategy)
    else:
        space = build_space(settings.space, estimator, settings.search.strategy,
                            in_pipeline=settings.preprocess is not None)
    scoring = settings.search.scoring
    if scoring is not None and scoring not in get_scorer_names():
        close = difflib.get_close_matches(scoring, get_scorer_names(), n=3)
        hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
        raise ConfigError(
            "search.scoring",
            f"unknown scorer {scoring!r}; {hint}see sklearn.metrics.get_scorer_names()",
        )
    return Problem(estimator, space, settings.search.strategy, scoring, settings.search.cv,
                   settings.search.seed, settings.search.n_trials,
                   _racing(settings.search.racing),
                   pruner=settings.search.pruner.value,
                   pruner_settings=settings.search.pruner_settings)


def _racing(racing: bool | Mapping[str, Any]) -> bool | Racing:
    """``racing = true`` as it is; a table of settings as the drop-ins' ``Racing``."""
    if isinstance(racing, bool):
        return racing
    from tunesmith.sklearn import Racing  # the sklearn layer: only when racing is set

    return Racing(**racing)


def import_estimator(path: str) -> type:
    """The estimator class at a dotted import path, from an allowed package.

    >>> import_estimator("sklearn.linear_model.LogisticRegression").__name__
    'LogisticRegression'
    >>> import_estimator("os.system")
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: estimator.class: 'os.system' is not allowed: ...
    """
    key = "estimator.class"
    parts = path.split(".")
    if parts[0] not in ALLOWED_PACKAGES:
        raise ConfigError(
            key, f"{path!r} is not allowed: estimators are imported only from "
            f"{', '.join(ALLOWED_PACKAGES)}"
        )
    if any(part.startswith("_") for part in parts):
        raise ConfigError(key, f"{path!r} is private; use the public import path")
    module_name, class_name = ".".join(parts[:-1]), parts[-1]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == parts[0]:
            raise ConfigError(
                key, f"package {parts[0]!r} is not installed: pip install {parts[0]}"
            ) from None
        raise ConfigError(key, f"no module {module_name!r}{_did_you_mean(class_name)}") from None
    except ImportError as exc:
        raise ConfigError(key, f"cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        close = difflib.get_close_matches(
            class_name, [n for n in dir(module) if not n.startswith("_")], n=1
        )
        hint = f" (did you mean {module_name}.{close[0]}?)" if close else _did_you_mean(class_name)
        raise ConfigError(key, f"{module_name} has no {class_name!r}{hint}")
    if not (isinstance(cls, type) and hasattr(cls, "fit") and hasattr(cls, "get_params")):
        raise ConfigError(key, f"{path!r} is not an estimator (a class with fit and get_params)")
    return cls


def _did_you_mean(class_name: str) -> str:
    """Where scikit-learn keeps an estimator of that name, if anywhere."""
    from sklearn.utils import all_estimators  # imports every sklearn module: errors only

    for name, cls in all_estimators():
        if name == class_name:
            public = cls.__module__.split("._")[0]
            return f" (did you mean {public}.{name}?)"
    return ""


def make_estimator(settings: EstimatorSettings) -> BaseEstimator:
    """An instance with the fixed parameters set, each checked against ``get_params()``.

    >>> from tunesmith.cli._config import EstimatorSettings
    >>> make_estimator(EstimatorSettings.model_validate(
    ...     {"class": "sklearn.svm.SVC", "params": {"C": 10}}))
    SVC(C=10)
    >>> try:
    ...     make_estimator(EstimatorSettings.model_validate(
    ...         {"class": "sklearn.svm.SVC", "params": {"Cc": 1}}))
    ... except ConfigError as exc:
    ...     print(str(exc)[:60])
    estimator.params.Cc: SVC has no parameter 'Cc' (did you mean
    """
    cls = import_estimator(settings.class_path)
    try:
        estimator = cls()
    except Exception as exc:  # any failure of a third-party constructor
        raise ConfigError(
            "estimator.class", f"cannot create {cls.__name__}() without arguments: {exc}"
        ) from None
    valid = estimator.get_params(deep=True)
    for name, value in settings.params.items():
        screen_param(f"estimator.params.{name}", name, value)  # before anything is set
        if name not in valid:
            raise ConfigError(f"estimator.params.{name}", _unknown_param(estimator, name, valid))
    try:
        estimator.set_params(**dict(settings.params))
    except (ValueError, TypeError) as exc:
        raise ConfigError("estimator.params", str(exc)) from None
    for name, value in settings.params.items():
        problem = invalid_value(estimator, name, value)
        if problem:
            raise ConfigError(f"estimator.params.{name}", problem)
    return estimator


def invalid_value(estimator: BaseEstimator, name: str, value: Any) -> str | None:
    """Why ``value`` can never be valid for parameter ``name``, or None.

    Uses the parameter constraints scikit-learn estimators declare: a value outside
    them (a misspelt option, a negative count) fails every fit whatever the other
    parameters are, so it is an input mistake, not a trial to record.

    >>> from sklearn.linear_model import LogisticRegression
    >>> invalid_value(LogisticRegression(), "penalty", "l3")  # doctest: +ELLIPSIS
    "The 'penalty' parameter of LogisticRegression must be a str among ... Got 'l3' instead."
    >>> invalid_value(LogisticRegression(), "C", 10.0) is None
    True
    """
    owner_path, _, param = name.rpartition("__")
    owner = estimator.get_params(deep=True)[owner_path] if owner_path else estimator
    # ``_validate_params`` is scikit-learn's own check of declared constraints (private,
    # but on every estimator since 1.2); others, e.g. xgboost's, simply lack it.
    if not hasattr(owner, "_validate_params") or not hasattr(owner, "set_params"):
        return None
    try:
        probe = clone(owner).set_params(**{param: value})
        probe._validate_params()
    except (ValueError, TypeError) as exc:
        return " ".join(str(exc).split())
    return None


def _unknown_param(estimator: Any, name: str, valid: Mapping[str, Any]) -> str:
    label = type(estimator).__name__
    names = sorted(valid, key=str.lower)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shallow = [n for n in names if "__" not in n]
    return f"{label} has no parameter {name!r}{hint}; valid: {', '.join(shallow)}"


def build_space(
    entries: Mapping[str, SpaceEntry],
    estimator: BaseEstimator,
    strategy: Strategy,
    *,
    in_pipeline: bool = False,
) -> dict[str, Any]:
    """Each ``[space]`` entry as a list of values, a ``Float`` or an ``Int``.

    Inside a preprocessing pipeline, a bare name is the model's parameter (``C`` becomes
    ``model__C``); names starting ``preprocess__`` or ``model__`` are used as given.
    A grid needs lists: an ``Int`` range becomes its values; a continuous ``Float`` is
    an error that says what to write instead.
    """
    valid = estimator.get_params(deep=True)
    space: dict[str, Any] = {}
    for key, entry in entries.items():
        for value in entry.values or (None,):
            screen_param(f"space.{key}", key, value)
        name = key
        if in_pipeline and not key.startswith(tuple(f"{s}__" for s in _STEPS)):
            name = f"model__{key}"
        if name not in valid:
            target = estimator.named_steps["model"] if in_pipeline else estimator
            shown = {k.removeprefix("model__"): v for k, v in valid.items()} if in_pipeline \
                else valid
            if in_pipeline and key.startswith("preprocess__"):
                target, shown = estimator, valid
            raise ConfigError(f"space.{key}", _unknown_param(target, key, shown))
        dimension = _dimension(f"space.{key}", entry, strategy)
        for value in _values_to_check(dimension):
            problem = invalid_value(estimator, name, value)
            if problem:
                if isinstance(dimension, Float) and "must be an int" in problem:
                    problem += ' (add type = "int" to the range)'
                raise ConfigError(f"space.{key}", problem)
        space[name] = dimension
    return space


def ready_made_space(estimator: BaseEstimator, strategy: Strategy) -> Space:
    """The estimator's ready-made space, for a study file without ``[space]``.

    >>> from sklearn.svm import SVC
    >>> sorted(ready_made_space(SVC(), Strategy.TPE).names)[:2]
    ['C', 'class_weight']
    """
    try:
        space = space_for(estimator)
    except TypeError:
        model = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
        raise ConfigError(
            "space", f"no [space] table, and no ready-made space for {type(model).__name__} "
            f"(there is one for: {', '.join(sorted(READY_MADE))}); add a [space] table"
        ) from None
    if strategy is Strategy.GRID:
        name = type(estimator).__name__
        raise ConfigError(
            "space", f"no [space] table: the ready-made space for {name} has continuous "
            "ranges, which a grid cannot enumerate; use strategy = \"random\", \"sobol\" or "
            "\"tpe\", or list the values in a [space] table"
        )
    return space


def _values_to_check(dimension: Any) -> list[Any]:
    """Every value of a list; the two ends of a range (constraints are intervals)."""
    if isinstance(dimension, list):
        if len(dimension) <= 50:
            return dimension
        # A long list (range, logspace): constraints are intervals, so numbers are
        # checked at their ends, everything else one by one.
        numbers = [v for v in dimension if isinstance(v, int | float)
                   and not isinstance(v, bool)]
        others = [v for v in dimension if v not in numbers]
        return ([min(numbers), max(numbers)] if numbers else []) + others
    return [dimension.low, dimension.high]


def _dimension(key: str, entry: SpaceEntry, strategy: Strategy) -> Any:
    if entry.values is not None:
        return list(entry.values)
    if entry.logspace is not None:
        start, stop, num = entry.logspace
        return [float(v) for v in np.logspace(start, stop, int(num))]
    if entry.linspace is not None:
        start, stop, num = entry.linspace
        return [float(v) for v in np.linspace(start, stop, int(num))]
    if entry.range is not None:
        return list(range(*entry.range))
    assert entry.low is not None and entry.high is not None  # the model checks
    try:
        if entry.type == "int":
            dim: Any = Int(int(entry.low), int(entry.high), log=entry.log,
                           step=int(entry.step or 1))
        else:
            dim = Float(entry.low, entry.high, log=entry.log, step=entry.step)
    except ValueError as exc:  # InvalidSpaceError: the space's own rules
        raise ConfigError(key, str(exc)) from None
    if strategy is Strategy.GRID:
        size = dim.size if dim.is_finite else None
        if size is not None and size > MAX_VALUES:  # never list a billion values
            raise ConfigError(key, f"this range has {size} values, more than the {MAX_VALUES} "
                                   "a grid may list for one key; use fewer values, or a "
                                   'continuous range with strategy "random", "sobol" or "tpe"')
        if not dim.is_finite:
            raise ConfigError(
                key,
                "grid search needs a finite set of values: give a list, a helper such as "
                "{logspace = [-4, 4, 20]}, a step, or type = \"int\"; "
                "a continuous range suits strategy \"random\", \"sobol\" or \"tpe\"",
            )
        return [v.item() if isinstance(v, np.generic) else v for v in dim.values()]
    return dim
