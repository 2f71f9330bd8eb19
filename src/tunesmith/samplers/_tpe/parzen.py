"""The Parzen estimator: a weighted mixture of one kernel per observation plus a prior.

Numeric columns (unit interval) get Gaussian kernels truncated to [0, 1]; categorical
columns get an Aitchison-Aitken kernel (the observed choice, or with probability
``beta`` a uniform redraw). Kernels of one observation multiply across columns, so the
mixture models the parameters jointly (Watanabe 2023, section on multivariate
kernels). A parameter an observation did not have (inactive conditional) contributes
the prior there, which keeps every kernel a proper density over the tree-structured
space. The prior component is uniform over the space.

Evaluating the mixture at ``m`` candidates against ``n`` observations is a few
(m x d) @ (d x n) products, so the cost per suggestion stays small with thousands of
trials.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from tunesmith.samplers._tpe._encoding import Rows

__all__ = [
    "Bandwidth",
    "ParzenEstimator",
    "one_blas_thread",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: Log terms below this add under 1e-300 to a sum that is at least 1.
_EXP_FLOOR = -700.0
_CONTROLLER: list[Any] = []


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the small matrix products of one suggestion on one BLAS thread.

    Products of this size finish in well under a millisecond on one core; spread
    over busy cores, OpenBLAS threads wait on each other and take ten times longer.
    The limit is restored afterwards: a library never changes the caller's setting.
    """
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except ImportError:  # scikit-learn brings threadpoolctl; without it, no limit
            _CONTROLLER.append(None)
    controller = _CONTROLLER[0]
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


