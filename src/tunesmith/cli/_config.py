"""The study file: TOML validated into one frozen :class:`Settings` object.

A study file describes one whole job: the data, the estimator, the space and the search.
Every mistake becomes a :class:`ConfigError` whose text is one line that starts with the
key it is about (``space.C: log scale needs low > 0, got -1``), because the person
reading it has the TOML file open, not our source code.

The format, key by key: docs/study-file.md; complete files: ``examples/``.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tunesmith.cli._config_errors import At, first_error
from tunesmith.cli._config_limits import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_SEED,
    MAX_TRIALS,
    check_inside,
    depth,
    normalize_storage,
)
from tunesmith.cli._config_space import NONE_TOKEN, FrozenModel, SpaceEntry, plain_value
from tunesmith.exceptions import TunesmithError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the pyproject pulls in tomli there
    import tomli as tomllib

__all__ = [
    "DATASETS",
    "NONE_TOKEN",
    "ConfigError",
    "DataSettings",
    "EstimatorSettings",
    "PreprocessSettings",
    "SearchSettings",
    "Settings",
    "SpaceEntry",
    "Strategy",
    "load_settings",
    "normalize_storage",
    "parse_settings",
]

#: Datasets scikit-learn ships inside its wheel (no download), by study-file name.
DATASETS: dict[str, str] = {
    "breast_cancer": "load_breast_cancer",
    "diabetes": "load_diabetes",
    "digits": "load_digits",
    "iris": "load_iris",
    "wine": "load_wine",
}


class ConfigError(TunesmithError, ValueError):
    """A mistake in a study file or in what it points at, as one line: ``key: message``.

    >>> str(ConfigError("space.C", "log scale needs low > 0, got -1"))
    'space.C: log scale needs low > 0, got -1'
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


