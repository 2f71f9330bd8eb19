"""Log expected improvement and its maximisation over an encoded space.

``log EI`` (Ament et al. 2023, "Unexpected improvements to expected improvement")
is computed without underflow far from the best point, so the local search still
has a slope to follow where plain EI is exactly zero.

The search: score many random points plus small moves around the best trials, run
L-BFGS-B on the numeric columns from the best few (all starts in one bounded
problem, their gradients independent), snap integers and steps onto their values,
then try each other choice of every categorical parameter of the best points.

>>> import numpy as np
>>> float(np.round(log_ei(np.array([0.0]))[0], 4))  # log(phi(0))
-0.9189
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr

from tunesmith.samplers._gp._model import GaussianProcess

__all__ = ["log_ei", "log_ei_grad", "maximise"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_C = math.sqrt(math.pi / 2.0)


def log_ei(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))``, the log of EI for a unit standard deviation."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    mid = z > -1.0
    zm = z[mid]
    out[mid] = np.log(np.exp(-0.5 * zm**2 - _LOG_SQRT_2PI) + zm * ndtr(zm))
    far = ~mid
    a = np.minimum(-z[far], 1e6)
    log_phi = -0.5 * a**2 - _LOG_SQRT_2PI
    # phi(z) (1 - a sqrt(pi/2) erfcx(a / sqrt2)); the bracket is about 1 / a^2 far out.
    t = a * _C * erfcx(a / math.sqrt(2.0))
    bracket = np.where(a < 1e3, np.log1p(-np.minimum(t, 1.0 - 1e-16)), -2.0 * np.log(a))
    out[far] = log_phi + bracket
    return out


def log_ei_grad(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log_ei(z)`` and its derivative ``Phi(z) / h(z)``."""
    value = log_ei(z)
    return value, np.exp(log_ndtr(z) - value)


def _acquisition(gp: GaussianProcess, best: float, num: np.ndarray, cat: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """log EI (minimisation) at each row and its gradient in the numeric columns."""
    mean, var, dmean, dvar = gp.predict_grad(num, cat)
    sd = np.sqrt(var)
    z = (best - mean) / sd
    value, slope = log_ei_grad(z)
    dsd = dvar / (2.0 * sd[:, None])
    dz = (-dmean - z[:, None] * dsd) / sd[:, None]
    return value + np.log(sd), slope[:, None] * dz + dsd / sd[:, None]


def score(gp: GaussianProcess, best: float, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """log EI at each row (no gradient)."""
    mean, var = gp.predict(num, cat)
    sd = np.sqrt(var)
    return log_ei((best - mean) / sd) + np.log(sd)


def maximise(
    gp: GaussianProcess,
    best: float,
    pool_num: np.ndarray,
    pool_cat: np.ndarray,
    sizes: np.ndarray,
    snap: Callable[[np.ndarray], np.ndarray],
    *,
    n_local: int = 5,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates near the maximum of log EI, best first: (num, cat, score).

    ``pool_*`` are the starting points (random and near the best trials); ``snap``
    moves numeric rows onto the values of integer and step dimensions; ``bounds``
    (lower and upper unit values per numeric column) keep the local search in a box.
    """
    pool_num = snap(pool_num)
    pool_score = score(gp, best, pool_num, pool_cat)
    order = np.argsort(-pool_score, kind="stable")
    top = order[:n_local]
    dn = pool_num.shape[1]
    lo, hi = bounds if bounds is not None else (np.zeros(dn), np.ones(dn))
    num, cat = pool_num[top].copy(), pool_cat[top]
    if dn:
        k = len(top)

        def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = _acquisition(gp, best, flat.reshape(k, dn), cat)
            return -float(value.sum()), -grad.ravel()

        result = minimize(negative, num.ravel(), jac=True, method="L-BFGS-B",
                          bounds=list(zip(np.tile(lo, k), np.tile(hi, k), strict=True)),
                          options={"maxiter": 100})
        if np.all(np.isfinite(result.x)):
            num = snap(np.clip(result.x.reshape(k, dn), lo, hi))
    # Each other choice of each categorical column, around each polished point.
    moves_num, moves_cat = [num], [cat]
    for j, size in enumerate(sizes):
        for choice in range(int(size)):
            moved = cat.copy()
            moved[:, j] = choice
            moves_num.append(num)
            moves_cat.append(moved)
    moved_num, moved_cat = np.concatenate(moves_num), np.concatenate(moves_cat)
    all_num = np.concatenate([moved_num, pool_num[order]])
    all_cat = np.concatenate([moved_cat, pool_cat[order]])
    all_score = np.concatenate([score(gp, best, moved_num, moved_cat), pool_score[order]])
    ranked = np.argsort(-all_score, kind="stable")
    return all_num[ranked], all_cat[ranked], all_score[ranked]
