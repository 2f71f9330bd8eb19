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

:class:`FeasibilityModel` adds the kernel part (c-TPE, Watanabe & Hutter 2023): densities
of the ok and the failed trials over every column, for what the categorical columns
cannot tell, and combines both into the ``log P(feasible)`` a TPE ask adds to its scores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tunesmith.samplers._tpe._branches import Memo, estimator_of, thin
from tunesmith.samplers._tpe._encoding import Rows
from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe.parzen import Bandwidth

__all__ = ["FailureEvidence", "FeasibilityModel"]

#: Pseudo-observations each level of the shrinkage adds (value, pair).
_PRIOR = 1.0
#: Trials the kernel estimate of the chance of failing uses at most (per outcome).
_MAX_FEASIBILITY_ROWS = 100
#: Candidates whose chance of failing the kernel estimate checks (the best by score).
_FEASIBILITY_TOP = 16
#: New trials counted one by one (more: with bincounts).
_FEW = 8


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
        c = len(self.sizes)
        self._pairs = [(i, j) for i in range(c) for j in range(i + 1, c)]
        self._n_trials = self._n_failed = 0
        self._value_counts = [(np.zeros(int(k), np.int64), np.zeros(int(k), np.int64))
                              for k in self.sizes]
        self._pair_counts = [(np.zeros(int(self.sizes[i] * self.sizes[j]), np.int64),
                              np.zeros(int(self.sizes[i] * self.sizes[j]), np.int64))
                             for i, j in self._pairs]
        self._ok_signatures: set[bytes] = set()
        self._failed_signatures: set[bytes] = set()
        self._add(np.asarray(cat, dtype=np.int64).reshape(-1, c), np.asarray(failed, bool))

    def extended(self, cat: np.ndarray, failed: np.ndarray) -> FailureEvidence:
        """This evidence with more trials counted (a copy: this one is unchanged).

        An ask after a trial finished needs the counts of one more trial, not all of
        them again: the sampler keeps the last evidence and extends it.

        >>> cat = np.array([[0, 0], [0, 1], [1, 0]])
        >>> failed = np.array([True, False, False])
        >>> sizes = np.array([2, 2])
        >>> one = FailureEvidence(cat[:2], sizes, failed[:2]).extended(cat[2:], failed[2:])
        >>> every = FailureEvidence(cat, sizes, failed)
        >>> bool((one.log_feasible(cat) == every.log_feasible(cat)).all())
        True
        """
        copy = object.__new__(FailureEvidence)
        copy.sizes, copy._pairs = self.sizes, self._pairs
        copy._n_trials, copy._n_failed = self._n_trials, self._n_failed
        copy._value_counts = [(n.copy(), f.copy()) for n, f in self._value_counts]
        copy._pair_counts = [(n.copy(), f.copy()) for n, f in self._pair_counts]
        copy._ok_signatures = set(self._ok_signatures)
        copy._failed_signatures = set(self._failed_signatures)
        copy._add(np.asarray(cat, dtype=np.int64), np.asarray(failed, dtype=bool))
        return copy

    def _add(self, cat: np.ndarray, failed: np.ndarray) -> None:
        """Count these trials in (``cat``: their choice indices, ``failed``: which failed)."""
        self._n_trials += len(failed)
        self._n_failed += int(failed.sum())
        if len(cat) <= _FEW:
            # A trial or two since the last ask: plain loops beat a dozen bincounts.
            for row, bad in zip(cat.tolist(), failed.tolist(), strict=True):
                for i, (n, f) in enumerate(self._value_counts):
                    if row[i] >= 0:
                        n[row[i]] += 1
                        f[row[i]] += bad
                for (i, j), (n, f) in zip(self._pairs, self._pair_counts, strict=True):
                    if row[i] >= 0 and row[j] >= 0:
                        code = row[i] * int(self.sizes[j]) + row[j]
                        n[code] += 1
                        f[code] += bad
                (self._failed_signatures if bad else self._ok_signatures).add(
                    np.asarray(row, dtype=np.int64).tobytes())
        else:
            for i, (n, f) in enumerate(self._value_counts):
                active = cat[:, i] >= 0
                n += np.bincount(cat[active, i], minlength=len(n))
                f += np.bincount(cat[active & failed, i], minlength=len(f))
            for (i, j), (n, f) in zip(self._pairs, self._pair_counts, strict=True):
                both = (cat[:, i] >= 0) & (cat[:, j] >= 0)
                code = cat[both, i] * int(self.sizes[j]) + cat[both, j]
                n += np.bincount(code, minlength=len(n))
                f += np.bincount(code[failed[both]], minlength=len(f))
            if cat.shape[1]:
                self._ok_signatures |= _signatures(cat[~failed], self.sizes)
                self._failed_signatures |= _signatures(cat[failed], self.sizes)
        # Overall rate, with one pseudo-trial on each side; per column, each choice's
        # rate shrunk towards it.
        self._p0 = (self._n_failed + 1.0) / (self._n_trials + 2.0)
        self._value_rate = [(f + _PRIOR * self._p0) / (n + _PRIOR) for n, f in self._value_counts]
        self._failing = self._failed_signatures - self._ok_signatures

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


