"""The few exceptions tunesmith raises.

Each also inherits the built-in a caller would already catch, so code written
against plain Python (``except ValueError``) keeps working.
"""

from __future__ import annotations

__all__ = [
    "BudgetReached",
    "InvalidSpaceError",
    "SchemaVersionError",
    "SearchExhausted",
    "StorageError",
    "StudyMismatchError",
    "StudyNotFoundError",
    "TrialPruned",
    "TunesmithError",
]


class TunesmithError(Exception):
    """Base class of every error tunesmith raises on purpose."""


class InvalidSpaceError(TunesmithError, ValueError):
    """A search space, dimension or parameter value breaks a rule.

    The message names the parameter, the rule and the offending value.
    """


class SearchExhausted(TunesmithError, LookupError):
    """Every point of a finite search has a trial: there is nothing left to ask."""


class BudgetReached(SearchExhausted):
    """The study already has as many trials as its budget (``n_trials``) allows.

    Counted in storage, so several processes running one study stop together.
    """


class StorageError(TunesmithError, RuntimeError):
    """The storage backend could not do what was asked."""


class StudyNotFoundError(StorageError, KeyError):
    """No study of that name exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SchemaVersionError(StorageError):
    """The database was written by an incompatible version of tunesmith."""


class StudyMismatchError(TunesmithError, ValueError):
    """A study was resumed with different data, estimator, space or splits."""


class TrialPruned(TunesmithError):
    """Raised inside an objective to stop the current trial early.

    The study records the trial as PRUNED instead of FAILED.
    """
