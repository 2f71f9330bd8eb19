"""Which categorical combinations fail: counted from failed and skipped trials.

Invalid combinations of hyperparameters are nearly always structural (a solver that
does not support a penalty) and deterministic: one failure says the combination will
fail again, whatever the numbers. The kernel densities of the sampler generalise
poorly there, because distance in the numeric columns dilutes what the categorical
ones say. So the categorical columns get their own evidence, in two parts:

* the *signature* of a trial, its active categorical values: a signature that has
  failed and never succeeded is **known to fail** and is not proposed again;
* *pairs* of categorical values, for points not tried yet: each pair's failure rate,
  shrunk towards the mean rate of its two values, which is shrunk towards the overall
  rate (one pseudo-observation at each level). The most failure-prone pair of a
  candidate gives its ``log P(feasible)``, so a choice that has failed with most
  partners is tried with new partners only when the model expects much from it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FailureEvidence"]

#: Pseudo-observations each level of the shrinkage adds (value, pair).
_PRIOR = 1.0


class FailureEvidence:
    """Counts of ok and failed trials per categorical signature and per value pair.

    ``cat`` holds choice indices (-1 where inactive), ``sizes`` the number of choices
    per column, ``failed`` marks the trials that failed (the rest succeeded).

    >>> cat = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> evidence = FailureEvidence(cat, np.array([2, 2]), np.array([True, False, False, False]))
    >>> evidence.known_to_fail(np.array([[0, 0], [1, 1]])).tolist()
    [True, False]
    >>> bool(evidence.log_feasible(np.array([[0, 0]]))[0] < evidence.log_feasible(cat[3:])[0])
    True
    """

    def __init__(self, cat: np.ndarray, sizes: np.ndarray, failed: np.ndarray) -> None:
        self.sizes = np.asarray(sizes, dtype=np.int64)
        cat = np.asarray(cat, dtype=np.int64)
        failed = np.asarray(failed, dtype=bool)
        n_fail = int(failed.sum())
        # Overall rate, with one pseudo-trial on each side.
        self._p0 = (n_fail + 1.0) / (len(failed) + 2.0)
        self._failing = _failing_signatures(cat, failed)
        c = cat.shape[1]
        self._pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
        # Per column: failure rate of each choice (shrunk towards the overall rate).
        self._value_rate = []
        for i in range(c):
            k = int(self.sizes[i])
            active = cat[:, i] >= 0
            n = np.bincount(cat[active, i], minlength=k)
            f = np.bincount(cat[active & failed, i], minlength=k)
            self._value_rate.append((f + _PRIOR * self._p0) / (n + _PRIOR))
        # Per pair of columns: counts over both-active trials, by (choice, choice).
        self._pair_counts = []
        for i, j in self._pairs:
            kj = int(self.sizes[j])
            both = (cat[:, i] >= 0) & (cat[:, j] >= 0)
            code = cat[both, i] * kj + cat[both, j]
            size = int(self.sizes[i]) * kj
            n = np.bincount(code, minlength=size)
            f = np.bincount(code[failed[both]], minlength=size)
            self._pair_counts.append((n, f))

    def known_to_fail(self, cat: np.ndarray) -> np.ndarray:
        """Whether each row's active categorical values have failed and never succeeded."""
        if not self._failing:
            return np.zeros(len(cat), dtype=bool)
        return np.array([row.tobytes() in self._failing for row in np.asarray(cat, np.int64)],
                        dtype=bool)

    def log_feasible(self, cat: np.ndarray) -> np.ndarray:
        """log P(a point with these categorical values does not fail), per row."""
        cat = np.asarray(cat, dtype=np.int64)
        m, c = cat.shape
        if c == 0:
            return np.zeros(m)
        if c == 1:  # no pairs: the values' own rates
            active = cat[:, 0] >= 0
            rate = np.where(active, self._value_rate[0][np.maximum(cat[:, 0], 0)], 0.0)
            return np.log1p(-rate)
        worst = np.zeros(m)
        for (i, j), (n, f) in zip(self._pairs, self._pair_counts, strict=True):
            a, b = cat[:, i], cat[:, j]
            both = (a >= 0) & (b >= 0)
            a0, b0 = np.maximum(a, 0), np.maximum(b, 0)
            prior = (self._value_rate[i][a0] + self._value_rate[j][b0]) / 2
            code = a0 * int(self.sizes[j]) + b0
            rate = (f[code] + _PRIOR * prior) / (n[code] + _PRIOR)
            worst = np.maximum(worst, np.where(both, rate, 0.0))
        return np.log1p(-np.minimum(worst, 1.0 - 1e-12))


def _failing_signatures(cat: np.ndarray, failed: np.ndarray) -> set[bytes]:
    """Signatures (rows of choice indices) with a failure and no success."""
    if not failed.any() or cat.shape[1] == 0:
        return set()
    code = _row_codes(cat)
    if code is None:  # too many combinations for one integer: compare rows as bytes
        ok = {row.tobytes() for row in cat[~failed]}
        return {key for key in (row.tobytes() for row in cat[failed]) if key not in ok}
    bad = np.setdiff1d(code[failed], code[~failed])
    where = np.flatnonzero(failed)
    order = np.argsort(code[where], kind="stable")
    first = where[order[np.searchsorted(code[where], bad, sorter=order)]]
    return {cat[i].tobytes() for i in first}


def _row_codes(cat: np.ndarray) -> np.ndarray | None:
    """One integer per row, equal for equal rows (-1 counts as a value), or None."""
    radix = cat.max(axis=0, initial=0) + 2
    if float(np.prod(radix.astype(float))) >= 2.0**62:
        return None
    code = np.zeros(len(cat), dtype=np.int64)
    for i in range(cat.shape[1]):
        code = code * int(radix[i]) + (cat[:, i] + 1)
    return code