def _signatures(cat: np.ndarray, sizes: np.ndarray) -> set[bytes]:
    """The distinct rows of ``cat`` (choice indices, -1 where inactive), as bytes."""
    radix = sizes.astype(np.int64) + 1
    if not len(cat) or float(np.prod(radix.astype(float))) >= 2.0**62:
        return {row.tobytes() for row in cat}
    # One integer per row, equal for equal rows: the distinct ones by their first row.
    code = np.zeros(len(cat), dtype=np.int64)
    for i in range(cat.shape[1]):
        code = code * int(radix[i]) + (cat[:, i] + 1)
    first = np.unique(code, return_index=True)[1]
    return {row.tobytes() for row in cat[first]}


class FeasibilityModel:
    """``log P(feasible | x)`` for a TPE ask: :class:`FailureEvidence` on the categorical
    columns, kernel densities of ok and failed trials on all of them.

    ``bandwidth`` and ``prior_weight`` are the sampler's (the kernels of ``l`` and ``g``).
    """

    def __init__(self, bandwidth: Bandwidth, prior_weight: float) -> None:
        self.bandwidth = bandwidth
        self.prior_weight = prior_weight
        self._reset()

    def _reset(self) -> None:
        # Failed trials are rare: their estimator is usually the one of the last ask.
        self._memo = Memo(size=8)
        # Per (history, subspace): the last evidence and the trials it counted.
        self._evidence: dict[tuple[int, int], tuple[EncodedHistory, np.ndarray, np.ndarray,
                                                     FailureEvidence]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Caches are rebuilt from the history.
        return {"bandwidth": self.bandwidth, "prior_weight": self.prior_weight}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    def evidence(self, state: EncodedHistory, view: View, sub: int) -> FailureEvidence:
        """Failure counts of the categorical combinations tried in subspace ``sub``.

        Usually the last ask's counts plus the trials that finished since (finished
        trials never change; a view keeps the history's order).
        """
        in_sub = view.sub == sub
        finished = in_sub & (view.kind != Kind.RUNNING)
        ids = view.row[finished]
        failed = view.kind[finished] == Kind.FAILED
        cached = self._evidence.get((id(state), sub))
        if cached is not None and cached[0] is state:
            _, old_ids, old_failed, old = cached
            n = len(old_ids)
            if (n <= len(ids) and np.array_equal(ids[:n], old_ids)
                    and np.array_equal(failed[:n], old_failed)):
                made = old if n == len(ids) else old.extended(
                    state.rows(sub, ids[n:]).cat, failed[n:])
                self._remember(state, sub, ids, failed, made)
                return made
        made = FailureEvidence(state.rows(sub, ids).cat, state.encodings[sub].sizes, failed)
        self._remember(state, sub, ids, failed, made)
        return made

    def _remember(self, state: EncodedHistory, sub: int, ids: np.ndarray, failed: np.ndarray,
                  evidence: FailureEvidence) -> None:
        if len(self._evidence) > 16:  # old spaces, define-by-run
            self._evidence.clear()
        self._evidence[(id(state), sub)] = (state, ids, failed, evidence)

    def adjust(self, state: EncodedHistory, view: View, sub: int, cands: Rows,
               score: np.ndarray, evidence: FailureEvidence, with_kernel: bool = True
               ) -> np.ndarray:
        """``score`` plus ``log P(feasible)``; -inf for combinations known to fail.

        The categorical evidence is cheap and scores every candidate; the kernel
        estimate (unless ``with_kernel`` is False) only the ``_FEASIBILITY_TOP`` best of
        them. It can only lower a score, so the others are lowered by the most it
        lowered any of those: no candidate gets ahead by not having been checked.
        """
        score = score + evidence.log_feasible(cands.cat)
        score[evidence.known_to_fail(cands.cat)] = -np.inf
        finite = np.flatnonzero(np.isfinite(score))
        if not len(finite) or not with_kernel:
            return score
        top = finite[np.argsort(-score[finite], kind="stable")[:_FEASIBILITY_TOP]]
        kernel = self.log_kernel(state, view, sub, cands.take(top))
        rest = np.ones(len(score), dtype=bool)
        rest[top] = False
        score[top] += kernel
        score[rest] += kernel.min()
        return score

    def log_kernel(self, state: EncodedHistory, view: View, sub: int, cands: Rows
                   ) -> np.ndarray:
        """log P(a point does not fail) from kernel densities of ok and failed trials over
        every column (c-TPE, Watanabe & Hutter 2023)."""
        in_sub = view.sub == sub
        feasible = in_sub & ((view.kind == Kind.OK) | (view.kind == Kind.PRUNED))
        failed = in_sub & (view.kind == Kind.FAILED)
        if not failed.any():
            return np.zeros(len(cands))
        ok_rows, ok_w = thin(view.row[feasible], _MAX_FEASIBILITY_ROWS)
        ok_pe = estimator_of(state, sub, ok_rows, bandwidth=self.bandwidth,
                             prior_weight=self.prior_weight, weights=ok_w)
        # No prior for failures: a region nobody tried is presumed feasible.
        bad_rows, bad_w = thin(view.row[failed], _MAX_FEASIBILITY_ROWS)
        key = (state, sub, bad_rows.tobytes())
        bad_pe = self._memo.get(key)
        if bad_pe is None:
            bad_pe = estimator_of(state, sub, bad_rows, bandwidth=self.bandwidth,
                                  prior_weight=0.0, weights=bad_w)
            self._memo.put(key, bad_pe)
        a = ok_pe.log_pdf(cands) + math.log(ok_pe.total_weight)
        b = bad_pe.log_pdf(cands) + math.log(bad_pe.total_weight)
        return a - np.logaddexp(a, b)

    def log_point(self, state: EncodedHistory, view: View, point: dict) -> float:
        """``log P(feasible)`` of one point (0 outside the history's subspaces)."""
        sub = state.subspace_of(point)
        if sub is None:
            return 0.0
        rows = state.encodings[sub].encode([point])
        evidence = self.evidence(state, view, sub)
        if evidence.known_to_fail(rows.cat)[0]:
            return -math.inf
        return float(self.log_kernel(state, view, sub, rows)[0]
                     + evidence.log_feasible(rows.cat)[0])

    def known_to_fail(self, state: EncodedHistory, view: View, point: dict) -> bool:
        """Whether the point's categorical combination failed and never succeeded."""
        sub = state.subspace_of(point)
        if sub is None or not (view.kind == Kind.FAILED).any():
            return False
        rows = state.encodings[sub].encode([point])
        return bool(self.evidence(state, view, sub).known_to_fail(rows.cat)[0])
