"""Cheap trial fits that tell "invalid whatever the data" from everything else.

A :class:`Prober` owns three small datasets built once from the user's data:

``synthetic``
    about thirty rows made up column by column from the user's observed
    (non-missing) values, with a balanced target of the same type and classes.
    It has the user's columns, dtypes and value domains but none of their
    accidents: no missing values, no rare-class starvation, no row structure.
``small``
    a stratified random subsample of the real rows (about sixty).
``large``
    the real rows themselves (capped at a few thousand), as close to a CV
    training fold as a probe can get.

A candidate is *invalid* only when all three fail with the same exception type
and the same message, and that exception is of a kind parameter checks raise.
Because the three datasets differ in size and content, a failure that depends
on the data (``n_components`` above the rows, a class missing, NaN input, a
numerical blow-up) fails differently or not at all on one of them, and the
candidate is left to the search, which fits and records it.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target

__all__ = ["Failure", "Prober", "condense"]

# Rows of each probe dataset. They differ on purpose: a failure whose message
# quotes the number of rows cannot then read the same on all three.
_SYNTHETIC_ROWS = 30
_SMALL_ROWS = 60
_LARGE_ROWS = 5000
# A candidate's first probe may cap these sizes (trees, boosting rounds, solver
# iterations) at a few: a screen for success only, since a capped construction is
# not the candidate. A failure is always confirmed with the exact parameters.
_CHEAP_SIZES = {"n_estimators": 5, "max_iter": 5}
_MAX_MESSAGE = 240

# Exceptions that parameter checks raise. Anything else (MemoryError,
# RuntimeError, FloatingPointError, LinAlgError, ...) is data or chance.
_STATIC_KINDS: tuple[type[BaseException], ...] = (ValueError, TypeError, NotImplementedError)
_DATA_KINDS: tuple[type[BaseException], ...] = (np.linalg.LinAlgError, ArithmeticError)
# Messages about numbers going wrong describe the data, not the parameters, even
# when they come as a ValueError: never treat them as "invalid whatever the data".
_NUMERICAL_TROUBLE = re.compile(
    r"\b(nan|infinity|overflow|underflow|singular|diverg\w*|converg\w*|"
    r"ill-conditioned|positive definite|contains only one class)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Failure:
    """What one probe fit raised: the exception's class and its one-line message."""

    kind: type[BaseException]
    message: str

    @property
    def is_static(self) -> bool:
        """Whether the exception is of a kind that parameter validation raises."""
        if issubclass(self.kind, InvalidParameterError):
            return True
        if issubclass(self.kind, _DATA_KINDS) or not issubclass(self.kind, _STATIC_KINDS):
            return False
        return _NUMERICAL_TROUBLE.search(self.message) is None


def condense(message: str) -> str:
    """An exception message on one line, whitespace collapsed, length capped.

    >>> condense("Solver lbfgs supports only 'l2' or None penalties,\\n   got l1 penalty.")
    "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty."
    """
    text = " ".join(str(message).split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3].rstrip() + "..."
    return text


