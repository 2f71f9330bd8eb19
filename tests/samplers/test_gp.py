"""GPSampler and sampler='auto': known optima, comparisons with random on the same seeds,
the numerics of log EI and the model, seeds and pickling."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.stats import norm

import tunesmith
from tunesmith.samplers import AutoSampler, GPSampler, TPESampler, make_sampler
from tunesmith.samplers._auto import MAX_GP_PARAMS
from tunesmith.samplers._gp._acquisition import log_ei
from tunesmith.samplers._gp._model import _neg_log_posterior, _sq_diffs, fit_gp
from tunesmith.samplers._gp.sampler import refit_size, yeo_johnson
from tunesmith.space import Categorical, Condition, Float, Int, Space

BRANIN_MIN = 0.397887


def branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


BRANIN = Space({"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)})


def _best(sampler: str, seed: int, n: int, space: Space = BRANIN, objective=branin,
          direction: str = "minimize") -> float:
    study = tunesmith.Study(space=space, sampler=sampler, seed=seed, direction=direction)
    study.optimize(lambda t: objective(t.params), n_trials=n, show_progress=False)
    return study.best_value


# -- finding optima ------------------------------------------------------------------------


@pytest.mark.slow  # a search quality check
def test_gp_finds_branins_minimum_region_better_than_random_on_the_same_seeds() -> None:
    seeds = range(5)
    gp = [_best("gp", s, 30) for s in seeds]
    rnd = [_best("random", s, 30) for s in seeds]
    # Every GP run is within 0.1 of the global minimum (one of three basins) ...
    assert all(b < BRANIN_MIN + 0.1 for b in gp), gp
    # ... and better than random search with the same seed and budget.
    assert all(g < r for g, r in zip(gp, rnd, strict=True)), (gp, rnd)


def test_log_scale_integer_and_categorical_dimensions() -> None:
    # Optimum: lr = 1e-2 (log scale), units = 37, kind = "b"; the GP must use all three.
    space = Space({"lr": Float(1e-5, 1.0, log=True), "units": Int(1, 100),
                   "kind": Categorical(["a", "b", "c"])})

    def f(p: dict) -> float:
        return ((math.log10(p["lr"]) + 2.0) ** 2 + ((p["units"] - 37) / 20) ** 2
                + {"a": 1.0, "b": 0.0, "c": 0.5}[p["kind"]])

    gp = [_best("gp", s, 35, space, f) for s in range(3)]
    rnd = [_best("random", s, 35, space, f) for s in range(3)]
    assert all(b < 0.05 for b in gp), gp
    assert all(g < r for g, r in zip(gp, rnd, strict=True)), (gp, rnd)


def test_maximize_goes_the_other_way() -> None:
    space = Space({"x": Float(-3.0, 3.0)})
    best = _best("gp", 0, 20, space, lambda p: -((p["x"] - 1.2) ** 2), direction="maximize")
    assert best > -1e-3


def test_proposals_are_on_steps_and_never_repeat_on_a_small_integer_space() -> None:
    space = Space({"a": Int(0, 4), "b": Float(0.0, 1.0, step=0.25)})  # 25 points
    study = tunesmith.Study(space=space, sampler="gp", seed=1)
    study.optimize(lambda t: (t.params["a"] - 3) ** 2 + t.params["b"], n_trials=25,
                   show_progress=False)
    points = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert len(set(points)) == len(points) == 25
    assert all(b in (0.0, 0.25, 0.5, 0.75, 1.0) for _, b in points)


def test_failed_trials_push_the_search_away() -> None:
    # x > 0.5 fails; the optimum of the rest is at 0.5.
    space = Space({"x": Float(0.0, 1.0)})

    def f(trial: tunesmith.Trial) -> float:
        if trial.params["x"] > 0.5:
            raise ValueError("infeasible")
        return -trial.params["x"]

    study = tunesmith.Study(space=space, sampler="gp", seed=2)
    study.optimize(f, n_trials=30, show_progress=False)
    after_startup = study.trials[10:]
    failed = sum(not t.is_complete for t in after_startup)
    assert failed <= 10, failed
    assert study.best_value < -0.45


def test_parallel_asks_spread_out() -> None:
    study = tunesmith.Study(space=BRANIN, sampler="gp", seed=0)
    study.optimize(lambda t: branin(t.params), n_trials=15, show_progress=False)
    running = [study.ask() for _ in range(4)]
    points = [(t.params["x1"], t.params["x2"]) for t in running]
    closest = min(math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1:])
    assert closest > 1e-3, points


# -- seeds ---------------------------------------------------------------------------------


def _proposals(sampler: GPSampler, n: int, study_sampler_seed: int = 0) -> list[dict]:
    study = tunesmith.Study(space=BRANIN, sampler=sampler)
    study.optimize(lambda t: branin(t.params), n_trials=n, show_progress=False)
    return [t.params for t in study.trials]


def test_same_seed_same_proposals() -> None:
    assert _proposals(GPSampler(seed=4), 16) == _proposals(GPSampler(seed=4), 16)
    assert _proposals(GPSampler(seed=4), 16) != _proposals(GPSampler(seed=5), 16)


def test_same_proposals_after_pickling_mid_study() -> None:
    # One study runs on; a pickled copy of its sampler continues a copy of the study:
    # both must propose the same next points.
    study = tunesmith.Study(space=BRANIN, sampler=GPSampler(seed=7))
    study.optimize(lambda t: branin(t.params), n_trials=14, show_progress=False)
    clone = pickle.loads(pickle.dumps(study.sampler))
    history = study.trials
    assert clone.propose(BRANIN, history, 14) == study.sampler.propose(BRANIN, history, 14)
    fresh = GPSampler(seed=7)  # no cache at all: a fresh process
    assert fresh.propose(BRANIN, history, 14) == clone.propose(BRANIN, history, 14)


def test_refit_schedule_depends_on_the_history_alone() -> None:
    assert [refit_size(n) for n in (1, 20, 21, 24, 25, 31)] == [1, 20, 20, 20, 25, 30]
    study = tunesmith.Study(space=BRANIN, sampler=GPSampler(seed=3))
    study.optimize(lambda t: branin(t.params), n_trials=27, show_progress=False)
    # The long-running sampler reuses fitted hyperparameters; a fresh one refits: same point.
    assert GPSampler(seed=3).propose(BRANIN, study.trials, 27) == study.sampler.propose(
        BRANIN, study.trials, 27)


# -- numerics ------------------------------------------------------------------------------


def test_log_ei_matches_the_closed_form_and_stays_finite_far_out() -> None:
    z = np.linspace(-5.0, 5.0, 41)
    naive = np.log(norm.pdf(z) + z * norm.cdf(z))
    assert np.allclose(log_ei(z), naive, rtol=1e-9, atol=1e-9)
    far = log_ei(np.array([-40.0, -1e3, -1e5]))
    assert np.all(np.isfinite(far)) and np.all(np.diff(far) < 0)
    # Asymptotically phi(z) / z^2.
    assert log_ei(np.array([-40.0]))[0] == pytest.approx(norm.logpdf(40.0) - 2 * math.log(40.0),
                                                        abs=1e-2)


def test_marginal_likelihood_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    num, cat = rng.random((12, 2)), rng.integers(0, 3, (12, 1))
    y = np.sin(4 * num[:, 0]) + cat[:, 0] * 0.2
    y = (y - y.mean()) / y.std()
    sq = _sq_diffs(num, cat, num, cat)
    theta = rng.normal(size=5) * 0.5
    _, grad = _neg_log_posterior(theta, sq, y)
    numeric = approx_fprime(theta, lambda t: _neg_log_posterior(t, sq, y)[0], 1e-6)
    assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_the_model_interpolates_a_smooth_function() -> None:
    x = np.linspace(0.0, 1.0, 10)[:, None]
    y = np.cos(5 * x[:, 0])
    gp = fit_gp(x, np.zeros((10, 0), dtype=np.int64), (y - y.mean()) / y.std(),
                np.random.default_rng(0))
    mean, var = gp.predict(np.array([[0.37]]), np.zeros((1, 0), dtype=np.int64))
    assert mean[0] * y.std() + y.mean() == pytest.approx(math.cos(5 * 0.37), abs=0.05)
    assert var[0] < 0.05


@pytest.mark.parametrize("seed", range(3))
def test_few_trials_in_ten_dimensions_leave_no_parameter_near_linear(seed: int) -> None:
    # 15 trials of a function that varies equally along all 10 coordinates (each is a
    # cos(4x): about two thirds of a period over the range). A lengthscale prior whose
    # median grows with sqrt(d) (13 ranges here) left 3-4 coordinates at 13-27 ranges,
    # i.e. the model nearly linear in them; with median 1, none above 5.
    rng = np.random.default_rng(seed)
    x = rng.random((15, 10))
    y = np.cos(4 * x).sum(axis=1)
    gp = fit_gp(x, np.zeros((15, 0), dtype=np.int64), (y - y.mean()) / y.std(),
                np.random.default_rng(seed))
    lengthscales = np.exp(gp.theta[:10])
    assert lengthscales.max() < 5.0, lengthscales


def test_yeo_johnson_keeps_the_order_and_pulls_in_a_long_tail() -> None:
    z = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 50.0])
    out = yeo_johnson(z)
    assert np.all(np.diff(out) > 0)
    assert (out[-1] - out[-2]) / (out[-2] - out[0]) < (z[-1] - z[-2]) / (z[-2] - z[0])


# -- auto ----------------------------------------------------------------------------------


def test_auto_uses_the_gp_on_a_small_numeric_space_and_tpe_on_a_tree() -> None:
    auto = make_sampler("auto", seed=0)
    assert isinstance(auto, AutoSampler)
    assert isinstance(auto.choose(BRANIN, 10), GPSampler)
    assert isinstance(auto.choose(BRANIN, auto.gp_trials), TPESampler)
    tree = Space({"k": Categorical(["a", "b"]), "x": Float(0.0, 1.0)},
                 conditions=[Condition("x", "k", ["a"])])
    assert isinstance(auto.choose(tree, 10), TPESampler)
    wide = Space({f"x{i}": Float(0.0, 1.0) for i in range(MAX_GP_PARAMS + 1)})
    widest = Space({f"x{i}": Float(0.0, 1.0) for i in range(MAX_GP_PARAMS)})
    assert isinstance(auto.choose(widest, 10), GPSampler)
    assert isinstance(auto.choose(wide, 10), TPESampler)
    discrete = Space({"a": Int(1, 9), "b": Int(1, 9), "x": Float(0.0, 1.0)})
    assert isinstance(auto.choose(discrete, 10), TPESampler)


def test_auto_proposes_what_its_choice_proposes() -> None:
    auto = [p for p in _proposals_of("auto", 14)]
    gp = [p for p in _proposals_of("gp", 14)]
    assert auto == gp


def test_auto_gives_the_gp_exactly_its_first_gp_trials_trials() -> None:
    # Counted by trial number, not by the history (which holds the trial being asked):
    # trial gp_trials - 1 is still the GP's, trial gp_trials is TPE's.
    auto = AutoSampler(seed=9, gp_trials=12)
    study = tunesmith.Study(space=BRANIN, sampler=auto)
    study.optimize(lambda t: branin(t.params), n_trials=13, show_progress=False)
    gp = _proposals_of("gp", 13)
    assert [t.params for t in study.trials[:12]] == gp[:12]
    assert study.trials[12].params != gp[12]  # TPE's, from the GP's twelve


def _proposals_of(name: str, n: int) -> list[dict]:
    study = tunesmith.Study(space=BRANIN, sampler=name, seed=9)
    study.optimize(lambda t: branin(t.params), n_trials=n, show_progress=False)
    return [t.params for t in study.trials]


# -- define-by-run ---------------------------------------------------------------------------


@pytest.mark.slow  # a search quality check
@pytest.mark.parametrize("sampler", ["gp", "auto"])
def test_define_by_run_finds_branins_minimum_region_too(sampler: str) -> None:
    # The study proposes the parameters it has seen on every trial jointly (an inferred
    # Space without conditions): the GP must do as well as on the declared space.
    bests = []
    for seed in range(3):
        study = tunesmith.Study(sampler=sampler, seed=seed)
        study.optimize(lambda t: branin({"x1": t.float("x1", -5.0, 10.0),
                                         "x2": t.float("x2", 0.0, 15.0)}),
                       n_trials=30, show_progress=False)
        bests.append(study.best_value)
    assert all(b < BRANIN_MIN + 0.1 for b in bests), bests


@pytest.mark.parametrize("bad", [-1, 2.5, "50", True])
def test_auto_refuses_a_trial_limit_that_is_not_a_count(bad) -> None:
    with pytest.raises(ValueError, match=f"gp_trials must be an integer >= 0, got {bad!r}"):
        AutoSampler(seed=0, gp_trials=bad)
