"""tunesmith: hyperparameter optimization that picks up where scikit-learn stops."""

from __future__ import annotations

import logging

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
from tunesmith.records import Direction, FrozenTrial, TrialState
from tunesmith.space import Categorical, Distribution, Float, Int, Space
from tunesmith.spaces import space_for
from tunesmith.study import Study, load_study
from tunesmith.trial import Trial

__version__ = "0.1.0"

# A library never configures logging; the CLI installs handlers.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "BudgetReached",
    "Categorical",
    "Direction",
    "Distribution",
    "Float",
    "FrozenTrial",
    "Int",
    "InvalidSpaceError",
    "SchemaVersionError",
    "SearchExhausted",
    "Space",
    "StorageError",
    "Study",
    "StudyMismatchError",
    "StudyNotFoundError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TunesmithError",
    "__version__",
    "load_study",
    "space_for",
]
