"""k nearest neighbours: KNeighborsClassifier, KNeighborsRegressor."""

from __future__ import annotations

from tunesmith.space import Categorical, Int, Space

__all__ = ["k_neighbors"]


def k_neighbors(prefix: str = "") -> Space:
    """k on a log scale (1 to 50), vote weighting, Manhattan or Euclidean distance.

    k above the rows of a training fold fails at predict time: such a trial is
    fitted and recorded as failed (it depends on the data, so nothing forbids it).
    """
    return Space({
        f"{prefix}n_neighbors": Int(1, 50, log=True),
        f"{prefix}p": Categorical([1, 2]),
        f"{prefix}weights": Categorical(["uniform", "distance"]),
    })
