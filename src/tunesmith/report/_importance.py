"""How much each hyperparameter, and each pair, explains the score: functional ANOVA.

The method of Hutter, Hoos and Leyton-Brown, "An Efficient Approach for Assessing
Hyperparameter Importance" (ICML 2014). A random forest (scikit-learn's
``RandomForestRegressor``) is fitted to the complete trials' values. Each tree cuts the
space (every parameter's range, :class:`~tunesmith.report._data.Column` ``bounds``) into
boxes, its leaves, with a constant prediction in each. Under the uniform measure on the
space the tree's function decomposes exactly (functional ANOVA):

* the mean ``f0`` and total variance ``V`` are sums over the leaves weighted by their
  volume fractions;
* the marginal ``a_i(x_i)``, the prediction averaged over every other parameter, is
  constant between consecutive split points of parameter ``i``: on each such cell it is
  the sum of the leaves covering it, each weighted by its volume fraction in the other
  parameters;
* the main effect's variance is ``V_i = E[(a_i - f0)^2]``, the pair's
  ``V_ij = E[(a_ij - a_i - a_j + f0)^2]`` over the cells of both.

Each tree gives fractions ``V_i / V`` and ``V_ij / V``; the result is their mean over
the trees. Main effects and pairs together are at most 1; the rest is higher-order
interactions (and the model's noise).

An inactive (conditional) parameter is its own region below the parameter's range,
a tenth of its width (a categorical one gets its own category), so "inactive" is a
value like any other.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._data import Column, columns, complete_trials, values_of

__all__ = ["parameter_importance"]

#: Fewer complete trials than this cannot say anything about importance.
MIN_TRIALS = 4
_INACTIVE_SHARE = 0.1


def parameter_importance(
    trials: Sequence[FrozenTrial],
    direction: Direction | str,
    *,
    pairs: bool = True,
    n_trees: int = 32,
    max_leaves: int = 128,
    max_trials: int = 3000,
    seed: int = 0,
) -> dict[str | tuple[str, str], float]:
    """The fraction of the score's variance each parameter (and pair) explains.

    Functional ANOVA (Hutter et al. 2014) on a random forest fitted to the complete
    trials (module docstring). Keys are parameter names (main effects, largest first)
    and then, with ``pairs``, ``(a, b)`` tuples in the parameters' order (largest
    first). Parameters that never vary get 0. ``direction`` is accepted for symmetry with
    the plots; a variance does not depend on it. Above ``max_trials`` complete trials a
    seeded random subset is used (the analysis costs grow with the trees' leaves, capped
    at ``max_leaves``).

    >>> import numpy as np
    >>> from tunesmith.records import FrozenTrial, TrialState
    >>> rng = np.random.default_rng(0)
    >>> trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(x) ** 2,
    ...                       params={"x": float(x), "y": float(y)})
    ...           for n, (x, y) in enumerate(rng.uniform(-1, 1, size=(200, 2)))]
    >>> imp = parameter_importance(trials, "minimize")
    >>> imp["x"] > 0.95, imp["y"] < 0.02
    (True, True)
    """
    Direction.parse(direction)
    for name, value, least in (("n_trees", n_trees, 1), ("max_leaves", max_leaves, 2),
                               ("max_trials", max_trials, MIN_TRIALS)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    done = complete_trials(trials)
    if len(done) < MIN_TRIALS:
        raise ValueError(
            f"importance needs at least {MIN_TRIALS} complete trials, got {len(done)}; "
            "run more trials first")
    if len(done) > max_trials:
        keep = np.random.default_rng(seed).choice(len(done), size=max_trials, replace=False)
        done = [done[i] for i in sorted(keep)]
    cols = columns(done)
    if not cols:
        raise ValueError("importance needs trials with parameters; these trials have none")
    varying = [c for c in cols if not c.is_constant]
    y = values_of(done)
    main = dict.fromkeys((c.name for c in cols), 0.0)
    pair = dict.fromkeys(itertools.combinations([c.name for c in cols], 2), 0.0)
    if varying and np.ptp(y) > 0:
        X, lows, highs = _design(varying)
        fractions = _forest_fractions(X, y, lows, highs, pairs=pairs, n_trees=n_trees,
                                      max_leaves=max_leaves, seed=seed)
        for i, c in enumerate(varying):
            main[c.name] = fractions[(i,)]
        for key, share in fractions.items():
            if len(key) == 2:
                pair[(varying[key[0]].name, varying[key[1]].name)] = share
    out: dict[str | tuple[str, str], float] = dict(
        sorted(main.items(), key=lambda kv: -kv[1]))
    if pairs:
        out.update(sorted(pair.items(), key=lambda kv: -kv[1]))
    return out


def _design(cols: list[Column]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forest's inputs and the box they live in (inactive values placed apart)."""
    X = np.empty((len(cols[0].values), len(cols)))
    lows, highs = np.empty(len(cols)), np.empty(len(cols))
    for k, c in enumerate(cols):
        low, high = c.bounds
        values = c.values.copy()
        if not c.active.all():
            if c.categorical:
                gap = low - 1.0  # one more category, below the others
            else:
                width = (high - low) or 1.0
                gap = low - _INACTIVE_SHARE * width
            values[~c.active] = (gap + low) / 2
            low = gap
        X[:, k], lows[k], highs[k] = values, low, high
    return X, lows, highs


