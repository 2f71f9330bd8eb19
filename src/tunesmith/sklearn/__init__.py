"""Drop-in replacements for scikit-learn's searches: change one import, same results.

>>> from tunesmith.sklearn import GridSearchCV, RandomizedSearchCV  # doctest: +SKIP
>>> from tunesmith.sklearn import HalvingGridSearchCV, HalvingRandomSearchCV  # doctest: +SKIP
>>> from tunesmith.sklearn import TPESearchCV  # model-based, same interface  # doctest: +SKIP

The searches run as tunesmith studies: fits in worker processes with ``n_jobs``, a
progress bar on terminals, a stored and resumable search with ``storage=`` and
``study_name=``, and candidates the estimator rejects whatever the data skipped
instead of fitted (``skip_invalid=True``; their rows match scikit-learn's failed ones).
"""

from __future__ import annotations

from tunesmith.sklearn._discovery import (
    InvalidReport,
    discover_in_space,
    find_invalid_candidates,
    probe_space,
)
from tunesmith.sklearn._grid import GridSearchCV
from tunesmith.sklearn._halving_searches import HalvingGridSearchCV, HalvingRandomSearchCV
from tunesmith.sklearn._model_based import SobolSearchCV, TPESearchCV
from tunesmith.sklearn._racing import Racing
from tunesmith.sklearn._random import RandomizedSearchCV
from tunesmith.sklearn._search import BaseSearchCV, SkippedCandidatesWarning

__all__ = [
    "BaseSearchCV",
    "GridSearchCV",
    "HalvingGridSearchCV",
    "HalvingRandomSearchCV",
    "InvalidReport",
    "Racing",
    "RandomizedSearchCV",
    "SkippedCandidatesWarning",
    "SobolSearchCV",
    "TPESearchCV",
    "discover_in_space",
    "find_invalid_candidates",
    "probe_space",
]
