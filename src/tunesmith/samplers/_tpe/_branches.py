"""The densities of a tree-structured space: a root and one node per branch.

In a tree-structured space a trial from one branch (``kernel="linear"``) says nothing
about a parameter of another (``degree``, active only for ``"poly"``). So, as in
Bergstra et al. (2011), each node is modelled on the trials that reach it: the
unconditional parameters (the root) on every trial, each branch's parameters on the
trials where that branch is active, split into good and bad by the study-wide split,
so that every node's ``l`` is ``p(x | y < y*)`` of the same ``y*``. Our kernels are
joint: a branch is modelled together with the root's parameters and enters as its
density given them (``C`` with ``gamma``), backed off half-way to the branch's own
density.

Which branch to take is decided first, on the marginal ratio of the *selectors* (the
root's parameters that conditions depend on, e.g. ``model``), then the rest given it
(:meth:`TreeDensity.selector_log_pdf`, then :func:`completions`), as
Bergstra's TPE decides each node on its own ratio. A joint ratio over whole points would
compare densities of different dimension and detail across branches: a branch with
more parameters, or more trials, has a more peaked ratio, and won the choice whatever
its values (``model_choice`` in the benchmark suite: a 2-parameter SVC branch drew the
proposals from a better 1-parameter logistic regression). Also here: :func:`thin`,
which bounds how many old trials a density sees, and :class:`Memo`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.samplers._tpe._encoding import Encoding, Rows
from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe.parzen import Bandwidth, ParzenEstimator

__all__ = ["Branch", "Memo", "TreeDensity", "completions", "estimator_of", "thin",
           "tree_densities"]

#: Trials each branch's bad density uses at most.
_MAX_BRANCH_ROWS = 100
#: Weight of a branch's own density, next to its density given the root's parameters.
_BACKOFF = 0.5


class Memo:
    """Estimators kept between asks, by exactly what they were built from (a few dozen).

    >>> memo = Memo(size=2)
    >>> memo.put("a", 1); memo.put("b", 2); memo.put("c", 3)
    >>> memo.get("a"), memo.get("c")
    (None, 3)
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self._items.get(key)

    def put(self, key: Any, value: Any) -> None:
        if key not in self._items and len(self._items) >= self.size:
            self._items.pop(next(iter(self._items)))  # the oldest
        self._items[key] = value


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


def estimator_of(state: EncodedHistory, sub: int, rows: np.ndarray, *, bandwidth: Bandwidth,
                 prior_weight: float, weights: np.ndarray | None = None) -> ParzenEstimator:
    """The density of trials ``rows`` (indices into ``state``'s rows) of subspace ``sub``,
    over all its columns."""
    enc = state.encodings[sub]
    return ParzenEstimator(state.rows(sub, rows), bins=enc.bins, sizes=enc.sizes,
                           n_dims=enc.n_dims, bandwidth=bandwidth, prior_weight=prior_weight,
                           weights=weights)


