"""Checks a study file must pass before any study is made: what it may set, and whether
the data can be searched at all.

Two kinds, both ending in one :class:`ConfigError` line that names the key and the fix:

* :func:`screen_param`: the trust model's rule for estimator parameters. A study file
  may come from someone else; scikit-learn's ``memory`` (``Pipeline``,
  ``AgglomerativeClustering``, ``FeatureAgglomeration``, ``HDBSCAN``) makes joblib load
  pickles from the folder it names, which runs their code, and a few other parameters
  read or write files the study file would choose. None of them may be set from a file.
* :func:`check_problem`: the data against the search: folds against rows and classes, a
  target with one value, missing or infinite features the estimator cannot take, an
  estimator without ``score`` and no ``scoring``. Each would otherwise fail every
  trial, or raise deep inside scikit-learn, after the study was created.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tunesmith.cli._config import ConfigError

__all__ = ["FORBIDDEN_PARAMS", "check_problem", "screen_param"]

#: Parameters a study file may not set (last part of the name, after any ``__``), and why.
FORBIDDEN_PARAMS: dict[str, str] = {
    "memory": "it makes joblib cache fitted steps in a folder and load pickles from it, "
              "which runs whatever code the folder's files hold",
    # CatBoost writes its training logs and snapshots where these say.
    "train_dir": "it makes the estimator write files in a folder the study file chooses",
    "snapshot_file": "it makes the estimator read and write a file the study file chooses",
    "save_snapshot": "it makes the estimator read and write snapshot files",
    "input_borders": "it makes the estimator read a file the study file chooses",
    "output_borders": "it makes the estimator write a file the study file chooses",
    # LightGBM / XGBoost options that name model or data files.
    "input_model": "it makes the estimator load a model file",
    "output_model": "it makes the estimator write a model file",
    "model_file": "it makes the estimator load a model file",
    "model_in": "it makes the estimator load a model file",
    "model_out": "it makes the estimator write a model file",
    "config": "it makes the estimator read a configuration file",
}

# Parameter names that, with a string value, are paths to read or write.
_PATH_WORDS = ("file", "path", "dir", "folder", "filename")


def screen_param(key: str, name: str, value: Any) -> None:
    """Refuse a parameter a study file may not set: one line naming it and why.

    >>> screen_param("estimator.params.memory", "memory", "/tmp/cache")
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: estimator.params.memory: may not be set from ...
    >>> screen_param("estimator.params.warm_start", "warm_start", True)  # fine
    """
    last = name.rpartition("__")[2]
    if last in FORBIDDEN_PARAMS:
        if last == "memory" and value is None:
            return  # no cache: the default, harmless
        raise ConfigError(key, f"may not be set from a study file: {FORBIDDEN_PARAMS[last]} "
                               "(docs/security.md); remove it")
    if last == "input" and value not in ("content", None):
        # Vectorizers with input="filename" or "file" open every path the data holds.
        raise ConfigError(key, f"input = {value!r} may not be set from a study file: it makes "
                               "the vectorizer open the files the data names; use "
                               '"content" (docs/security.md)')
    words = last.lower().split("_")
    if isinstance(value, str) and any(w in _PATH_WORDS for w in words):
        raise ConfigError(key, f"{name} = {value!r} looks like a path to a file the estimator "
                               "would read or write; a study file may not name one "
                               "(docs/security.md)")


def check_problem(settings: Any, X: pd.DataFrame, y: pd.Series, estimator: Any,
                  *, in_pipeline: bool) -> None:
    """What would make every trial fail, or the search raise, said before it starts."""
    from sklearn.base import is_classifier

    cv = settings.search.cv
    rows = len(X)
    where = "data.train" if settings.data.train is not None else "data.dataset"
    if rows < cv:
        raise ConfigError("search.cv", f"cv = {cv} folds, but the training set has only "
                                       f"{rows} row{'s' if rows != 1 else ''}; use a smaller "
                                       "cv or more rows")
    counts = y.value_counts(dropna=False)
    target = settings.data.target or "target"
    if len(counts) < 2:
        value = counts.index[0] if len(counts) else None
        if value is not None and hasattr(value, "item"):  # numpy scalar: plain
            value = value.item()
        raise ConfigError("data.target", f"column {target!r} has the same value ({value!r}) in "
                                         f"every row of {where.split('.')[1]}: nothing to learn")
    if is_classifier(estimator) and counts.max() < cv:
        raise ConfigError(
            "search.cv", f"cv = {cv} stratified folds, but no class of {target!r} has that many "
                         f"rows (the largest has {int(counts.max())}); use cv <= "
                         f"{int(counts.max())}")
    if not in_pipeline:
        _check_finite(X, estimator)
    if settings.search.scoring is None and not hasattr(estimator, "score"):
        raise ConfigError(
            "search.scoring", f"{type(estimator).__name__} has no score method: set scoring, "
                              'e.g. scoring = "accuracy" or "neg_mean_squared_error"')


def _check_finite(X: pd.DataFrame, estimator: Any) -> None:
    numeric = X.select_dtypes(include="number")
    if numeric.empty:
        return
    values = numeric.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        column = str(numeric.columns[int(np.argmax(infinite))])
        raise ConfigError("data", f"column {column!r} holds an infinite value, which no "
                                  "estimator accepts; replace it in the CSV, or drop the "
                                  "column (data.drop)")
    missing = np.isnan(values).any(axis=0)
    if missing.any() and not _allows_nan(estimator):
        column = str(numeric.columns[int(np.argmax(missing))])
        count = int(np.isnan(values[:, int(np.argmax(missing))]).sum())
        raise ConfigError("data", f"column {column!r} has {count} empty value"
                                  f"{'s' if count != 1 else ''} and {type(estimator).__name__} "
                                  "does not accept missing values: add a [preprocess] table "
                                  "(it imputes them) or drop the column (data.drop)")


def _allows_nan(estimator: Any) -> bool:
    """Whether the estimator takes NaN in its input (HistGradientBoosting, XGBoost, ...)."""
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(estimator).input_tags.allow_nan)
    except Exception:  # a third-party estimator without tags: let the fits say
        return True
