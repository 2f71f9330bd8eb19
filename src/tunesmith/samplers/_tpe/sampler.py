"""The Tree-structured Parzen Estimator sampler (Bergstra et al. 2011; Watanabe 2023).

One ask:

1. Encode the history (cached per trial, see ``_history``).
2. Fewer than ``n_startup_trials`` finished trials: a Sobol (or random) point.
3. Otherwise split the complete trials by value: the best ``gamma`` fraction is
   "good" and fits ``l(x)``; pruned trials rank below complete ones, by the step
   they reached (``_split``); the rest, with failed, skipped and still running
   trials, is "bad" and fits ``g(x)`` (``parzen``). When more trials tie
   for the best than the good group holds, all of them are good; when they are a
   large share of the study (a plateau), the ratio has nothing to learn from, and
   TPE explores near the best instead (``_plateau``).
4. Draw ``n_candidates`` points from ``l`` and keep the one with the largest
   ``log l(x) - log g(x)`` (on a tree-structured space, first the branch on its
   selectors' ratio, then the rest given it: ``_branches``), plus
   ``log P(feasible | x)`` when some trials failed (the idea of c-TPE, Watanabe &
   Hutter 2023): kernel densities of ok and failed
   trials, and counts of failing categorical combinations (``_feasibility``). A
   combination that failed and never succeeded is not proposed again.
5. Return the best candidate that is valid (conditions, forbidden combinations) and,
   on a finite space, not tried before (running trials included: parallel asks
   never repeat a point).

A space with conditions is a tree: the unconditional parameters are modelled on
every trial, each branch's parameters on the trials that took it (``_branches``). Long
studies stay cheap: ``g`` and the feasibility model see a thinned set of old trials.

Define-by-run, the engine asks for the *known space* (the parameters every complete
trial recorded alike). When trials recorded more, a branch's parameters that a root
categorical's values explain, the sampler proposes on the tree they imply (``_inferred``)
exactly as on a declared one, and hands the branch's values out as the objective asks
for them (``propose_one``); only parameters nothing explains are modelled one at a time.

A :class:`~tunesmith.space.SpaceUnion` is a tree whose root chooses the subspace:
the subspace gets its own good / bad counts and each subspace its own densities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith._checks import check_int
from tunesmith.records import Direction, FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler, _stable_hash, trial_rng
from tunesmith.samplers._sobol import SobolSampler
from tunesmith.samplers._tpe._branches import (
    Memo,
    TreeDensity,
    completions,
    estimator_of,
    thin,
    tree_densities,
)
from tunesmith.samplers._tpe._encoding import Rows
from tunesmith.samplers._tpe._feasibility import FailureEvidence, FeasibilityModel
from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe._inferred import InferredTree
from tunesmith.samplers._tpe._plateau import plateau_candidates
from tunesmith.samplers._tpe._seen import Seen, first_usable
from tunesmith.samplers._tpe._split import good_with_pruned, is_plateau, n_good, tied_best
from tunesmith.samplers._tpe.parzen import Bandwidth, ParzenEstimator, one_blas_thread
from tunesmith.space import Dimension, Space
from tunesmith.space._keys import value_key

__all__ = ["TPESampler"]

#: l(x) or g(x): one estimator, or one per node of a tree-structured space.
Density = ParzenEstimator | TreeDensity

# trial_rng streams, apart from the main one (0) and from other samplers'.
_STREAM_STARTUP = 0x7BE0
_STREAM_FALLBACK = 0x7BE1
#: Alternative startup points tried when the first looks infeasible.
_STARTUP_TRIES = 16
#: Trials ``g(x)`` uses at most (older ones are thinned).
_MAX_BAD_ROWS = 150
#: Candidates per ask on a plateau, in multiples of ``n_candidates``: many are dropped
#: for a flat or poor categorical combination.
_PLATEAU_CANDIDATES = 4
#: Random valid points tried, when no candidate will do, for one not known to fail.
_FALLBACK_TRIES = 16
#: Define-by-run points proposed ahead (branch values waiting to be asked) kept at most.
_MAX_AHEAD = 256


class TPESampler(Sampler):
    """Tree-structured Parzen Estimator: learns from finished trials where good points lie.

    Parameters
    ----------
    seed : same seed and same history, same proposals (in any process).
    n_startup_trials : finished trials drawn from the ``startup`` design before the
        model takes over.
    n_candidates : points drawn from the good density per ask; more exploit harder.
    n_candidates_one : the same for a define-by-run parameter outside the space, modelled
        on its own (``propose_one``). Fewer: each parameter's best of its own candidates
        is a separate greedy choice, so d independent parameters exploit d times as
        hard as one joint draw. Measured on the suite's define-by-run route (10 seeds,
        100 trials), 24 (Bergstra et al.'s choice) instead of 64 improved the median
        best on Hartmann-6 (-2.99 to -3.09), Levy-4 (0.65 to 0.20) and Ackley-10
        (17.2 to 16.8); on a declared space, where the draw is joint, 24 did worse.
    gamma : fraction of complete trials in the good group (at most ``max_good``).
    prior_weight : weight of the uniform prior in each density, in observations.
    startup : ``"sobol"`` (even coverage) or ``"random"``.
    bandwidth_factor, min_bandwidth_factor, categorical_bandwidth : kernel widths
        (see :class:`~tunesmith.samplers._tpe.parzen.Bandwidth`).
    avoid_failures : model the chance that a point fails (failed and skipped trials)
        and steer away from it.

    >>> import tunesmith
    >>> study = tunesmith.Study(space={"x": tunesmith.Float(-5.0, 5.0)}, sampler="tpe", seed=0)
    >>> study.optimize(lambda t: (t.params["x"] - 2.0) ** 2, n_trials=40)
    >>> abs(study.best_params["x"] - 2.0) < 0.2
    True
    """

    uses_history = True

    def __init__(
        self,
        seed: int | None = None,
        *,
        n_startup_trials: int = 10,
        n_candidates: int = 64,
        n_candidates_one: int = 24,
        gamma: float = 0.1,
        max_good: int = 25,
        prior_weight: float = 1.0,
        startup: str = "sobol",
        bandwidth: str = "neighbor",
        bandwidth_factor: float = 1.0,
        min_bandwidth_factor: float = 1.0,
        categorical_bandwidth: float = 2.0,
        avoid_failures: bool = True,
    ) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        check_int("n_startup_trials", n_startup_trials, 0)
        check_int("n_candidates", n_candidates, 1)
        check_int("n_candidates_one", n_candidates_one, 1)
        check_int("max_good", max_good, 1)
        _check_positive("gamma", gamma, upper=1.0)
        _check_positive("prior_weight", prior_weight)
        _check_positive("bandwidth_factor", bandwidth_factor)
        _check_positive("min_bandwidth_factor", min_bandwidth_factor, allow_zero=True)
        _check_positive("categorical_bandwidth", categorical_bandwidth)
        if startup not in ("sobol", "random"):
            raise ValueError(f"startup must be 'sobol' or 'random', got {startup!r}")
        self.seed = None if seed is None else int(seed)
        self.n_startup_trials = int(n_startup_trials)
        self.n_candidates = int(n_candidates)
        self.n_candidates_one = int(n_candidates_one)
        self.gamma = float(gamma)
        self.max_good = int(max_good)
        self.prior_weight = float(prior_weight)
        self.startup = startup
        self.avoid_failures = bool(avoid_failures)
        self._bandwidth = Bandwidth(
            rule=bandwidth, factor=bandwidth_factor, min_factor=min_bandwidth_factor,
            cat_factor=categorical_bandwidth,
        )
        self._sobol = SobolSampler(self.seed)
        # An unseeded sampler still needs one fixed stream for its random choices.
        self._rng_seed = self.seed if self.seed is not None else self._sobol._scramble_seed
        self._histories: dict[int, tuple[Any, EncodedHistory]] = {}
        # What this sampler proposed for trials still running: storage may not hold
        # their parameters until they finish, and parallel asks must see them.
        self._pending: dict[int, dict[str, Any]] = {}
        # Tree estimators (l's root, branches) whose trials have not changed since the
        # last ask; the feasibility model keeps its own.
        self._memo = Memo()
        self._feasible = FeasibilityModel(self._bandwidth, self.prior_weight)
        # Define-by-run: the space each known space implies (_inferred), and the whole
        # points proposed on it, by trial number, whose branch values the objective
        # has yet to ask for (``propose_one``).
        self._trees: dict[int, InferredTree] = {}
        self._ahead: dict[int, tuple[dict[str, Any], Space]] = {}

    # -- the Sampler interface ----------------------------------------------------------

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        # Define-by-run: trials with parameters outside the space (a known space whose
        # branches the objective asks for) imply a tree; propose on it, as if declared.
        full = self._implied(space, history) if isinstance(space, Space) else space
        state = self._history_for(full)
        view = state.view(history, self._pending, number)
        self._forget_finished(view)
        rng = trial_rng(self._rng_seed, number)
        with one_blas_thread():
            point = self._choose(full, state, view, number, rng)
        self._pending[number] = point
        if full is space:
            return point
        self._ahead[number] = (point, full)  # type: ignore[assignment]  # full is a Space
        while len(self._ahead) > _MAX_AHEAD:
            del self._ahead[next(iter(self._ahead))]
        return {name: value for name, value in point.items() if name in space.names}

    def _implied(self, space: Space, history: Sequence[FrozenTrial]) -> Space:
        """``space`` with the branches its trials imply (``_inferred``); itself if none."""
        tree = self._trees.get(id(space))
        if tree is None or tree.known is not space:
            if len(self._trees) > 64:
                self._trees.clear()
            tree = self._trees[id(space)] = InferredTree(space)
        return tree.space(history)

    def propose_one(
        self,
        name: str,
        dimension: Dimension,
        history: Sequence[FrozenTrial],
        number: int,
        params: Mapping[str, Any],
    ) -> Any:
        """A define-by-run parameter: the value proposed with the trial's whole point when
        its branch was known (``propose``), else a one-dimensional TPE over trials that had it."""
        ahead = self._ahead.get(number)
        if ahead is not None:
            point, full = ahead
            # Only while the trial follows the point: the same branch, the same dimension.
            if (name in point and full[name] == dimension
                    and all(value_key(v) == value_key(point[k])
                            for k, v in params.items() if k in point)):
                return point[name]
        space = Space({name: dimension})
        state = self._history_for(space, key=("one", name, repr(dimension)))
        view = state.view(history, {}, number)
        rng = trial_rng(self._rng_seed, number, _stable_hash(name))
        if self._in_startup(view):
            return dimension.sample(rng)
        with one_blas_thread():
            return self._model_point(space, state, view, number, rng, seen=None,
                                     n_candidates=self.n_candidates_one)[name]

    # -- choosing a point ---------------------------------------------------------------

    def _choose(
        self, space: AnySpace, state: EncodedHistory, view: View, number: int,
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        seen = Seen(state, view) if space.is_finite else None
        if self._in_startup(view):
            point = self._startup_point(space, state, view, number)
            if seen is None or point not in seen:
                return point
            if not (view.kind == Kind.OK).any():
                return seen.unseen_point(space, rng)
        return self._model_point(space, state, view, number, rng, seen)

    def _in_startup(self, view: View) -> bool:
        finished = int((view.kind != Kind.RUNNING).sum())
        ranked = (view.kind == Kind.OK) | ((view.kind == Kind.PRUNED) & ~np.isnan(view.loss))
        return finished < self.n_startup_trials or not ranked.any()

    def _startup_point(
        self, space: AnySpace, state: EncodedHistory, view: View, number: int
    ) -> dict[str, Any]:
        if self.startup == "sobol":
            first = self._sobol.propose(space, [], number)
        else:
            first = space.sample(trial_rng(self._rng_seed, number, _STREAM_STARTUP))
        if not (self.avoid_failures and (view.kind == Kind.FAILED).any()):
            return first
        # Some trials failed: prefer a startup point unlike them, so that invalid
        # combinations are not tried again while the design is still running.
        points = [first]
        for k in range(_STARTUP_TRIES):
            rng = trial_rng(self._rng_seed, number, _STREAM_STARTUP + 1 + k)
            points.append(SobolSampler.point_random(space, rng))
        points = [p for p in points if space.is_valid(p)] or [first]
        log_p = np.array([self._feasible.log_point(state, view, p) for p in points])
        likely = np.flatnonzero(log_p >= math.log(0.5))
        return points[int(likely[0]) if len(likely) else int(np.argmax(log_p))]

    def _model_point(
        self, space: AnySpace, state: EncodedHistory, view: View, number: int,
        rng: np.random.Generator, seen: Seen | None, n_candidates: int | None = None,
    ) -> dict[str, Any]:
        n_candidates = self.n_candidates if n_candidates is None else n_candidates
        ok = view.kind == Kind.OK
        k = n_good(int(ok.sum()), self.gamma, self.max_good)
        signed = view.loss * _direction_sign(self)
        loss = signed[ok]
        good = good_with_pruned(signed, view.step, ok, view.kind == Kind.PRUNED, self.gamma,
                                self.max_good)
        check_failures = self.avoid_failures and bool((view.kind == Kind.FAILED).any())
        tied = tied_best(loss, k)
        if tied is not None and is_plateau(tied) and len(state.spaces) == 1:
            # Much of the study ties for the best: nothing near the top is better than
            # the rest, and resampling the plateau cannot improve on it. Explore.
            point = self._plateau_point(state, view, rng, seen, check_failures)
            if point is not None:
                return point
        bad = ~good
        n_sub = len(state.spaces)
        counts_good = np.bincount(view.sub[good], minlength=n_sub)
        counts_bad = np.bincount(view.sub[bad], minlength=n_sub)
        # The root of the tree: which subspace. Counts plus the prior spread evenly.
        share = self.prior_weight / n_sub
        p_good = (counts_good + share) / (counts_good.sum() + self.prior_weight)
        p_bad = (counts_bad + share) / (counts_bad.sum() + self.prior_weight)
        evidence: dict[int, FailureEvidence] = {}
        densities: dict[int, tuple[Density, Density]] = {}

        for attempt in range(3):
            m = n_candidates * (1 + 3 * attempt)
            drawn = rng.choice(n_sub, size=m, p=p_good) if n_sub > 1 else np.zeros(m, int)
            scored: list[tuple[float, int, Rows, int]] = []
            for sub in np.unique(drawn):
                sub = int(sub)
                if sub not in densities:
                    densities[sub] = self._densities(state, view, sub, good, bad)
                l_pe, g_pe = densities[sub]
                enc = state.encodings[sub]
                raw = l_pe.sample(rng, int((drawn == sub).sum()))
                cands = enc.apply_conditions(Rows(enc.snap(raw.num), raw.cat))
                tree = False
                if isinstance(l_pe, TreeDensity) and isinstance(g_pe, TreeDensity):
                    # A tree: first which branch, on the selectors (_branches); the
                    # kernel estimate of feasibility waits for the whole point.
                    score, tree = l_pe.selector_log_pdf(cands) - g_pe.selector_log_pdf(cands), True
                else:
                    score = l_pe.log_pdf(cands) - g_pe.log_pdf(cands)
                score += math.log(p_good[sub]) - math.log(p_bad[sub])
                if check_failures:
                    if sub not in evidence:
                        evidence[sub] = self._feasible.evidence(state, view, sub)
                    score = self._feasible.adjust(state, view, sub, cands, score,
                                                  evidence[sub], with_kernel=not tree)
                scored.extend((float(s), sub, cands, i) for i, s in enumerate(score))
            # Best first; the stable sort keeps equal scores in draw order (reproducible).
            scored.sort(key=lambda item: -item[0])
            chosen: set[tuple[int, bytes]] = set()
            for value, sub, cands, i in scored:
                if value == -np.inf:
                    break
                l_pe, g_pe = densities[sub]
                if isinstance(l_pe, TreeDensity) and isinstance(g_pe, TreeDensity):
                    # Then the rest given those selectors (each set of them once).
                    key = (sub, l_pe.selector_key(cands, i))
                    if key in chosen:
                        continue
                    chosen.add(key)
                    rows, score = completions(l_pe, g_pe, state.encodings[sub], cands, i)
                    if check_failures:
                        score = self._feasible.adjust(state, view, sub, rows, score,
                                                      evidence[sub])
                    found = first_usable(state, sub, rows, score, seen)
                    if found is not None:
                        return found
                    continue
                point = state.encodings[sub].decode(cands.take(np.array([i])))[0]
                if not state.spaces[sub].is_valid(point):
                    continue
                if seen is not None and point in seen:
                    continue
                return point
        # Every candidate was forbidden, known to fail or already tried.
        fallback = trial_rng(self._rng_seed, number, _STREAM_FALLBACK)
        return self._fallback_point(space, state, view, seen, fallback)

    def _plateau_point(
        self, state: EncodedHistory, view: View, rng: np.random.Generator,
        seen: Seen | None, check_failures: bool,
    ) -> dict[str, Any] | None:
        """The best exploring candidate on a plateau (``_plateau``), or None."""
        found = plateau_candidates(
            state, view, 0, _direction_sign(self),
            lambda rows, weights=None: self._estimator(state, 0, rows, weights=weights),
            rng, _PLATEAU_CANDIDATES * self.n_candidates, _MAX_BAD_ROWS)
        if found is None:
            return None
        cands, score = found
        if check_failures:
            score = self._feasible.adjust(state, view, 0, cands, score,
                                          self._feasible.evidence(state, view, 0))
        return first_usable(state, 0, cands, score, seen)

    def _fallback_point(
        self, space: AnySpace, state: EncodedHistory, view: View,
        seen: Seen | None, rng: np.random.Generator,
    ) -> dict[str, Any]:
        """A random valid point, not tried (finite spaces) and not known to fail if possible."""
        point: dict[str, Any] | None = None
        for _ in range(_FALLBACK_TRIES):
            point = space.sample(rng) if seen is None else seen.unseen_point(space, rng)
            if not self._feasible.known_to_fail(state, view, point):
                return point
        return point  # type: ignore[return-value]  # _FALLBACK_TRIES > 0

    # -- the densities --------------------------------------------------------------------

    def _densities(self, state: EncodedHistory, view: View, sub: int, good: np.ndarray,
                   bad: np.ndarray) -> tuple[Density, Density]:
        """``l(x)`` and ``g(x)`` of subspace ``sub`` (``g`` over at most ``_MAX_BAD_ROWS``)."""
        if state.encodings[sub].branches:
            return tree_densities(
                state, view, sub, good, bad, bandwidth=self._bandwidth,
                prior_weight=self.prior_weight, bad_cap=_MAX_BAD_ROWS, memo=self._memo)
        in_sub = view.sub == sub
        l_pe = self._estimator(state, sub, view.row[good & in_sub])
        g_rows, g_w = thin(view.row[bad & in_sub], _MAX_BAD_ROWS,
                           keep=view.kind[bad & in_sub] == Kind.RUNNING)
        return l_pe, self._estimator(state, sub, g_rows, weights=g_w)

    def _estimator(
        self, state: EncodedHistory, sub: int, rows: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> ParzenEstimator:
        return estimator_of(state, sub, rows, bandwidth=self._bandwidth,
                            prior_weight=self.prior_weight, weights=weights)

    # -- bookkeeping ----------------------------------------------------------------------

    def _history_for(self, space: Any, key: Any = None) -> EncodedHistory:
        key = id(space) if key is None else key
        entry = self._histories.get(key)
        if entry is None or (key == id(space) and entry[0] is not space):
            if len(self._histories) > 64:  # define-by-run names, old spaces
                self._histories.clear()
            entry = (space, EncodedHistory(space))
            self._histories[key] = entry
        return entry[1]

    def _forget_finished(self, view: View) -> None:
        # A proposal is needed only while its trial runs; storage has it afterwards.
        if self._pending:
            running = set(view.number[view.kind == Kind.RUNNING].tolist())
            for n in [n for n in self._pending if n not in running]:
                del self._pending[n]

    def __repr__(self) -> str:
        return f"TPESampler(seed={self.seed!r})"

    def __getstate__(self) -> dict[str, Any]:
        # Caches are rebuilt from the history; keep the pickle small and portable.
        state = dict(self.__dict__)
        state["_histories"] = {}
        state["_memo"] = Memo()
        state["_trees"] = {}
        return state


def _direction_sign(sampler: Sampler) -> float:
    return getattr(sampler, "direction", Direction.MINIMIZE).sign()


def _check_positive(
    name: str, value: Any, *, upper: float | None = None, allow_zero: bool = False
) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    ok = ok and (upper is None or value <= upper)
    if not ok:
        bound = f"in (0, {upper}]" if upper is not None else ("> 0" if not allow_zero else ">= 0")
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