class TreeDensity:
    """``l(x)`` or ``g(x)`` of a tree-structured space, one estimator per node.

    The unconditional parameters form the root, modelled jointly over every trial;
    each branch (the parameters under one condition) is modelled over the trials
    where it is active, jointly with the root's parameters. A point's density is the
    root's times, for each branch active in it, the branch's density given the root
    (Bergstra et al. 2011, with joint kernels). The root's density factors into the
    selectors' marginal (``selectors``: positions among the root's columns of the
    parameters that conditions depend on) and the rest given them, so a sampler can
    choose the branch on the selectors alone (:meth:`selector_log_pdf`).
    """

    def __init__(self, root: ParzenEstimator, branches: list[Branch],
                 root_num: np.ndarray, root_cat: np.ndarray, width: tuple[int, int],
                 selectors: tuple[np.ndarray, np.ndarray]) -> None:
        self.root = root
        self.branches = branches
        self.root_num = root_num
        self.root_cat = root_cat
        self.width = width
        self.sel_num, self.sel_cat = selectors

    def sample(self, rng: np.random.Generator, m: int) -> Rows:
        """``m`` draws over every column (conditions not yet applied)."""
        num = np.full((m, self.width[0]), np.nan)
        cat = np.full((m, self.width[1]), -1, dtype=np.int64)
        drawn = self.root.sample(rng, m)
        num[:, self.root_num], cat[:, self.root_cat] = drawn.num, drawn.cat
        for branch in self.branches:
            drawn = branch.joint.sample(rng, m)
            # The joint's last columns are the branch's own.
            num[:, branch.num] = drawn.num[:, drawn.num.shape[1] - len(branch.num):]
            cat[:, branch.cat] = drawn.cat[:, drawn.cat.shape[1] - len(branch.cat):]
        return Rows(num, cat)

    def log_pdf(self, x: Rows) -> np.ndarray:
        """The root's log density plus, for each active branch, that of its parameters
        given the root's (the branch's joint density over the root's)."""
        root = Rows(x.num[:, self.root_num], x.cat[:, self.root_cat])
        return self.root.log_pdf(root) + self._branches_log_pdf(x)

    def selector_log_pdf(self, x: Rows) -> np.ndarray:
        """The log marginal density of each row's selectors."""
        cols_num, cols_cat = self.root_num[self.sel_num], self.root_cat[self.sel_cat]
        keys = np.concatenate([x.num[:, cols_num], x.cat[:, cols_cat]], axis=1)
        # Selectors are mostly categorical: a few distinct values among many rows.
        seen: dict[bytes, int] = {}
        inverse = np.array([seen.setdefault(key.tobytes(), len(seen)) for key in keys],
                           dtype=np.int64)
        first = np.unique(inverse, return_index=True)[1]
        root = Rows(x.num[first][:, self.root_num], x.cat[first][:, self.root_cat])
        return self.root.log_pdf_split(root, self.sel_num, self.sel_cat)[1][inverse]

    def with_selectors_of(self, x: Rows, i: int) -> Rows:
        """Every row of ``x`` with row ``i``'s selectors (conditions not yet applied)."""
        num, cat = x.num.copy(), x.cat.copy()
        cols_num, cols_cat = self.root_num[self.sel_num], self.root_cat[self.sel_cat]
        num[:, cols_num] = x.num[i, cols_num]
        cat[:, cols_cat] = x.cat[i, cols_cat]
        return Rows(num, cat)

    def selector_key(self, x: Rows, i: int) -> bytes:
        """Equal for rows with the same selectors."""
        return (x.num[i, self.root_num[self.sel_num]].tobytes()
                + x.cat[i, self.root_cat[self.sel_cat]].tobytes())

    def _branches_log_pdf(self, x: Rows) -> np.ndarray:
        """Per row, the sum over its active branches of their log density given the root."""
        root = Rows(x.num[:, self.root_num], x.cat[:, self.root_cat])
        total = np.zeros(len(x))
        for branch in self.branches:
            active = (~np.isnan(x.num[:, branch.num[0]]) if len(branch.num)
                      else x.cat[:, branch.cat[0]] >= 0)
            if not active.any():
                continue
            # Only the rows that took the branch: the others need no branch density.
            rows = np.flatnonzero(active)
            own = Rows(x.num[rows][:, branch.num], x.cat[rows][:, branch.cat])
            both = Rows(np.concatenate([root.num[rows], own.num], axis=1),
                        np.concatenate([root.cat[rows], own.cat], axis=1))
            joint, context, alone = branch.joint.log_pdf_split(
                both, np.arange(root.num.shape[1]), np.arange(root.cat.shape[1]))
            # The branch given the root, backed off towards the branch alone: where the
            # root's values are far from every trial of the branch, what the branch's
            # own trials say still counts.
            total[rows] += np.logaddexp(joint - context + math.log(1.0 - _BACKOFF),
                                        alone + math.log(_BACKOFF))
        return total


@dataclass(frozen=True)
class Branch:
    """One branch: its columns, and the density of (root, branch) columns over the
    trials that took it (the root's columns first)."""

    num: np.ndarray
    cat: np.ndarray
    joint: ParzenEstimator


def completions(l_pe: TreeDensity, g_pe: TreeDensity, enc: Encoding, cands: Rows, i: int
                ) -> tuple[Rows, np.ndarray]:
    """Candidate ``i``'s selectors with the other parameters of every candidate, and their
    ``log l - log g``: the second stage of a tree's choice. (That is the ratio of the
    rest given the selectors plus the selectors' own ratio, the same for every row.)

    >>> from tunesmith.space import Categorical, Condition, Float, Space
    >>> space = Space({"m": Categorical(["a", "b"]), "x": Float(0.0, 1.0)},
    ...               conditions=[Condition("x", "m", ["a"])])
    >>> state = EncodedHistory(space)
    >>> view = state.view([], {}, 0)  # no trials yet
    >>> none = np.zeros(0, dtype=bool)
    >>> l_pe, g_pe = tree_densities(state, view, 0, none, none, bandwidth=Bandwidth(),
    ...                             prior_weight=1.0, bad_cap=10)
    >>> enc = state.encodings[0]
    >>> cands = enc.encode([{"m": "a", "x": 0.3}, {"m": "b"}])
    >>> cands.num[1, 0] = 0.7  # what a tree density draws for a branch not taken
    >>> rows, score = completions(l_pe, g_pe, enc, cands, 0)
    >>> [p["x"] for p in enc.decode(rows)], score.tolist()  # no trials: a flat ratio
    ([0.3, 0.7], [0.0, 0.0])
    """
    rows = enc.apply_conditions(l_pe.with_selectors_of(cands, i))
    return rows, l_pe.log_pdf(rows) - g_pe.log_pdf(rows)


