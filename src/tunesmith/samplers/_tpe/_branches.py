"""Densities of conditional parameters within their branch, and bounded sets of trials.

In a tree-structured space a trial from one branch (``kernel="linear"``) says nothing
about a parameter of another (``degree``, active only for ``"poly"``). When the joint
kernel of such a trial meets a candidate that has the parameter, the parameter's
density comes from the trials that did have it: ranked among themselves (the best
``gamma`` of them are its good group), so a branch that is not the best overall is
still explored where it is most promising (Bergstra et al. 2011, section 4).
"""

from __future__ import annotations

import numpy as np

from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe._split import n_good, split_good
from tunesmith.samplers._tpe.parzen import Bandwidth, ChoiceDensity, Marginals, ScalarDensity

__all__ = ["branch_densities", "thin"]

#: Trials each one-parameter branch density uses at most.
_MAX_BRANCH_ROWS = 100


def branch_densities(
    state: EncodedHistory, view: View, sub: int, *, sign: float, gamma: float,
    max_good: int, bandwidth: Bandwidth, prior_weight: float,
) -> tuple[Marginals | None, Marginals | None]:
    """Good and bad densities of each conditional parameter of subspace ``sub``.

    ``sign`` turns values into losses (smaller is better); None, None when the
    subspace has no conditional parameter.
    """
    enc = state.encodings[sub]
    if not (enc.num_conditional.any() or enc.cat_conditional.any()):
        return None, None
    in_sub = view.sub == sub
    rows = state.rows(sub, view.row[in_sub])
    ok = view.kind[in_sub] == Kind.OK
    loss = view.loss[in_sub] * sign
    number = view.number[in_sub]
    splits: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def split(active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Children of the same branch are active together: rank them once.
        key = np.packbits(active).tobytes()
        if key not in splits:
            scored = active & ok
            good = np.zeros(len(active), dtype=bool)
            if scored.any():
                k = n_good(int(scored.sum()), gamma, max_good)
                good[scored] = split_good(loss[scored], number[scored], k)
            splits[key] = (good, active & ~good)
        return splits[key]

    good_num: list[ScalarDensity | None] = []
    bad_num: list[ScalarDensity | None] = []
    for i, is_conditional in enumerate(enc.num_conditional):
        if not is_conditional:
            good_num.append(None)
            bad_num.append(None)
            continue
        for chosen, target in zip(split(~np.isnan(rows.num[:, i])), (good_num, bad_num),
                                  strict=True):
            index, weights = thin(np.flatnonzero(chosen), _MAX_BRANCH_ROWS)
            target.append(ScalarDensity(rows.num[index, i], int(enc.bins[i]), bandwidth,
                                        prior_weight, weights))
    good_cat: list[ChoiceDensity | None] = []
    bad_cat: list[ChoiceDensity | None] = []
    for i, is_conditional in enumerate(enc.cat_conditional):
        if not is_conditional:
            good_cat.append(None)
            bad_cat.append(None)
            continue
        for chosen, target in zip(split(rows.cat[:, i] >= 0), (good_cat, bad_cat), strict=True):
            target.append(ChoiceDensity(rows.cat[chosen, i], int(enc.sizes[i]), bandwidth,
                                        prior_weight))
    return Marginals(good_num, good_cat, enc.sizes), Marginals(bad_num, bad_cat, enc.sizes)


def thin(rows: np.ndarray, cap: int, keep: np.ndarray | None = None
         ) -> tuple[np.ndarray, np.ndarray | None]:
    """At most about ``cap`` of ``rows``, evenly spread, weighted to count for all.

    Rows marked in ``keep`` (trials still running: the constant liar) stay, at
    weight 1; the others are thinned to what is left of ``cap``, each standing for
    the rows skipped around it. A density of many trials is smooth: a few hundred
    estimate it about as well as thousands, at a fraction of the cost per
    suggestion, which then stays flat however long the study runs.

    >>> rows, weights = thin(np.arange(10), 4)
    >>> rows.tolist(), weights.tolist()
    ([0, 3, 6, 9], [2.5, 2.5, 2.5, 2.5])
    >>> thin(np.arange(3), 4)[1] is None
    True
    """
    n = len(rows)
    if n <= cap:
        return rows, None
    keep = np.zeros(n, dtype=bool) if keep is None else keep
    rest = np.flatnonzero(~keep)
    room = max(cap - int(keep.sum()), 1)
    if len(rest) <= room:
        return rows, None
    picked = rest[np.linspace(0, len(rest) - 1, room).round().astype(np.int64)]
    index = np.sort(np.concatenate([np.flatnonzero(keep), picked]))
    weights = np.ones(n)
    weights[rest] = len(rest) / room
    return rows[index], weights[index]