class Bandwidth:
    """How wide the kernels are, as a function of the observations (unit scale).

    Numeric, ``"neighbor"`` (Bergstra et al. 2011): each observation's kernel is as
    wide as the larger gap to its neighbours along that parameter (the interval's
    ends count as neighbours), so kernels are narrow where observations crowd and
    wide where they are sparse. ``"scott"``: one width per parameter,
    ``1.06 * std * n ** (-1 / (d + 4))``. Either is multiplied by ``factor`` and
    clipped below by ``min_factor / min(100, n + 1)`` (the "magic clip", so that a
    few close observations never collapse the search) and by half a bin for integer
    and step parameters.

    Categorical: an observation keeps its choice, or with probability
    ``beta = c K / (n + 1 + c K)`` redraws uniformly among the ``K`` choices (``c`` is
    ``cat_factor``): like ``c / (n + 1)`` pseudo-counts per choice, so few
    observations explore and many exploit.
    """

    def __init__(self, *, rule: str = "neighbor", factor: float = 1.0,
                 min_factor: float = 1.0, cat_factor: float = 1.0, endpoints: bool = False
                 ) -> None:
        if rule not in ("neighbor", "scott"):
            raise ValueError(f"bandwidth rule must be 'neighbor' or 'scott', got {rule!r}")
        self.rule = rule
        self.factor = float(factor)
        self.min_factor = float(min_factor)
        self.cat_factor = float(cat_factor)
        self.endpoints = bool(endpoints)

    def numeric(self, num: np.ndarray, bins: np.ndarray, n_dims: int) -> np.ndarray:
        """Per observation and parameter, shape ``num.shape`` (1 where inactive)."""
        active = ~np.isnan(num)
        n = active.sum(axis=0)
        safe_n = np.maximum(n, 1)
        if self.rule == "scott":
            filled = np.where(active, num, 0.0)
            mean = filled.sum(axis=0) / safe_n
            var = (np.where(active, num - mean, 0.0) ** 2).sum(axis=0) / np.maximum(n - 1, 1)
            # One observation has no spread: assume a wide one, as the prior would.
            std = np.where(n >= 2, np.sqrt(var), 0.5)
            sigma = np.broadcast_to(1.06 * std * safe_n ** (-1.0 / (n_dims + 4)), num.shape)
        else:
            sigma = self._neighbor(num, active, n)
        low = self.min_factor / np.minimum(100.0, safe_n + 1.0)
        low = np.maximum(low, np.where(bins > 0, 0.5 / np.maximum(bins, 1), 0.0))
        # (np.clip's checks cost more than the arithmetic on arrays this small.)
        return np.minimum(np.maximum(self.factor * sigma, np.minimum(low, 1.0)), 1.0)

    def _neighbor(self, num: np.ndarray, active: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Per observation, the larger gap to its neighbours; all columns at once."""
        rows, cols = num.shape
        if rows == 0 or cols == 0:
            return np.ones(num.shape)
        # Sorted along contiguous rows of the transpose: several times faster.
        order = np.argsort(num.T, axis=1, kind="stable").T  # NaN (inactive) sorts last
        ends = np.empty((rows + 2, cols))
        ends[0] = 0.0
        columns = np.arange(cols)
        ends[1:-1] = num[order, columns]
        ends[n + 1, columns] = 1.0  # the upper end right after each column's last
        gaps = ends[1:] - ends[:-1]  # (rows + 1, cols); rows past n + 1 are NaN
        if not self.endpoints:
            # The outermost observations take their inner gap: an empty edge of the
            # interval says nothing about how spread good points are.
            two = np.flatnonzero(n >= 2)
            gaps[0, two] = gaps[1, two]
            gaps[n[two], two] = gaps[n[two] - 1, two]
        with np.errstate(invalid="ignore"):
            ranked = np.maximum(gaps[:-1], gaps[1:])
        sigma = np.empty(num.shape)
        sigma[order, columns] = ranked
        return np.where(active, sigma, 1.0)

    def categorical(self, cat: np.ndarray, sizes: np.ndarray,
                    weights: np.ndarray | None = None) -> np.ndarray:
        """Per categorical parameter: the probability of a uniform redraw.

        ``n`` counts the observations by their weights (ties share a slot).
        """
        active = (cat >= 0).astype(float)
        n = active.sum(axis=0) if weights is None else weights @ active
        pseudo = self.cat_factor * sizes
        return np.minimum(np.maximum(pseudo / (n + 1.0 + pseudo), 1e-6), 1.0)


class ParzenEstimator:
    """A mixture density over encoded rows: ``sample`` candidates and ``log_pdf`` them.

    >>> import numpy as np
    >>> from tunesmith.samplers._tpe._encoding import Rows
    >>> obs = Rows(np.array([[0.2], [0.3]]), np.zeros((2, 0), dtype=np.int64))
    >>> pe = ParzenEstimator(obs, bins=np.array([0]), sizes=np.array([], dtype=np.int64),
    ...                      n_dims=1, bandwidth=Bandwidth())
    >>> near, far = pe.log_pdf(Rows(np.array([[0.25], [0.95]]), np.zeros((2, 0), dtype=np.int64)))
    >>> bool(near > far)
    True
    """

    def __init__(
        self,
        obs: Rows,
        *,
        bins: np.ndarray,
        sizes: np.ndarray,
        n_dims: int,
        bandwidth: Bandwidth,
        weights: np.ndarray | None = None,
        prior_weight: float = 1.0,
    ) -> None:
        self.n = len(obs)
        self.sizes = sizes
        self.bins = bins
        weights = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        total = float(weights.sum()) + prior_weight
        #: Sum of the mixture's weights: scales the normalised density back to counts.
        self.total_weight = total
        with np.errstate(divide="ignore"):
            self.log_w = np.log(weights / total)
            self.log_w_prior = math.log(prior_weight / total) if prior_weight > 0 else -np.inf
        self._p = np.concatenate((weights, [prior_weight])) / total

        # Numeric kernels.
        self.num = obs.num
        self.num_active = ~np.isnan(obs.num)
        self.sigma = bandwidth.numeric(obs.num, bins, n_dims)
        o = np.where(self.num_active, obs.num, 0.0)
        inv_s2 = 1.0 / self.sigma**2
        # Mass of each truncated kernel inside [0, 1]: the kernel's normaliser.
        mass = ndtr((1.0 - o) / self.sigma) - ndtr(-o / self.sigma)
        log_norm = -np.log(self.sigma) - _LOG_SQRT_2PI - np.log(np.maximum(mass, 1e-300))
        ao = self.num_active.astype(float)
        num_const = ao * (-0.5 * o**2 * inv_s2 + log_norm)

        # Categorical kernels, on one-hot columns.
        self.cat = obs.cat
        self.beta = bandwidth.categorical(obs.cat, sizes, weights)
        k = sizes.astype(float)
        log_other = np.log(self.beta / k)
        log_same = np.log(1.0 - self.beta + self.beta / k)
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._same_bonus = np.repeat(log_same - log_other, sizes)
        aoc = (obs.cat >= 0).astype(float)
        cat_const = aoc * log_other
        self._log_k = np.log(k)
        # Every pairwise term is a product of a candidate feature and an observation
        # feature, so one matrix product gives all kernels at once (see log_pdf). The
        # last two blocks select, per observation, the parameters it lacks.
        self._obs_features = np.concatenate(
            [-0.5 * ao * inv_s2, ao * o * inv_s2, num_const, self._one_hot(obs.cat), cat_const,
             1.0 - ao, 1.0 - aoc],
            axis=1,
        )

    # -- sampling -------------------------------------------------------------------

    def sample(self, rng: np.random.Generator, m: int) -> Rows:
        """``m`` draws from the mixture (conditions not yet applied)."""
        comp = rng.choice(self.n + 1, size=m, p=self._p)
        from_prior = comp == self.n
        j = np.where(from_prior, 0, comp)

        d, c = len(self.bins), len(self.sizes)
        u = rng.random((m, d))
        # What an observation lacks (an inactive conditional parameter) comes from the
        # prior, like what the prior component draws: uniform.
        missing = _uniform(rng, m, d, self.sizes)
        if d and self.n:
            mu = self.num[j]
            use_kernel = ~from_prior[:, None] & ~np.isnan(mu)
            mu0 = np.where(use_kernel, mu, 0.5)
            sigma = self.sigma[j]
            lo = ndtr(-mu0 / sigma)
            hi = ndtr((1.0 - mu0) / sigma)
            x = mu0 + sigma * ndtri(lo + u * (hi - lo))
            num = np.where(use_kernel, np.clip(x, 0.0, 1.0),
                           np.where(from_prior[:, None], u, missing.num))
        else:
            num = u

        redraw = np.floor(rng.random((m, c)) * self.sizes).astype(np.int64)
        if c and self.n:
            observed = self.cat[j]
            has = ~from_prior[:, None] & (observed >= 0)
            keep = has & (rng.random((m, c)) >= self.beta)
            lacks = ~from_prior[:, None] & (observed < 0)
            cat = np.where(keep, observed, np.where(lacks, missing.cat, redraw))
        else:
            cat = redraw
        return Rows(num, np.minimum(cat, np.maximum(self.sizes - 1, 0)))

    # -- density --------------------------------------------------------------------

    def log_pdf(self, x: Rows) -> np.ndarray:
        """Log density of the mixture at each row of ``x`` (inactive columns: NaN / -1)."""
        kern, prior = self._log_terms(x)
        if kern is None:
            return prior
        return _log_sum(kern, prior)

    def log_pdf_split(self, x: Rows, num_cols: np.ndarray, cat_cols: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The log density at ``x``, and the log densities of the mixture's marginals over
        the given columns and over the other columns.

        The marginals share the mixture's kernels (the bandwidth of a column depends on
        that column alone), so they equal estimators built on those columns, for the
        cost of one more matrix product: ``p(rest | given) = joint - given``.
        """
        m = len(x)
        features, axc = self._features(x)
        n_num, n_cat = x.num.shape[1], x.cat.shape[1]
        in_num = np.zeros(n_num, dtype=bool)
        in_num[num_cols] = True
        in_cat = np.zeros(n_cat, dtype=bool)
        in_cat[cat_cols] = True
        given = self._feature_mask(in_num, in_cat)
        cat_prior = axc * -self._log_k if n_cat else np.zeros((m, 0))
        prior_given = cat_prior[:, in_cat].sum(axis=1) + self.log_w_prior
        prior_rest = cat_prior[:, ~in_cat].sum(axis=1) + self.log_w_prior
        if self.n == 0:
            return prior_given + prior_rest - self.log_w_prior, prior_given, prior_rest
        kern_given = features[:, given] @ self._obs_features[:, given].T + self.log_w
        kern_rest = features[:, ~given] @ self._obs_features[:, ~given].T
        joint = _log_sum(kern_given + kern_rest, prior_given + prior_rest - self.log_w_prior)
        return joint, _log_sum(kern_given, prior_given), _log_sum(kern_rest + self.log_w,
                                                                  prior_rest)

    def _feature_mask(self, in_num: np.ndarray, in_cat: np.ndarray) -> np.ndarray:
        """Which feature columns (see ``_features``) belong to the marked columns."""
        per_choice = np.repeat(in_cat, self.sizes)
        return np.concatenate([in_num, in_num, in_num, per_choice, in_cat, in_num, in_cat])

    def _log_terms(self, x: Rows) -> tuple[np.ndarray | None, np.ndarray]:
        """Per row of ``x``: each weighted kernel's log density, and the prior's."""
        m = len(x)
        axc = (x.cat >= 0).astype(float)
        prior = -(axc @ self._log_k) if len(self.sizes) else np.zeros(m)
        if self.n == 0:
            return None, prior
        features, _ = self._features(x)
        kern = features @ self._obs_features.T
        kern += self.log_w
        return kern, prior + self.log_w_prior

    def _features(self, x: Rows) -> tuple[np.ndarray, np.ndarray]:
        """The candidates' side of the kernels' products (and which choices are active).

        Over columns active in both: -(x - o)^2 / (2 s^2) + log_norm(o) for numeric
        ones, log(beta / K) plus a bonus where the choices agree for categorical ones.
        What an observation lacks takes the prior: uniform, density 1 on the unit
        scale, 1 / K per choice.
        """
        ax = (~np.isnan(x.num)).astype(float)
        x0 = np.where(ax > 0, x.num, 0.0)
        axc = (x.cat >= 0).astype(float)
        miss_cat = axc * -self._log_k
        features = np.concatenate(
            [x0**2, x0, ax, self._one_hot(x.cat) * self._same_bonus, axc,
             np.zeros_like(x0), miss_cat],
            axis=1,
        )
        return features, axc

    def _one_hot(self, cat: np.ndarray) -> np.ndarray:
        out = np.zeros((len(cat), int(self._offsets[-1])))
        rows, cols = np.nonzero(cat >= 0)
        out[rows, self._offsets[cols] + cat[rows, cols]] = 1.0
        return out


def _log_sum(kern: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """``log(sum(exp(kern), axis=1) + exp(extra))``, computed stably."""
    top = np.maximum(kern.max(axis=1, initial=-np.inf), extra)
    top = np.where(np.isfinite(top), top, 0.0)
    # Terms below e**-700 add nothing to the sum, and exp is very slow where its
    # result underflows: clip them first.
    total = np.exp(np.maximum(kern - top[:, None], _EXP_FLOOR)).sum(axis=1)
    total += np.exp(np.maximum(extra - top, _EXP_FLOOR))
    with np.errstate(divide="ignore"):
        return top + np.log(total)


def _uniform(rng: np.random.Generator, m: int, d: int, sizes: np.ndarray) -> Rows:
    cat = np.floor(rng.random((m, len(sizes))) * sizes).astype(np.int64)
    return Rows(rng.random((m, d)), cat)