def tree_densities(
    state: EncodedHistory, view: View, sub: int, good: np.ndarray, bad: np.ndarray, *,
    bandwidth: Bandwidth, prior_weight: float, bad_cap: int, memo: Memo | None = None,
) -> tuple[TreeDensity, TreeDensity]:
    """``l`` and ``g`` of subspace ``sub`` as tree densities (see :class:`TreeDensity`).

    ``good`` and ``bad`` split the view's trials; each node sees the trials that reach
    it, split the same way. ``memo`` keeps branch estimators between asks.
    """
    enc = state.encodings[sub]
    in_sub = view.sub == sub
    root_num = np.flatnonzero(~enc.num_conditional)
    root_cat = np.flatnonzero(~enc.cat_conditional)
    width = (len(enc.num_names), len(enc.cat_names))

    def estimator(rows: Rows, num_cols: np.ndarray, cat_cols: np.ndarray,
                  weights: np.ndarray | None) -> ParzenEstimator:
        return ParzenEstimator(
            Rows(rows.num[:, num_cols], rows.cat[:, cat_cols]), bins=enc.bins[num_cols],
            sizes=enc.sizes[cat_cols], n_dims=len(num_cols) + len(cat_cols),
            bandwidth=bandwidth, prior_weight=prior_weight, weights=weights)

    def branch(b: int, side: str, index: np.ndarray, weights: np.ndarray | None) -> Branch:
        # A new trial joins one branch: the others keep their trials, and their
        # estimators are reused (keyed by exactly which rows, with which weights).
        cols_num, cols_cat = enc.branches[b]
        key = (state, sub, b, side, index.tobytes(), None if weights is None
               else weights.tobytes())
        made = None if memo is None else memo.get(key)
        if made is None:
            joint = estimator(state.rows(sub, index), np.concatenate([root_num, cols_num]),
                              np.concatenate([root_cat, cols_cat]), weights)
            made = Branch(cols_num, cols_cat, joint)
            if memo is not None:
                memo.put(key, made)
        return made

    # The good trials change only when a new one makes the top: l's root usually
    # repeats the last ask's. (g's thinned trials change at every ask.)
    good_index = view.row[good & in_sub]
    root_key = (state, sub, "root", good_index.tobytes())
    l_root = None if memo is None else memo.get(root_key)
    if l_root is None:
        l_root = estimator(state.rows(sub, good_index), root_num, root_cat, None)
        if memo is not None:
            memo.put(root_key, l_root)
    bad_index, bad_w = thin(view.row[bad & in_sub], bad_cap,
                            keep=view.kind[bad & in_sub] == Kind.RUNNING)
    g_root = estimator(state.rows(sub, bad_index), root_num, root_cat, bad_w)

    row_ids = view.row[in_sub]
    rows = state.rows(sub, row_ids)
    running = view.kind[in_sub] == Kind.RUNNING
    good_here, bad_in_sub = good[in_sub], bad[in_sub]
    l_branches, g_branches = [], []
    for b, (cols_num, cols_cat) in enumerate(enc.branches):
        active = (~np.isnan(rows.num[:, cols_num[0]]) if len(cols_num)
                  else rows.cat[:, cols_cat[0]] >= 0)
        bad_here = active & bad_in_sub
        index, weights = thin(row_ids[bad_here], _MAX_BRANCH_ROWS, keep=running[bad_here])
        l_branches.append(branch(b, "l", row_ids[active & good_here], None))
        g_branches.append(branch(b, "g", index, weights))
    parents = {cond.parent for cond in enc.space.conditions}
    selectors = (
        np.array([k for k, c in enumerate(root_num) if enc.num_names[c] in parents], np.int64),
        np.array([k for k, c in enumerate(root_cat) if enc.cat_names[c] in parents], np.int64))
    return (TreeDensity(l_root, l_branches, root_num, root_cat, width, selectors),
            TreeDensity(g_root, g_branches, root_num, root_cat, width, selectors))
