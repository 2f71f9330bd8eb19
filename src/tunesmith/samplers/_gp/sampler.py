"""Gaussian-process Bayesian optimisation (``sampler="gp"``).

One ask:

1. Encode the history (``_tpe._history``: the same cached rows TPE uses; numeric
   parameters on their unit scale, log for log dimensions, categorical ones as
   choice indices).
2. Fewer than ``n_startup_trials`` finished trials: the next Sobol point.
3. Otherwise fit a GP (``_model``: Matern 5/2, one lengthscale per parameter, MAP
   hyperparameters) to the complete trials' values, standardised and then
   Yeo-Johnson transformed (so that a few huge values, as on Rosenbrock, do not
   flatten the rest); failed, skipped and pruned trials count as the worst value
   seen, so the search leaves their region. Trials still running enter at the
   model's own prediction ("kriging believer"): the variance there drops, and
   parallel asks spread out.
4. Maximise log expected improvement (``_acquisition``) inside a trust region around
   the best trial (``_trust``: TuRBO's box, its side replayed from the history; over
   the whole cube, EI in 6+ dimensions sits on the corners) and return the best valid
   candidate; integers and steps are snapped onto their values, a point with a trial
   already is never proposed again. Categorical parameters are not restricted.

A :class:`~tunesmith.space.SpaceUnion`, and define-by-run parameters outside a
declared space, go to a TPE sampler with the same seed: a GP over several disjoint
spaces is not what this sampler is for.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith._checks import check_int
from tunesmith.records import Direction, FrozenTrial
from tunesmith.samplers._base import AnySpace, Sampler, trial_rng
from tunesmith.samplers._gp._acquisition import maximise
from tunesmith.samplers._gp._model import GaussianProcess, fit_gp
from tunesmith.samplers._gp._trust import trust_box, trust_length
from tunesmith.samplers._sobol import SobolSampler
from tunesmith.samplers._tpe import TPESampler
from tunesmith.samplers._tpe._encoding import Encoding, Rows
from tunesmith.samplers._tpe._history import EncodedHistory, Kind, View
from tunesmith.samplers._tpe._seen import Seen
from tunesmith.samplers._tpe.parzen import one_blas_thread
from tunesmith.space import Dimension, SpaceUnion

__all__ = ["GPSampler"]

#: Random starting points of the acquisition search, and moves around the best trials.
_N_RANDOM = 512
_N_NEAR = 256
#: How far the moves around the best trials go (unit scale, standard deviation).
_NEAR_SD = 0.05
#: Unit value given to an inactive numeric parameter (the GP needs a number).
_INACTIVE = 0.5
_STREAM_FALLBACK = 0x6B01
_STREAM_FIT = 0x6B02
#: Hyperparameters are refitted at every ask up to this many finished trials ...
_REFIT_ALL = 20
#: ... and then every this many.
_REFIT_EVERY = 5


def refit_size(n: int) -> int:
    """How many of ``n`` finished trials (the first ones) the hyperparameters are fitted on.

    >>> refit_size(15), refit_size(20), refit_size(24), refit_size(25)
    (15, 20, 20, 25)
    """
    if n <= _REFIT_ALL:
        return n
    return _REFIT_ALL + (n - _REFIT_ALL) // _REFIT_EVERY * _REFIT_EVERY


class GPSampler(Sampler):
    """Gaussian-process Bayesian optimisation: sample-efficient on numeric spaces.

    Best for small budgets (tens to a few hundred trials) on spaces of mostly numeric
    parameters, up to about twenty of them; each ask refits the model, so its cost
    grows with the cube of the number of trials (TPE's does not).

    Parameters
    ----------
    seed : same seed and same history, same proposals (in any process, also after
        pickling the sampler).
    n_startup_trials : finished trials from a Sobol design before the model takes over.
    n_local : starting points of the local search of the acquisition (the best of the
        random points and moves around the best trials; log EI has many local maxima,
        and 10 rather than 5 found more on 10-D Hartmann after 20 trials).

    >>> import tunesmith
    >>> space = {"x": tunesmith.Float(-5.0, 5.0), "y": tunesmith.Float(-5.0, 5.0)}
    >>> study = tunesmith.Study(space=space, sampler="gp", seed=0)
    >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2 + (t.params["y"] + 2) ** 2,
    ...                n_trials=25)
    >>> study.best_value < 0.05
    True
    """

    uses_history = True

    def __init__(self, seed: int | None = None, *, n_startup_trials: int = 10,
                 n_local: int = 10) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
        check_int("n_startup_trials", n_startup_trials, 1)
        check_int("n_local", n_local, 1)
        self.seed = None if seed is None else int(seed)
        self.n_startup_trials = int(n_startup_trials)
        self.n_local = int(n_local)
        self._sobol = SobolSampler(self.seed)
        self._rng_seed = self.seed if self.seed is not None else self._sobol._scramble_seed
        self._tpe = TPESampler(self._rng_seed, n_startup_trials=self.n_startup_trials)
        self._histories: dict[int, tuple[Any, EncodedHistory]] = {}
        self._pending: dict[int, dict[str, Any]] = {}
        self._thetas: dict[str, np.ndarray] = {}

    # -- the Sampler interface ----------------------------------------------------------

    def propose(self, space: AnySpace, history: Sequence[FrozenTrial], number: int) -> dict:
        if isinstance(space, SpaceUnion):
            self._tpe.direction = self.direction
            return self._tpe.propose(space, history, number)
        state = self._history_for(space)
        view = state.view(history, self._pending, number)
        if self._pending:
            running = set(view.number[view.kind == Kind.RUNNING].tolist())
            self._pending = {n: p for n, p in self._pending.items() if n in running}
        seen = Seen(state, view) if space.is_finite else None
        finished = int((view.kind != Kind.RUNNING).sum())
        rng = trial_rng(self._rng_seed, number)
        point: dict[str, Any] | None = None
        if finished < self.n_startup_trials or not (view.kind == Kind.OK).any():
            point = self._sobol.propose(space, [], number)
            if seen is not None and point in seen:
                point = seen.unseen_point(space, rng)
        else:
            with one_blas_thread(), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                point = self._model_point(state, view, rng, seen)
        if point is None:
            fallback = trial_rng(self._rng_seed, number, _STREAM_FALLBACK)
            point = space.sample(fallback) if seen is None else seen.unseen_point(space, fallback)
        self._pending[number] = point
        return point

    def propose_one(self, name: str, dimension: Dimension, history: Sequence[FrozenTrial],
                    number: int, params: Mapping[str, Any]) -> Any:
        """A define-by-run parameter outside the space: TPE's one-dimensional model."""
        self._tpe.direction = self.direction
        return self._tpe.propose_one(name, dimension, history, number, params)

    # -- the model ------------------------------------------------------------------------

    def _model_point(self, state: EncodedHistory, view: View, rng: np.random.Generator,
                     seen: Seen | None) -> dict[str, Any] | None:
        enc = state.encodings[0]
        space = state.spaces[0]
        ok = view.kind == Kind.OK
        finished = view.kind != Kind.RUNNING
        rows = state.rows(0, view.row[finished])
        sign = getattr(self, "direction", Direction.MINIMIZE).sign()
        y = _targets(view.loss[finished] * sign, ok[finished])
        num, cat = _impute(rows)
        gp = GaussianProcess(num, cat, y, self._theta(num, cat, view.loss[finished] * sign,
                                                        ok[finished]))
        best = float(y[ok[finished]].min())
        running = view.kind == Kind.RUNNING
        if running.any():
            r_num, r_cat = _impute(state.rows(0, view.row[running]))
            gp = gp.add(r_num, r_cat, gp.predict(r_num, r_cat)[0])

        # The acquisition looks inside a trust region around the incumbent (_trust).
        dn = num.shape[1]
        length = trust_length(view.loss[finished] * sign, ok[finished],
                              self.n_startup_trials, dn + cat.shape[1])
        incumbent = int(np.argmin(np.where(ok[finished], y, np.inf)))
        lo, hi = trust_box(rows.num[incumbent], length)
        pool = self._pool(enc, rows, y, rng, lo, hi)
        p_num, p_cat = _impute(pool)
        cand_num, cand_cat, _ = maximise(gp, best, p_num, p_cat, enc.sizes, enc.snap,
                                         n_local=self.n_local, bounds=(lo, hi))
        tried = set(Rows(*_impute(state.rows(0, view.row))).point_keys())
        cands = enc.apply_conditions(Rows(cand_num, cand_cat))
        keys = Rows(*_impute(cands)).point_keys()
        for i, key in enumerate(keys):
            if key in tried:
                continue
            point = enc.decode(cands.take(np.array([i])))[0]
            if not space.is_valid(point) or (seen is not None and point in seen):
                continue
            return point
        return None

    def _theta(self, num: np.ndarray, cat: np.ndarray, loss: np.ndarray, ok: np.ndarray
               ) -> np.ndarray:
        """Hyperparameters fitted on the first ``refit_size(n)`` finished trials.

        Every ask refits while the study is small; later, every ``_REFIT_EVERY`` trials
        (the fit is most of an ask's cost, and a few more trials barely move it). The
        fit depends on those trials alone, so a fresh process computes the same; this
        process keeps it.
        """
        m = refit_size(len(loss))
        key = hashlib.sha1(b"".join(a[:m].tobytes() for a in (num, cat, loss))).hexdigest()
        theta = self._thetas.get(key)
        if theta is None:
            head_ok = ok[:m]
            if not head_ok.any():
                head_ok, m = ok, len(loss)
            # Its own stream, keyed by the trials it fits: the same whether or not
            # this process fitted it before (the ask's stream is left untouched).
            fit_rng = trial_rng(self._rng_seed, m, _STREAM_FIT)
            theta = fit_gp(num[:m], cat[:m], _targets(loss[:m], head_ok), fit_rng).theta
            if len(self._thetas) > 64:
                self._thetas.clear()
            self._thetas[key] = theta
        return theta

    def _pool(self, enc: Encoding, rows: Rows, y: np.ndarray, rng: np.random.Generator,
              lo: np.ndarray, hi: np.ndarray) -> Rows:
        """Starting points in the box ``lo``..``hi``: uniform ones, and small moves around
        the best five trials (scaled to the box)."""
        dn, dc = len(enc.num_names), len(enc.cat_names)
        num = lo + (hi - lo) * rng.random((_N_RANDOM, dn))
        cat = np.floor(rng.random((_N_RANDOM, dc)) * enc.sizes).astype(np.int64)
        best = np.argsort(y, kind="stable")[:5]
        pick = best[rng.integers(len(best), size=_N_NEAR)]
        near_num = np.where(np.isnan(rows.num[pick]), rng.random((_N_NEAR, dn)), rows.num[pick])
        near_num = np.clip(near_num + _NEAR_SD * (hi - lo) * rng.standard_normal((_N_NEAR, dn)),
                           lo, hi)
        near_cat = np.where(rows.cat[pick] < 0,
                            np.floor(rng.random((_N_NEAR, dc)) * enc.sizes).astype(np.int64),
                            rows.cat[pick])
        pool = Rows(np.concatenate([num, near_num]), np.concatenate([cat, near_cat]))
        return enc.apply_conditions(Rows(enc.snap(pool.num), pool.cat))

    # -- bookkeeping ----------------------------------------------------------------------

    def _history_for(self, space: Any) -> EncodedHistory:
        entry = self._histories.get(id(space))
        if entry is None or entry[0] is not space:
            if len(self._histories) > 16:
                self._histories.clear()
            entry = (space, EncodedHistory(space))
            self._histories[id(space)] = entry
        return entry[1]

    def __repr__(self) -> str:
        return f"GPSampler(seed={self.seed!r})"

    def __getstate__(self) -> dict[str, Any]:
        # Caches are rebuilt from the history; keep the pickle small and portable.
        state = dict(self.__dict__)
        state["_histories"] = {}
        state["_thetas"] = {}
        return state


