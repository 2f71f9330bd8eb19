"""The data a study file names: CSV files or a bundled scikit-learn dataset.

Also the preprocessing a mixed-type CSV needs before most estimators accept it:
numeric columns imputed (and scaled), the other columns imputed with their most frequent
value and one-hot encoded, unseen categories in the held-out set ignored.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tunesmith.cli._config import DATASETS, ConfigError, DataSettings, PreprocessSettings

__all__ = ["Dataset", "load_data", "make_preprocessor"]

# Datasets whose target is a class: split them stratified, as cross-validation will.
_CLASSIFICATION = {"breast_cancer", "digits", "iris", "wine"}


@dataclass(frozen=True)
class Dataset:
    """Training and (optional) held-out data, plus what identifies them."""

    X: pd.DataFrame
    y: pd.Series
    X_test: pd.DataFrame | None
    y_test: pd.Series | None
    #: Where the data came from, for people (``clean_train.csv``, ``wine``).
    source: str
    #: Where the held-out rows came from, or None.
    test_source: str | None
    #: A digest of the rows, so a resumed study can tell that its data changed.
    fingerprint: str

    @property
    def n_test(self) -> int:
        return 0 if self.X_test is None else len(self.X_test)


def load_data(settings: DataSettings) -> Dataset:
    """Load what ``[data]`` describes; every problem is a :class:`ConfigError`.

    >>> from tunesmith.cli._config import DataSettings
    >>> data = load_data(DataSettings(dataset="iris", test_size=0.2))
    >>> data.X.shape, data.n_test
    ((120, 4), 30)
    """
    if settings.dataset is not None:
        return _bundled(settings)
    assert settings.train is not None and settings.target is not None  # the model checks
    train = _read_csv(settings.train, "data.train")
    columns = list(train.columns)
    if settings.target not in train.columns:
        raise ConfigError(
            "data.target",
            f"no column {settings.target!r} in {settings.train.name} "
            f"(columns: {', '.join(map(str, columns))})",
        )
    _check_drop(settings, columns, settings.train.name)
    X, y = _split_target(train, settings)
    X_test = y_test = None
    test_source = None
    digest = hashlib.sha256(_file_bytes(settings.train))
    if settings.test is not None:
        test = _read_csv(settings.test, "data.test")
        missing = [c for c in columns if c not in test.columns]
        if missing:
            raise ConfigError(
                "data.test",
                f"{settings.test.name} lacks column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))} of {settings.train.name}",
            )
        X_test, y_test = _split_target(test[columns], settings)
        test_source = settings.test.name
        digest.update(_file_bytes(settings.test))
    elif settings.test_size is not None:
        try:
            X, X_test, y, y_test = train_test_split(
                X, y, test_size=settings.test_size, random_state=settings.split_seed
            )
        except ValueError as exc:  # too few rows to hold any out
            reason = " ".join(str(exc).split())
            raise ConfigError("data.test_size", f"cannot hold out {settings.test_size:g} of "
                                                f"{len(X)} rows: {reason}") from None
        test_source = f"{settings.test_size:g} of {settings.train.name}"
    digest.update(repr((settings.target, settings.drop, settings.test_size,
                        settings.split_seed)).encode())
    return Dataset(X, y, X_test, y_test, settings.train.name, test_source, digest.hexdigest())


def _bundled(settings: DataSettings) -> Dataset:
    assert settings.dataset is not None
    datasets = importlib.import_module("sklearn.datasets")
    loader = getattr(datasets, DATASETS[settings.dataset])
    X, y = loader(return_X_y=True, as_frame=True)
    test_size = 0.25 if settings.test_size is None else settings.test_size
    stratify = y if settings.dataset in _CLASSIFICATION else None
    X, X_test, y, y_test = train_test_split(
        X, y, test_size=test_size, random_state=settings.split_seed, stratify=stratify
    )
    fingerprint = hashlib.sha256(
        repr((settings.dataset, test_size, settings.split_seed, X.shape)).encode()
    ).hexdigest()
    return Dataset(X, y, X_test, y_test, settings.dataset,
                   f"{test_size:g} of {settings.dataset}", fingerprint)


def _read_csv(path: Path, key: str) -> pd.DataFrame:
    if path.exists() and not path.is_dir() and not path.is_file():
        # /dev/zero, a FIFO: reading would never end.
        raise ConfigError(key, f"{path} is not a regular file")
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(key, f"no such file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(key, f"{path} is a directory, not a CSV file") from None
    except PermissionError:
        raise ConfigError(key, f"cannot read {path}: permission denied") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        reason = " ".join(str(exc).split())  # one line, whatever the parser wrote
        raise ConfigError(key, f"cannot read {path.name} as CSV: {reason}") from None
    if frame.empty:
        raise ConfigError(key, f"{path.name} has no rows")
    return frame


def _file_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _check_drop(settings: DataSettings, columns: list[str], where: str) -> None:
    for name in settings.drop:
        if name not in columns:
            raise ConfigError("data.drop", f"no column {name!r} in {where}")
        if name == settings.target:
            raise ConfigError("data.drop", f"{name!r} is the target column")


def _split_target(frame: pd.DataFrame, settings: DataSettings) -> tuple[pd.DataFrame, pd.Series]:
    y = frame[settings.target]
    if y.isna().any():
        raise ConfigError(
            "data.target", f"column {settings.target!r} has {int(y.isna().sum())} empty values"
        )
    X = frame.drop(columns=[settings.target, *settings.drop])
    return X, y


def non_numeric_columns(X: pd.DataFrame) -> list[str]:
    """Columns an estimator without preprocessing would choke on.

    >>> non_numeric_columns(pd.DataFrame({"a": [1.0], "b": ["x"], "c": [True]}))
    ['b']
    """
    return [str(c) for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c])
                                              or pd.api.types.is_bool_dtype(X[c]))]


def make_preprocessor(settings: PreprocessSettings, X: pd.DataFrame) -> ColumnTransformer:
    """A ``ColumnTransformer`` for the columns of ``X``: numeric ones imputed (and scaled),
    the others imputed and one-hot encoded.

    Step names are what a ``[space]`` key reaches them by, e.g.
    ``preprocess__numeric__impute__strategy`` (the pipeline names this ``preprocess``).

    >>> from tunesmith.cli._config import PreprocessSettings
    >>> X = pd.DataFrame({"age": [1.0, None, 3.0], "sex": ["m", "f", float("nan")]})
    >>> make_preprocessor(PreprocessSettings(), X).fit_transform(X).shape
    (3, 3)
    """
    categorical = non_numeric_columns(X)
    numeric = [str(c) for c in X.columns if str(c) not in categorical]
    numeric_steps: list[tuple[str, object]] = [
        ("impute", SimpleImputer(strategy=settings.numeric_impute))
    ]
    if settings.scale:
        numeric_steps.append(("scale", StandardScaler()))
    transformers: list[tuple[str, object, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps), numeric))
    if categorical:
        transformers.append((
            "categorical",
            Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore",
                                         max_categories=settings.max_categories)),
            ]),
            categorical,
        ))
    return ColumnTransformer(transformers)