class Prober:
    """Fits clones of one estimator with given parameters on three small datasets.

    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> prober = Prober(LogisticRegression(), X, y)
    >>> prober.fit({"solver": "lbfgs", "penalty": "l1"}, "synthetic").kind.__name__
    'ValueError'
    >>> prober.fit({"solver": "liblinear", "penalty": "l1"}, "synthetic") is None
    True
    """

    DATASETS = ("synthetic", "small", "large")

    def __init__(
        self,
        estimator: Any,
        X: Any,
        y: Any = None,
        *,
        fit_params: Mapping[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        self.estimator = estimator
        self.n_fits = 0
        #: Whether the last ``fit(..., cheap=True)`` really changed the construction.
        self.last_capped = False
        rng = np.random.default_rng(seed)
        n_samples = _num_samples(X)
        fit_params = dict(fit_params or {})
        target = None if y is None else type_of_target(y)
        classes = _classes(y) if target in ("binary", "multiclass") else None
        n_classes = 0 if classes is None else len(classes)

        small = min(n_samples, max(_SMALL_ROWS, 5 * n_classes))
        large = min(n_samples, max(_LARGE_ROWS, small))
        synthetic = max(_SYNTHETIC_ROWS, 3 * n_classes)
        if synthetic in (small, large):
            synthetic += 1  # keep the three sizes apart (see the module docstring)

        self._data: dict[str, tuple[Any, Any, dict[str, Any]]] = {}
        rows = _stratified_rows(y, classes, n_samples, small, rng)
        self._data["small"] = _take(X, y, fit_params, rows, n_samples)
        large_rows = (
            _stratified_rows(y, classes, n_samples, large, rng) if large < n_samples else None
        )
        self._data["large"] = (
            (X, y, fit_params) if large_rows is None
            else _take(X, y, fit_params, large_rows, n_samples)
        )
        self._data["synthetic"] = _synthetic(X, y, fit_params, classes, synthetic, rng)

    def fit(self, params: Mapping[str, Any], dataset: str, *, cheap: bool = False
            ) -> Failure | None:
        """Fit a clone with ``params`` on one dataset; None when it fits.

        ``cheap`` caps ``n_estimators`` and ``max_iter`` at a few: use it to screen
        for success only, since a capped construction is not the candidate itself.
        """
        X, y, fit_params = self._data[dataset]
        self.n_fits += 1
        self.last_capped = False
        with warnings.catch_warnings():
            # A probe is not the user's fit: its convergence or deprecation warnings
            # would only repeat (or pre-empt) the search's own.
            warnings.simplefilter("ignore")
            try:
                estimator = self._configured(params)
                if cheap:
                    self.last_capped = _cap_sizes(estimator)
                if y is None:
                    estimator.fit(X, **fit_params)
                else:
                    estimator.fit(X, y, **fit_params)
            except Exception as exc:
                return Failure(type(exc), condense(str(exc)))
        return None

    def _configured(self, params: Mapping[str, Any]) -> Any:
        """A clone of the estimator with ``params``, themselves cloned.

        A parameter may be an estimator (a pipeline step searched over): probing
        must not fit, or set parameters on, the user's object.
        """
        return clone(self.estimator).set_params(**clone(dict(params), safe=False))

    def can_set(self, params: Mapping[str, Any]) -> bool:
        """Whether ``set_params`` accepts these names at all.

        scikit-learn's search raises at once for an unknown parameter name instead
        of scoring the candidate NaN, so such a candidate is not ours to skip.
        """
        try:
            self._configured(params)
        except Exception:
            return False
        return True

    def violates_constraints(self, params: Mapping[str, Any]) -> bool:
        """Whether a value breaks the declared constraints of the estimator or a step.

        Data-free and fast (no fit): it only picks candidates worth an exact probe.
        """
        try:
            estimator = self._configured(params)
        except Exception:
            return False
        parts = [estimator, *(
            value for value in estimator.get_params(deep=True).values()
            if hasattr(value, "_validate_params")
        )]
        for part in parts:
            validate = getattr(part, "_validate_params", None)
            if validate is None:
                continue
            try:
                validate()
            except InvalidParameterError:
                return True
            except Exception:
                continue  # a step's own quirk: the exact probe will tell
        return False


def _cap_sizes(estimator: Any) -> bool:
    """Cut every ``n_estimators`` and ``max_iter`` (the estimator's or a step's).

    Returns whether anything was cut.
    """
    caps = {}
    for name, value in estimator.get_params(deep=True).items():
        cap = _CHEAP_SIZES.get(name.rsplit("__", 1)[-1])
        if cap is None:
            continue
        # int(): an Integral's exact value (typeshed's Integral has no ">").
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > cap:
            caps[name] = cap
    if caps:
        estimator.set_params(**caps)
    return bool(caps)


# -- the three datasets ----------------------------------------------------------------


def _num_samples(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def _classes(y: Any) -> np.ndarray:
    values = np.asarray(y)
    try:
        return np.unique(values)
    except TypeError:  # labels of mixed types do not sort: keep first-seen order
        seen: dict[Any, None] = dict.fromkeys(values.tolist())
        return np.asarray(list(seen), dtype=object)


def _stratified_rows(
    y: Any, classes: np.ndarray | None, n_samples: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """``size`` of the ``n_samples`` row indices, every class present (twice where it can)."""
    if classes is None:
        return np.sort(rng.choice(n_samples, size=min(size, n_samples), replace=False))
    labels = np.asarray(y)
    picked: list[np.ndarray] = []
    for label in classes:
        members = np.flatnonzero(labels == label)
        share = max(min(len(members), 2), round(size * len(members) / len(labels)))
        picked.append(rng.choice(members, size=min(share, len(members)), replace=False))
    return np.sort(np.concatenate(picked))


def _take(X: Any, y: Any, fit_params: dict[str, Any], rows: np.ndarray, n_samples: int
          ) -> tuple[Any, Any, dict[str, Any]]:
    return (
        _safe_indexing(X, rows),
        None if y is None else _safe_indexing(y, rows),
        _take_params(fit_params, rows, n_samples),
    )


def _take_params(fit_params: dict[str, Any], rows: np.ndarray, n_samples: int
                 ) -> dict[str, Any]:
    """Fit parameters with one entry per sample (``sample_weight``) follow the rows."""
    out = {}
    for name, value in fit_params.items():
        aligned = (
            value is not None
            and not isinstance(value, (str, bytes, Mapping))
            and hasattr(value, "__len__")
            and _num_samples(value) == n_samples
        )
        out[name] = _safe_indexing(value, rows) if aligned else value
    return out


def _synthetic(
    X: Any,
    y: Any,
    fit_params: dict[str, Any],
    classes: np.ndarray | None,
    size: int,
    rng: np.random.Generator,
) -> tuple[Any, Any, dict[str, Any]]:
    """A made-up dataset with the user's columns and target type (see module docs)."""
    n_samples = _num_samples(X)
    rows = rng.choice(n_samples, size=size, replace=n_samples < size)
    try:
        X_new = _resample_columns(X, size, rng)
    except Exception:
        X_new = None
    if X_new is None:  # sparse, text, or an exotic container: a plain row sample
        X_new = _safe_indexing(X, rows)
    if y is None:
        y_new = None
    elif classes is not None:
        # Every class, evenly: a tiny sample must not lose a rare one.
        y_new = rng.permutation(np.resize(classes, size))
    else:
        y_new = _safe_indexing(y, rng.permutation(rows))
    return X_new, y_new, _take_params(fit_params, rows, n_samples)


def _resample_columns(X: Any, size: int, rng: np.random.Generator) -> Any:
    """Each column drawn on its own from that column's observed values, or None."""
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        import pandas as pd  # a DataFrame came in, so pandas is there

        parts = []
        for j in range(X.shape[1]):
            column = X.iloc[:, j]
            observed = np.flatnonzero(~column.isna().to_numpy())
            pool = observed if len(observed) else np.arange(len(column))
            pick = rng.choice(pool, size=size)
            parts.append(X.iloc[pick, [j]].reset_index(drop=True))
        return pd.concat(parts, axis=1)
    if isinstance(X, np.ndarray) and X.ndim == 2:
        out = np.empty((size, X.shape[1]), dtype=X.dtype)
        for j in range(X.shape[1]):
            column = X[:, j]
            observed = np.flatnonzero(~_missing(column))
            pool = observed if len(observed) else np.arange(len(column))
            out[:, j] = column[rng.choice(pool, size=size)]
        return out
    return None


def _missing(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind in "fc":
        return np.isnan(column)
    if column.dtype.kind == "O":
        return np.fromiter(
            (v is None or (isinstance(v, float) and math.isnan(v)) for v in column),
            dtype=bool,
            count=len(column),
        )
    return np.zeros(len(column), dtype=bool)