def _impute(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Numeric and categorical columns with inactive numeric values set to a constant."""
    return np.where(np.isnan(rows.num), _INACTIVE, rows.num), rows.cat


def _targets(loss: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Standardised, Yeo-Johnson-transformed losses; the worst for trials without one."""
    good = loss[ok]
    y = np.empty(len(loss))
    scale = float(good.std()) if len(good) > 1 else 1.0
    z = (good - good.mean()) / (scale if scale > 0 else 1.0)
    if len(good) >= 3 and np.ptp(z) > 0:
        z = yeo_johnson(z)
        sd = float(z.std())
        z = (z - z.mean()) / (sd if sd > 0 and math.isfinite(sd) else 1.0)
    if not np.all(np.isfinite(z)):
        z = np.zeros(len(good))
    y[ok] = z
    y[~ok] = z.max() if len(z) else 0.0
    return y


#: Exponents of the Yeo-Johnson transform tried (the likelihood's maximum among them).
_LAMBDAS = np.linspace(-2.0, 2.0, 41)


def yeo_johnson(z: np.ndarray) -> np.ndarray:
    """Yeo & Johnson's (2000) power transform of ``z``, its exponent by maximum likelihood
    over a grid: a long upper tail (a few very poor trials) is pulled in, the order of
    the values is kept.

    >>> z = np.array([0.0, 0.1, 0.2, 0.3, 10.0])
    >>> out = yeo_johnson(z)
    >>> bool(np.all(np.diff(out) > 0)) and bool(out[-1] - out[-2] < 9.7)
    True
    """
    lam = _LAMBDAS[:, None]
    pos = z >= 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.log1p(np.abs(z))
        # lambda * a and (2 - lambda) * a: exp(.) - 1 over the exponent, log1p where it is 0.
        up = np.where(np.abs(lam) < 1e-12, a, np.expm1(lam * a) / lam)
        down = np.where(np.abs(2.0 - lam) < 1e-12, a, np.expm1((2.0 - lam) * a) / (2.0 - lam))
        t = np.where(pos, up, -down)
        var = t.var(axis=1)
        llf = -0.5 * len(z) * np.log(var) + (lam[:, 0] - 1.0) * (np.sign(z) * a).sum()
    llf = np.where(np.isfinite(llf) & (var > 0), llf, -np.inf)
    if not np.isfinite(llf).any():
        return z
    return t[int(np.argmax(llf))]
