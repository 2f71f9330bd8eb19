"""Which finished trials count as good: the quantile split of TPE.

Bergstra et al. (2011) model ``l(x)`` on the best ``gamma`` fraction of trials and
``g(x)`` on the rest. Watanabe (2023) finds a linear ``gamma`` with a cap works well:
the good group grows with the study but stays small enough to be selective.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["n_good", "split_good"]


def n_good(n_complete: int, gamma: float, max_good: int) -> int:
    """How many of ``n_complete`` trials form the good group (at least one).

    >>> n_good(100, 0.1, 25), n_good(3, 0.1, 25), n_good(1000, 0.1, 25)
    (10, 1, 25)
    """
    return max(1, min(math.ceil(gamma * n_complete), max_good, n_complete))


def split_good(loss: np.ndarray, numbers: np.ndarray, k: int) -> np.ndarray:
    """A boolean mask of the ``k`` smallest losses; ties go to the earlier trial.

    Breaking ties by trial number, not by storage order, keeps the split (and so the
    proposals) the same whichever worker finished first.

    >>> split_good(np.array([3.0, 1.0, 1.0, 2.0]), np.array([0, 3, 1, 2]), 2).tolist()
    [False, True, True, False]
    >>> split_good(np.array([3.0, 1.0, 1.0, 2.0]), np.array([0, 3, 1, 2]), 1).tolist()
    [False, False, True, False]
    """
    order = np.lexsort((numbers, loss))
    mask = np.zeros(len(loss), dtype=bool)
    mask[order[:k]] = True
    return mask