def _forest_fractions(X: np.ndarray, y: np.ndarray, lows: np.ndarray, highs: np.ndarray, *,
                      pairs: bool, n_trees: int, max_leaves: int, seed: int
                      ) -> dict[tuple[int, ...], float]:
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(n_estimators=n_trees, max_leaf_nodes=max_leaves,
                                   random_state=seed, n_jobs=1)
    forest.fit(X, y)
    d = X.shape[1]
    subsets: list[tuple[int, ...]] = [(i,) for i in range(d)]
    if pairs:
        subsets += list(itertools.combinations(range(d), 2))
    totals = dict.fromkeys(subsets, 0.0)
    n_used = 0
    for tree in forest.estimators_:
        shares = _tree_fractions(tree.tree_, lows, highs, subsets)
        if shares is None:  # a tree that predicts a constant explains nothing
            continue
        n_used += 1
        for key, share in shares.items():
            totals[key] += share
    return {key: (total / n_used if n_used else 0.0) for key, total in totals.items()}


def _leaves(tree: object, lows: np.ndarray, highs: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each leaf's box (lower and upper corners) and prediction."""
    left, right = tree.children_left, tree.children_right  # type: ignore[attr-defined]
    feature, threshold = tree.feature, tree.threshold  # type: ignore[attr-defined]
    value = tree.value.reshape(len(left), -1)[:, 0]  # type: ignore[attr-defined]
    lo_out, hi_out, v_out = [], [], []
    stack = [(0, lows.copy(), highs.copy())]
    while stack:
        node, lo, hi = stack.pop()
        if left[node] == -1:
            lo_out.append(lo)
            hi_out.append(hi)
            v_out.append(value[node])
            continue
        f, t = feature[node], min(max(threshold[node], lo[feature[node]]), hi[feature[node]])
        lo_r, hi_l = lo.copy(), hi.copy()
        hi_l[f], lo_r[f] = t, t
        stack.append((left[node], lo, hi_l))
        stack.append((right[node], lo_r, hi))
    return np.array(lo_out), np.array(hi_out), np.array(v_out)


def _tree_fractions(tree: object, lows: np.ndarray, highs: np.ndarray,
                    subsets: list[tuple[int, ...]]) -> dict[tuple[int, ...], float] | None:
    lo, hi, v = _leaves(tree, lows, highs)
    width = (hi - lo) / (highs - lows)  # each leaf's share of each parameter's range
    volume = width.prod(axis=1)
    f0 = float(volume @ v)
    total = float(volume @ (v - f0) ** 2)
    if total <= 1e-12 * max(1.0, f0 * f0):
        return None
    # Per parameter: the cells between consecutive split points, their share of the
    # range, and which leaves cover each cell.
    cells: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i in sorted({i for s in subsets for i in s}):
        edges = np.unique(np.concatenate([lo[:, i], hi[:, i], [lows[i], highs[i]]]))
        mids = (edges[:-1] + edges[1:]) / 2
        share = np.diff(edges) / (highs[i] - lows[i])
        covers = (lo[:, i][None, :] < mids[:, None]) & (mids[:, None] < hi[:, i][None, :])
        cells[i] = (share, covers.astype(float))
    safe = np.where(width > 0, width, 1.0)
    marginal: dict[int, np.ndarray] = {}
    out: dict[tuple[int, ...], float] = {}
    for s in subsets:
        if len(s) == 1:
            (i,) = s
            share, covers = cells[i]
            marginal[i] = covers @ (v * volume / safe[:, i])
            out[s] = float(share @ (marginal[i] - f0) ** 2) / total
    for s in subsets:
        if len(s) == 2:
            i, j = s
            (share_i, cov_i), (share_j, cov_j) = cells[i], cells[j]
            joint = (cov_i * (v * volume / (safe[:, i] * safe[:, j]))) @ cov_j.T
            effect = joint - marginal[i][:, None] - marginal[j][None, :] + f0
            out[s] = float(share_i @ effect ** 2 @ share_j) / total
    return out
