"""Which finished trials count as good: the quantile split of TPE.

Bergstra et al. (2011) model ``l(x)`` on the best ``gamma`` fraction of trials and
``g(x)`` on the rest. Watanabe (2023) finds a linear ``gamma`` with a cap works well:
the good group grows with the study but stays small enough to be selective.

Ties at the threshold follow the paper's definition, ``l(x) = p(x | y < y*)``: when
more trials share the threshold value ``y*`` than the good group has room for, none
of them is good, rather than the earliest of them (an order that says nothing about
the points). Ties at the best value itself are different (:func:`good_group`): a few
are a local optimum and all good; a tie group of ``PLATEAU_SHARE`` of the trials or
more is a plateau, left out of the good group, and TPE explores (``_plateau``).

Pruned trials are evidence too (:func:`good_with_pruned`): stopped early, they rank
below every complete trial, among themselves by how far they got, then by their last
value (a trial that survived more rungs beat more rivals). The good group is the best
``gamma`` share of complete and pruned trials together, so under aggressive pruning,
where few trials complete, TPE still learns where the promising ones were.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "PLATEAU_SHARE",
    "good_group",
    "good_with_pruned",
    "is_plateau",
    "n_good",
    "split_good",
    "tied_best",
]

#: Trials tied for the best make a plateau from this share of the complete trials on.
PLATEAU_SHARE = 1 / 3


def n_good(n_complete: int, gamma: float, max_good: int) -> int:
    """How many of ``n_complete`` trials form the good group (at least one).

    >>> n_good(100, 0.1, 25), n_good(3, 0.1, 25), n_good(1000, 0.1, 25)
    (10, 1, 25)
    """
    return max(1, min(math.ceil(gamma * n_complete), max_good, n_complete))


def split_good(loss: np.ndarray, k: int) -> np.ndarray:
    """A boolean mask of the (at most ``k``) trials strictly better than the ``k``-th loss.

    The ``k`` smallest losses are good, unless the ``k``-th ties with a loss outside
    them: then the whole tie group is left out (``y < y*``). The split depends on the
    values alone, never on the order trials finished in, so every worker sees the same.

    >>> split_good(np.array([3.0, 1.0, 1.0, 2.0]), 2).tolist()
    [False, True, True, False]
    >>> split_good(np.array([3.0, 1.0, 1.0, 2.0]), 3).tolist()
    [False, True, True, True]

    Three trials tie at 1.0 and only two fit: none of them is good.

    >>> split_good(np.array([3.0, 1.0, 1.0, 1.0]), 2).tolist()
    [False, False, False, False]
    >>> split_good(np.array([0.5, 1.0, 1.0, 1.0]), 2).tolist()
    [True, False, False, False]
    """
    if k >= len(loss):
        return np.ones(len(loss), dtype=bool)
    threshold = np.partition(loss, k - 1)[k - 1]
    at_most = loss <= threshold
    if int(at_most.sum()) <= k:
        return at_most
    return loss < threshold


def tied_best(loss: np.ndarray, k: int) -> np.ndarray | None:
    """A mask of the trials tied for the best (smallest) loss, if more than ``k`` tie.

    >>> tied_best(np.array([0.2, 0.5, 0.2, 0.2]), 2).tolist()
    [True, False, True, True]
    >>> tied_best(np.array([0.1, 0.2, 0.2]), 2) is None
    True
    """
    if not len(loss):
        return None
    tied = loss == loss.min()
    return tied if int(tied.sum()) > k else None


def is_plateau(tied: np.ndarray) -> bool:
    """Whether the trials tied for the best (``tied``, over all complete trials) are a
    plateau: at least ``PLATEAU_SHARE`` of them.

    >>> is_plateau(np.array([True, True, False, False, False, False]))
    True
    >>> is_plateau(np.array([True, True, False, False, False, False, False]))
    False
    """
    return int(tied.sum()) >= PLATEAU_SHARE * len(tied)


def good_group(loss: np.ndarray, k: int) -> np.ndarray:
    """The trials ``l(x)`` models: :func:`split_good`, except that when a few more than
    ``k`` trials tie for the best (a local optimum, not a plateau) all of them are good.

    >>> good_group(np.array([1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]), 2).tolist()
    [True, True, True, False, False, False, False, False, False, False]
    >>> good_group(np.array([1.0, 1.0, 1.0, 2.0]), 2).tolist()  # a plateau: y < y*
    [False, False, False, False]
    """
    tied = tied_best(loss, k)
    if tied is not None and not is_plateau(tied):
        return tied
    return split_good(loss, k)


def good_with_pruned(loss: np.ndarray, step: np.ndarray, ok: np.ndarray, pruned: np.ndarray,
                     gamma: float, max_good: int) -> np.ndarray:
    """The good group over complete (``ok``) and pruned trials: a mask over all of them.

    ``loss`` is signed (smaller is better; a pruned trial's is its last value) and
    ``step`` a pruned trial's last step. The group holds ``n_good`` of the complete and
    ranked pruned trials together: complete trials first (:func:`good_group` among
    them), then pruned ones by step (later first), then by loss. A pruned trial without
    a value is never good. Without pruned trials this is :func:`good_group`.

    >>> loss = np.array([0.3, 0.5, 0.1, 0.2, 0.4])
    >>> step = np.array([-1, -1, 3, 9, 9])
    >>> ok = np.array([True, True, False, False, False])
    >>> good_with_pruned(loss, step, ok, ~ok, 0.8, 25).tolist()  # 4 good: 2 ok, step 9's
    [True, True, False, True, True]
    >>> good_with_pruned(loss, step, ok, ~ok, 0.3, 25).tolist()  # 2 good: the ok ones
    [True, True, False, False, False]
    """
    ranked = pruned & np.isfinite(loss)
    n_ok = int(ok.sum())
    k = n_good(n_ok + int(ranked.sum()), gamma, max_good)
    good = np.zeros(len(loss), dtype=bool)
    if n_ok:
        good[ok] = good_group(loss[ok], min(k, n_ok))
    extra = k - n_ok
    if extra > 0 and ranked.any():
        index = np.flatnonzero(ranked)
        order = np.lexsort((loss[index], -step[index]))  # the last key sorts first
        good[index[order[:extra]]] = True
    return good
