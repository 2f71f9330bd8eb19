"""Errors of the ``tunesmith`` command that are not about the study file.

Kept apart from the modules that raise them so that the command's error handler can
name them without importing the search machinery (and its dependencies) first.
"""

from __future__ import annotations

__all__ = ["SearchFailed"]


class SearchFailed(RuntimeError):
    """The search ran but no trial completed: nothing to refit."""
