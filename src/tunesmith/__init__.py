"""tunesmith: hyperparameter optimization that picks up where scikit-learn stops.

The public names below are imported on first use (PEP 562), so that ``import
tunesmith`` (and ``tunesmith --version``) does not pay for numpy, scipy and
scikit-learn until something needs them.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from tunesmith.exceptions import (
    BudgetReached,
    InvalidSpaceError,
    SchemaVersionError,
    SearchExhausted,
    StorageError,
    StudyMismatchError,
    StudyNotFoundError,
    TrialPruned,
    TunesmithError,
)

if TYPE_CHECKING:  # what the lazy names resolve to, for type checkers and editors
    from tunesmith.pruners import (
        HyperbandPruner,
        MedianPruner,
        NopPruner,
        PatientPruner,
        Pruner,
        SuccessiveHalvingPruner,
    )
    from tunesmith.records import Direction, FrozenTrial, TrialState
    from tunesmith.space import Categorical, Distribution, Float, Int, Space
    from tunesmith.spaces import space_for
    from tunesmith.study import Study, load_study, run_worker
    from tunesmith.trial import Trial

__version__ = "0.1.0"

# A library never configures logging; the CLI installs handlers.
logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public name -> the module that defines it.
_LAZY = {
    "Categorical": "tunesmith.space",
    "Direction": "tunesmith.records",
    "Distribution": "tunesmith.space",
    "Float": "tunesmith.space",
    "FrozenTrial": "tunesmith.records",
    "HyperbandPruner": "tunesmith.pruners",
    "Int": "tunesmith.space",
    "MedianPruner": "tunesmith.pruners",
    "NopPruner": "tunesmith.pruners",
    "PatientPruner": "tunesmith.pruners",
    "Pruner": "tunesmith.pruners",
    "Space": "tunesmith.space",
    "Study": "tunesmith.study",
    "SuccessiveHalvingPruner": "tunesmith.pruners",
    "Trial": "tunesmith.trial",
    "TrialState": "tunesmith.records",
    "load_study": "tunesmith.study",
    "run_worker": "tunesmith.study",
    "space_for": "tunesmith.spaces",
}

__all__ = [
    "BudgetReached",
    "Categorical",
    "Direction",
    "Distribution",
    "Float",
    "FrozenTrial",
    "HyperbandPruner",
    "Int",
    "InvalidSpaceError",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "Pruner",
    "SchemaVersionError",
    "SearchExhausted",
    "Space",
    "StorageError",
    "Study",
    "StudyMismatchError",
    "StudyNotFoundError",
    "SuccessiveHalvingPruner",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TunesmithError",
    "__version__",
    "load_study",
    "run_worker",
    "space_for",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next access is a plain lookup
        return value
    try:  # a subpackage reached as an attribute: tunesmith.storage, tunesmith.sklearn
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the subpackage exists and needs something missing: say what
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
