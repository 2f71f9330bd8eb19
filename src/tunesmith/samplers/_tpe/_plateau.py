"""Trials tied for the best: a local optimum to exploit, or a plateau to explore.

Coarse scores such as cross-validated accuracy often tie. When more trials share the
best value than the good group holds, which of them are "good"? Two cases:

* **A few ties** (fewer than ``_split.PLATEAU_SHARE`` of the complete trials): a local
  optimum reached several times, e.g. neighbouring ``n_neighbors`` with the same
  accuracy. All of them are good (not the earliest few), and TPE exploits them.
* **A plateau** (at least that share): much of what was tried scores the same.
  On the lesson's Titanic data every ``l2`` and unpenalised LogisticRegression ties,
  over most of the range of ``C``, and the better models (liblinear + l1, C near 1)
  are a narrow strip beside the plateau. Sampling more of the plateau cannot improve
  on it, so TPE explores:

  - Candidates are drawn from the density of the near-best trials (within
    ``NEAR_SHARE`` of the spread of values from the best), so exploration stays near
    what scored well rather than wandering into regions known to be poor.
  - A candidate keeps its categorical combination only if that combination is
    untried, or came near the best and is not *flat*. A flat combination returned the
    identical value on at least ``FLAT_TRIALS`` trials spread over at least
    ``FLAT_SPAN`` of every numeric range (an unpenalised model ignores ``C``): more
    trials there would tie again.
  - The candidate least like every trial so far (lowest ``g(x)`` over all trials,
    running ones included) wins: the search fills the gaps, and parallel asks spread.

Measured on exhaustive tables of the objectives (seeds 0-79 of the lesson's space,
100 trials; 100 seeds of a k-NN on the wine data, 40 trials), against ties broken by
trial number: runs reaching the grid's best on the lesson rose from 13 to 44 in 80
(from 34 to 58 in 80 with the invalid pairs forbidden, as ``TPESearchCV`` searches);
k-NN runs reaching its best (0.9776, one value of ``n_neighbors``) rose from 51 to 61
in 100. A ``SpaceUnion`` on a plateau keeps the prior as ``l(x)`` instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tunesmith.samplers._tpe._branches import thin
from tunesmith.samplers._tpe._encoding import Rows
from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe.parzen import ParzenEstimator

__all__ = ["FLAT_SPAN", "FLAT_TRIALS", "NEAR_SHARE", "plateau_candidates"]

#: Near the best: within this share of the spread (best to 90th percentile) of values.
NEAR_SHARE = 0.1
#: A combination is flat after this many identical values ...
FLAT_TRIALS = 4
#: ... on trials that cover this much of each numeric range (unit scale).
FLAT_SPAN = 0.5

#: Builds a Parzen estimator over the given rows of the subspace (weights optional).
Estimator = Callable[..., ParzenEstimator]


def plateau_candidates(
    state: EncodedHistory, view: View, sub: int, sign: float, estimator: Estimator,
    rng: np.random.Generator, m: int, g_cap: int,
) -> tuple[Rows, np.ndarray] | None:
    """Up to ``m`` exploring candidates of subspace ``sub`` and their scores (higher better).

    ``estimator(rows, weights=None)`` builds a density over trial rows of ``sub``;
    ``g(x)`` uses at most about ``g_cap`` trials. None when no candidate has an
    untried or promising combination (every one near the best is flat).
    """
    enc = state.encodings[sub]
    in_sub = view.sub == sub
    ok = in_sub & (view.kind == Kind.OK)
    if not ok.any():
        return None
    loss = view.loss[ok] * sign
    best = float(loss.min())
    near = loss <= best + NEAR_SHARE * (float(np.quantile(loss, 0.9)) - best)

    tried = state.rows(sub, view.row[in_sub])
    kinds, inverse = np.unique(tried.cat, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    ok_in_sub = ok[in_sub]
    promising = _promising(kinds, inverse[ok_in_sub], loss, near, tried.num[ok_in_sub])

    l_near = estimator(view.row[ok][near])
    drawn = l_near.sample(rng, m)
    cands = enc.apply_conditions(Rows(enc.snap(drawn.num), drawn.cat))
    keep = _keep(cands.cat, kinds, promising)
    if not keep.any():
        return None
    cands = cands.take(np.flatnonzero(keep))
    running = view.kind[in_sub] == Kind.RUNNING
    g_rows, g_weights = thin(view.row[in_sub], g_cap, keep=running)
    g_all = estimator(g_rows, weights=g_weights)
    return cands, -g_all.log_pdf(cands)


def _promising(kinds: np.ndarray, kind_of: np.ndarray, loss: np.ndarray, near: np.ndarray,
               num: np.ndarray) -> np.ndarray:
    """Per tried combination: came near the best and is not flat."""
    out = np.zeros(len(kinds), dtype=bool)
    for k in np.unique(kind_of[near]):
        mine = kind_of == k
        values = loss[mine]
        if len(values) >= FLAT_TRIALS and np.ptp(values) == 0:
            x = num[mine]
            active = ~np.isnan(x)
            span = np.where(active, x, -np.inf).max(axis=0) - np.where(active, x, np.inf).min(
                axis=0)
            # A parameter this combination never had (inactive) cannot make a difference.
            span = np.where(active.any(axis=0), span, 1.0)
            if np.all(span >= FLAT_SPAN):
                continue
        out[k] = True
    return out


def _keep(cat: np.ndarray, kinds: np.ndarray, promising: np.ndarray) -> np.ndarray:
    """Candidates whose combination is untried or promising."""
    index = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(kinds))}
    found = [index.get(row.tobytes()) for row in np.ascontiguousarray(cat)]
    return np.array([i is None or bool(promising[i]) for i in found], dtype=bool)