def _freeze(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


_V = TypeVar("_V")

# A read-only mapping inside the frozen settings, dumped as a plain dict: a generic
# alias, _FrozenMap[SpaceEntry] is Mapping[str, SpaceEntry] with the same validator.
_FrozenMap = Annotated[
    Mapping[str, _V],
    AfterValidator(_freeze),
    PlainSerializer(lambda m: dict(m), return_type=dict),
]


# -- the sections ---------------------------------------------------------------------


class DataSettings(FrozenModel):
    """``[data]``: a CSV with a target column (and optional held-out CSV), or a dataset."""

    train: Path | None = None
    test: Path | None = None
    target: str | None = None
    dataset: Literal["breast_cancer", "diabetes", "digits", "iris", "wine"] | None = None
    drop: tuple[str, ...] = ()
    test_size: float | None = Field(default=None, gt=0, lt=1, strict=True)
    split_seed: int = Field(default=0, ge=0, le=MAX_SEED, strict=True)

    @field_validator("train", "test")
    @classmethod
    def _relative_to_study_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        # Paths in a study file mean "beside the study file", wherever the shell is.
        if path is None:
            return None
        base = (info.context or {}).get("base_dir")
        path = path.expanduser()
        if base is not None and not path.is_absolute():
            path = Path(base) / path
        return path.resolve()

    @model_validator(mode="after")
    def _one_source(self) -> DataSettings:
        if self.train is None and self.dataset is None:
            raise ValueError(
                'give train = "file.csv" with target = "column", or dataset = "wine"'
            )
        if self.train is not None and self.dataset is not None:
            raise At("dataset", "give either train (a CSV) or dataset, not both")
        if self.train is not None and self.target is None:
            raise At("target", "missing required key: the column to predict")
        if self.dataset is not None:
            for key in ("test", "target"):
                if getattr(self, key) is not None:
                    raise At(key, f"not used with dataset = {json.dumps(self.dataset)}")
        if self.test is not None and self.test_size is not None:
            raise At("test_size", "give either test (a held-out CSV) or test_size, not both")
        return self


class EstimatorSettings(FrozenModel):
    """``[estimator]``: an import path and fixed parameters."""

    class_path: str = Field(alias="class")
    params: _FrozenMap[Any] = Field(default_factory=dict)

    @field_validator("class_path")
    @classmethod
    def _dotted(cls, path: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+", path):
            raise ValueError(
                f'expected an import path such as "sklearn.linear_model.LogisticRegression", '
                f"got {json.dumps(path)}"
            )
        return path

    @field_validator("params", mode="before")
    @classmethod
    def _values(cls, params: Any) -> Any:
        if not isinstance(params, dict):
            return params  # pydantic reports the wrong type
        return {k: plain_value(v, str(k)) for k, v in params.items()}


class PreprocessSettings(FrozenModel):
    """``[preprocess]``: impute, scale and one-hot encode before the estimator.

    Numeric columns: ``SimpleImputer(strategy=numeric_impute)`` then (``scale``)
    ``StandardScaler``; other columns: the most frequent value, then
    ``OneHotEncoder(handle_unknown="ignore")``.
    """

    numeric_impute: Literal["mean", "median", "most_frequent"] = "median"
    scale: bool = Field(default=True, strict=True)
    max_categories: int | None = Field(default=None, ge=2, strict=True)


class Strategy(str, enum.Enum):
    """How the search picks points: exhaustively, at random, or model-based."""

    GRID = "grid"
    RANDOM = "random"
    SOBOL = "sobol"
    TPE = "tpe"
    GP = "gp"
    AUTO = "auto"


class PrunerName(str, enum.Enum):
    """``pruner = "..."``: how a native study stops losing trials early (folds are steps)."""

    NONE = "none"
    MEDIAN = "median"
    ASHA = "asha"
    HYPERBAND = "hyperband"


class SearchSettings(FrozenModel):
    """``[search]``: how to search and how to score."""

    strategy: Strategy
    # Strict: cv = "5", seed = "42" or n_trials = true are refused, not converted.
    n_trials: int | None = Field(default=None, ge=1, le=MAX_TRIALS, validate_default=True,
                                 strict=True)
    cv: int = Field(default=5, ge=2, le=1000, strict=True)
    scoring: str | None = None
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, strict=True)
    n_jobs: int = Field(default=1, strict=True)
    # Folds are a native study's steps; the pruner's settings in [search.pruner_settings].
    pruner: PrunerName = PrunerName.NONE
    pruner_settings: _FrozenMap[int | float | str] = Field(default_factory=dict)
    #: Racing over folds (a grid or random search over value lists: the drop-ins):
    #: true, or a table of tunesmith.sklearn.Racing's settings, which turns it on.
    racing: StrictBool | _FrozenMap[int | float | str] = False
    #: A Dask scheduler's address: the trials (or folds) run on that cluster.
    executor: str | None = None
    #: A native study's trials each get their own GPUs (one worker process per group
    #: here; Dask's "GPU" resource on ``executor``) and at most this many BLAS threads.
    gpus_per_trial: int | None = Field(default=None, ge=1, le=64, strict=True)
    cpus_per_trial: int | None = Field(default=None, ge=1, le=1024, strict=True)

    @field_validator("n_trials")
    @classmethod
    def _trials_fit_strategy(cls, n_trials: int | None, info: ValidationInfo) -> int | None:
        # The validated strategy; absent when it failed validation.
        strategy: Strategy | None = info.data.get("strategy")
        if strategy is Strategy.GRID and n_trials is not None:
            raise ValueError("grid search runs every point of the space; remove n_trials")
        if strategy is not None and strategy is not Strategy.GRID and n_trials is None:
            raise ValueError(f'missing required key for strategy = "{strategy.value}"')
        return n_trials

    @field_validator("pruner_settings")
    @classmethod
    def _pruner_takes(cls, settings: Mapping[str, Any], info: ValidationInfo
                      ) -> Mapping[str, Any]:
        from tunesmith.pruners import make_pruner

        pruner: PrunerName | None = info.data.get("pruner")
        if pruner is None:
            return settings  # the pruner's own error is the one to show
        if settings and pruner is PrunerName.NONE:
            raise ValueError('settings need a pruner: add pruner = "median", "asha" or '
                             '"hyperband" to [search]')
        make_pruner(pruner.value, **settings)  # its ValueError names the setting
        return settings

    @field_validator("racing")
    @classmethod
    def _racing_takes(cls, racing: bool | Mapping[str, Any], info: ValidationInfo
                      ) -> bool | Mapping[str, Any]:
        if isinstance(racing, bool):
            return racing
        import dataclasses

        from tunesmith.sklearn import Racing

        known = [f.name for f in dataclasses.fields(Racing)]
        unknown = sorted(set(racing) - set(known))
        if unknown:
            raise ValueError(f"unknown racing setting {unknown[0]!r}; the settings are "
                             f"{', '.join(known)} (or racing = true for the defaults)")
        folds = Racing(**racing).min_folds  # its ValueError names the setting
        cv: int | None = info.data.get("cv")
        if cv is not None and folds >= cv:
            raise ValueError(f"min_folds = {folds} leaves nothing to race with cv = {cv}: "
                             f"set min_folds below {cv}, or raise cv")
        return racing

    @field_validator("executor")
    @classmethod
    def _scheduler(cls, executor: str | None) -> str | None:
        if executor is not None and not re.fullmatch(r"(tcp|tls|ucx|inproc)://\S+", executor):
            raise ValueError(f"{json.dumps(executor)} is not a Dask scheduler address; give "
                             'one such as "tcp://10.0.0.5:8786", or leave the key out')
        return executor

    @field_validator("n_jobs")
    @classmethod
    def _jobs(cls, n_jobs: int) -> int:
        if n_jobs == 0:
            raise ValueError("must not be 0: use 1 for one process, -1 for every core")
        return n_jobs


class Settings(FrozenModel):
    """A whole study file, validated. Paths in it are absolute.

    >>> settings = parse_settings('''
    ... [data]
    ... dataset = "iris"
    ... [estimator]
    ... class = "sklearn.svm.SVC"
    ... [space]
    ... C = [0.1, 1, 10]
    ... [search]
    ... strategy = "grid"
    ... ''', name="demo")
    >>> settings.name, settings.space["C"].values, settings.search.cv
    ('demo', (0.1, 1, 10), 5)
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=200)
    description: str = ""
    storage: str | None = None
    data: DataSettings
    estimator: EstimatorSettings
    preprocess: PreprocessSettings | None = None
    #: None (no ``[space]`` table): the estimator's ready-made space (tunesmith.spaces).
    space: _FrozenMap[SpaceEntry] | None = None
    search: SearchSettings

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "name" not in data:
            default = (info.context or {}).get("default_name")
            if default is not None:
                data = {"name": default, **data}
        return data

    @field_validator("storage")
    @classmethod
    def _storage(cls, storage: str | None, info: ValidationInfo) -> str | None:
        if storage is None:
            return None
        if not storage.strip():
            raise ValueError('empty: give a SQLite file such as "runs.db", or leave the key '
                             "out to store the study beside the study file")
        base = (info.context or {}).get("base_dir")
        url = normalize_storage(storage, base or Path.cwd())
        if url.lower().startswith("sqlite") and url.partition("://")[2].lstrip("/") in (
                "", ":memory:"):
            raise ValueError(f"{json.dumps(storage)} is an in-memory database, which keeps "
                             'nothing after the run; give a file such as "runs.db"')
        check_inside(storage, url, base)
        return url

    @field_validator("space")
    @classmethod
    def _names(cls, space: Mapping[str, SpaceEntry] | None) -> Mapping[str, SpaceEntry] | None:
        if space is None:
            return None
        if not space:
            raise ValueError("empty: name at least one parameter to tune, e.g. C = [0.1, 1, 10]")
        for name in space:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise At(name, "not a parameter name")
        return space


# -- loading --------------------------------------------------------------------------


def parse_settings(text: str, *, name: str, base_dir: Path | None = None) -> Settings:
    """Validate the TOML ``text`` of a study file; ``name`` is the default study name.

    Raises :class:`ConfigError` for the first mistake (TOML syntax included).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"not valid TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError("", f"not valid TOML for a study file: nested more than "
                              f"{MAX_DEPTH} levels deep") from None
    if depth(raw) > MAX_DEPTH:
        raise ConfigError("", f"tables or lists nested more than {MAX_DEPTH} levels deep; a "
                              "study file needs three or four")
    context = {"base_dir": base_dir, "default_name": _safe_name(name)}
    try:
        return Settings.model_validate(raw, context=context)
    except ValidationError as exc:
        raise ConfigError(*first_error(exc, _SECTIONS)) from None


def load_settings(path: str | Path) -> Settings:
    """Read and validate a study file; relative paths in it are relative to it.

    >>> load_settings("/nonexistent/study.toml")
    Traceback (most recent call last):
    ...
    tunesmith.cli._config.ConfigError: cannot read the study file: ...
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise ConfigError("", f"cannot read the study file: {path} is {what}")
    if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError("", f"cannot read the study file: {path} is larger than "
                              f"{MAX_FILE_BYTES // 1000} kB; a study file is a few lines of TOML")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError("", f"cannot read the study file: {reason}") from None
    return parse_settings(text, name=path.stem, base_dir=path.resolve().parent)


def _safe_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", stem).lstrip("_.-")
    return name or "study"


# Which model sits at which key, to list the keys an unknown key could have been.
_SECTIONS: dict[str, type[FrozenModel]] = {
    "": Settings,
    "data": DataSettings,
    "estimator": EstimatorSettings,
    "preprocess": PreprocessSettings,
    "search": SearchSettings,
    "space.*": SpaceEntry,
}
