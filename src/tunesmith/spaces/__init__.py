"""Ready-made search spaces for the estimators people tune most.

``space_for(estimator)`` gives a :class:`~tunesmith.space.Space` with sensible
ranges, log scales where a parameter spans orders of magnitude, and the
estimator's known conditions (a parameter that only matters for some choice of
another) and forbidden combinations. One small module per estimator family;
``READY_MADE`` maps estimator class names to entries.

>>> from sklearn.linear_model import LogisticRegression
>>> from tunesmith.spaces import space_for
>>> "C" in space_for(LogisticRegression())
True
"""

from __future__ import annotations

from tunesmith.spaces._registry import READY_MADE, ReadyMade, build_registry, space_for

__all__ = ["READY_MADE", "ReadyMade", "build_registry", "space_for"]
