"""A Gaussian process on the unit cube: Matern 5/2 with one lengthscale per parameter.

Inputs are encoded points: numeric columns in [0, 1] (the dimension's own unit scale,
log for log dimensions) and categorical columns of choice indices, whose distance is
0 for the same choice and 1 otherwise (a Hamming term with its own lengthscale).

Hyperparameters (lengthscales, signal variance, noise variance) are the maximum a
posteriori estimate: the log marginal likelihood plus weak log-normal priors,
maximised by L-BFGS-B with analytic gradients from the best few of several starting
points. The lengthscale prior is log-normal with median 1 (a parameter's whole range)
and a log standard deviation of ``sqrt(3)``, the same in any dimension. Hvarfner,
Hellsten & Nardi (2024, "Vanilla Bayesian optimization performs great in high
dimensions") let the median grow with ``sqrt(d)`` (``exp(sqrt(2) + log(d) / 2)``: 13
ranges in 10 dimensions); with the tens of trials this sampler is for, the data do not
identify most lengthscales, the MAP leaves them at that median, and the model is nearly
linear in those parameters: on 10-D Ackley and 10-D Hartmann it found less than
Optuna's GP (lengthscale prior's mode at 1) after 20 and 50 trials, level or better with
median 1 (``benchmarks/results/suite_gp.md``).

>>> import numpy as np
>>> x = np.linspace(0.0, 1.0, 8)[:, None]
>>> gp = fit_gp(x, np.zeros((8, 0), dtype=np.int64), np.sin(6 * x[:, 0]),
...             np.random.default_rng(0))
>>> mean, var = gp.predict(np.array([[0.5]]), np.zeros((1, 0), dtype=np.int64))
>>> bool(abs(mean[0] - np.sin(3.0)) < 0.05)
True
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.linalg import cho_solve, cholesky, lapack, solve_triangular
from scipy.optimize import minimize

__all__ = ["GaussianProcess", "fit_gp"]

_SQRT5 = math.sqrt(5.0)
#: Bounds of the log hyperparameters: lengthscale, signal variance, noise variance.
_LOG_LS = (math.log(1e-2), math.log(1e2))
_LOG_SIGNAL = (math.log(5e-2), math.log(2e1))
_LOG_NOISE = (math.log(1e-6), math.log(1.0))
#: Log-normal priors (mean and standard deviation of the log), the lengthscale's in
#: unit ranges and not scaled with the dimension (module docstring).
_LS_PRIOR = (0.0, math.sqrt(3.0))
_SIGNAL_PRIOR = (0.0, 1.0)
_NOISE_PRIOR = (-5.0, 2.0)
#: Hyperparameter starts evaluated, and how many of the best are optimised.
_N_STARTS = 8
_N_OPTIMISED = 2
#: Added to the diagonal so that the Cholesky factorisation never fails.
_JITTER = 1e-8


def _matern(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matern 5/2 correlation at squared scaled distances, and the factor its gradient
    with respect to a log lengthscale needs: ``(5/3) (1 + sqrt5 r) exp(-sqrt5 r)``."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = np.exp(-_SQRT5 * r)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e, (5.0 / 3.0) * (1.0 + _SQRT5 * r) * e


def _sq_diffs(num_a: np.ndarray, cat_a: np.ndarray, num_b: np.ndarray, cat_b: np.ndarray
              ) -> np.ndarray:
    """Per pair and column, the squared difference (numeric) or mismatch (categorical)."""
    num = (num_a[:, None, :] - num_b[None, :, :]) ** 2
    cat = (cat_a[:, None, :] != cat_b[None, :, :]).astype(float)
    return np.concatenate([num, cat], axis=2)


def _scaled_r2(num_a: np.ndarray, cat_a: np.ndarray, num_b: np.ndarray, cat_b: np.ndarray,
               inv_ls2: np.ndarray) -> np.ndarray:
    """Squared scaled distances between two sets of rows, without a (m, n, d) array."""
    dn = num_a.shape[1]
    w = np.sqrt(inv_ls2[:dn])
    a, b = num_a * w, num_b * w
    r2 = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    for j in range(cat_a.shape[1]):
        r2 += inv_ls2[dn + j] * (cat_a[:, j][:, None] != cat_b[:, j][None, :])
    return np.maximum(r2, 0.0)


class GaussianProcess:
    """A fitted GP: posterior mean and variance, with gradients for the numeric columns."""

    def __init__(self, num: np.ndarray, cat: np.ndarray, y: np.ndarray, theta: np.ndarray
                 ) -> None:
        self.num, self.cat, self.y = num, cat, y
        self.theta = theta
        d = num.shape[1] + cat.shape[1]
        self.inv_ls2 = np.exp(-2.0 * theta[:d])
        self.signal = math.exp(theta[d])
        self.noise = math.exp(theta[d + 1])
        k = self.signal * _matern(_sq_diffs(num, cat, num, cat) @ self.inv_ls2)[0]
        k[np.diag_indices_from(k)] += self.noise + _JITTER
        self._chol = cholesky(k, lower=True)
        self._alpha = cho_solve((self._chol, True), y)

    def add(self, num: np.ndarray, cat: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """The same hyperparameters with more observations (no refit)."""
        return GaussianProcess(np.concatenate([self.num, num]), np.concatenate([self.cat, cat]),
                               np.concatenate([self.y, y]), self.theta)

    def predict(self, num: np.ndarray, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance (of the latent function) at each row."""
        ks = self.signal * _matern(_scaled_r2(num, cat, self.num, self.cat, self.inv_ls2))[0]
        v = solve_triangular(self._chol, ks.T, lower=True)
        var = np.maximum(self.signal - (v**2).sum(axis=0), 1e-12)
        return ks @ self._alpha, var

    def predict_grad(self, num: np.ndarray, cat: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients (m, numeric columns) at each row."""
        dn = num.shape[1]
        diff = num[:, None, :] - self.num[None, :, :]  # (m, n, dn)
        sq = np.concatenate([diff**2, (cat[:, None, :] != self.cat[None, :, :]).astype(float)],
                            axis=2)
        corr, factor = _matern(sq @ self.inv_ls2)
        ks = self.signal * corr  # (m, n)
        # d k / d x = -signal * factor * (x - x_i) / l^2, per numeric column.
        dks = -self.signal * factor[:, :, None] * diff * self.inv_ls2[:dn]  # (m, n, dn)
        w = cho_solve((self._chol, True), ks.T).T  # K^-1 k*, (m, n)
        mean = ks @ self._alpha
        var = np.maximum(self.signal - (ks * w).sum(axis=1), 1e-12)
        dmean = np.einsum("mnd,n->md", dks, self._alpha)
        dvar = -2.0 * np.einsum("mnd,mn->md", dks, w)
        return mean, var, dmean, dvar


def _neg_log_posterior(theta: np.ndarray, sq: np.ndarray, y: np.ndarray
                       ) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood plus priors, and its gradient in ``theta``."""
    n, _, d = sq.shape
    inv_ls2 = np.exp(-2.0 * theta[:d])
    signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
    corr, factor = _matern(sq @ inv_ls2)
    k = signal * corr
    k[np.diag_indices(n)] += noise + _JITTER
    # LAPACK directly: at tens of trials, scipy's wrappers cost more than the algebra.
    chol, info = lapack.dpotrf(k, lower=1, clean=1)
    if info != 0:
        return 1e10, np.zeros_like(theta)
    alpha = lapack.dpotrs(chol, y, lower=1)[0]
    k_inv = lapack.dpotri(chol, lower=1)[0]
    k_inv = np.tril(k_inv) + np.tril(k_inv, -1).T
    value = 0.5 * float(y @ alpha) + float(np.log(np.diag(chol)).sum())
    value += 0.5 * n * math.log(2.0 * math.pi)
    w = np.outer(alpha, alpha) - k_inv  # d value / d theta = -tr(w dK / dtheta) / 2
    grad = np.empty_like(theta)
    # dK / d log l_j = signal * factor * sq_j / l_j^2.
    grad[:d] = -0.5 * signal * ((w * factor).reshape(-1) @ sq.reshape(n * n, d)) * inv_ls2
    grad[d] = -0.5 * float((w * corr).sum()) * signal
    grad[d + 1] = -0.5 * float(np.trace(w)) * noise
    # Priors: normal on each log hyperparameter.
    means = np.concatenate([np.full(d, _LS_PRIOR[0]), [_SIGNAL_PRIOR[0], _NOISE_PRIOR[0]]])
    sds = np.concatenate([np.full(d, _LS_PRIOR[1]), [_SIGNAL_PRIOR[1], _NOISE_PRIOR[1]]])
    z = (theta - means) / sds
    value += 0.5 * float(z @ z)
    grad += z / sds
    return value, grad


def fit_gp(num: np.ndarray, cat: np.ndarray, y: np.ndarray, rng: np.random.Generator
           ) -> GaussianProcess:
    """The MAP Gaussian process for standardised values ``y`` at encoded rows."""
    d = num.shape[1] + cat.shape[1]
    sq = _sq_diffs(num, cat, num, cat)
    ls_mean = _LS_PRIOR[0]
    bounds = [_LOG_LS] * d + [_LOG_SIGNAL, _LOG_NOISE]
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    prior_mode = np.concatenate([np.full(d, ls_mean), [_SIGNAL_PRIOR[0], _NOISE_PRIOR[0]]])
    # Starts: the prior's mode, shorter lengthscales (a rough function), and draws
    # from the prior; the best few by posterior density are optimised.
    starts = [prior_mode, np.concatenate([np.full(d, ls_mean - 2.0), prior_mode[d:]])]
    spread = np.concatenate([np.full(d, _LS_PRIOR[1]), [_SIGNAL_PRIOR[1], _NOISE_PRIOR[1]]])
    for _ in range(_N_STARTS - len(starts)):
        starts.append(prior_mode + spread * rng.standard_normal(d + 2) * 0.5)
    starts = [np.clip(s, lo, hi) for s in starts]
    scored = sorted(((_neg_log_posterior(s, sq, y)[0], i) for i, s in
                     enumerate(starts)), key=lambda t: (t[0], t[1]))
    best_theta, best_value = starts[scored[0][1]], scored[0][0]
    for _, i in scored[:_N_OPTIMISED]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = minimize(_neg_log_posterior, starts[i], args=(sq, y), jac=True,
                              method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": 60, "ftol": 1e-7})
        if np.isfinite(result.fun) and result.fun < best_value:
            best_theta, best_value = np.clip(result.x, lo, hi), float(result.fun)
    return GaussianProcess(num, cat, y, best_theta)
