"""GPSampler in more dimensions: the trust region, and the define-by-run start."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith
from tunesmith.samplers._gp._trust import trust_box, trust_length
from tunesmith.samplers._gp.sampler import GPSampler
from tunesmith.space import Float, Space

# -- the trust region's side, replayed from the history ------------------------------------

OK3 = np.ones(3, dtype=bool)


def test_the_side_starts_at_its_initial_value_during_the_start_up() -> None:
    assert trust_length(np.array([3.0, 2.0, 1.0]), OK3, n_startup=3, dim=2) == 0.8


def test_three_successes_in_a_row_double_the_side_up_to_its_maximum() -> None:
    # After a start-up of 1, each trial improves on the best by far more than 1e-3.
    loss = np.array([10.0, 9.0, 8.0, 7.0])
    assert trust_length(loss, np.ones(4, dtype=bool), n_startup=1, dim=2) == 1.6
    loss = np.array([10.0] + [10.0 - i for i in range(1, 10)])  # 9 successes: capped
    assert trust_length(loss, np.ones(10, dtype=bool), n_startup=1, dim=2) == 1.6


def test_failures_halve_the_side_after_max_4_d_in_a_row() -> None:
    # d = 6: six failures halve it, five do not.
    assert trust_length(np.array([1.0] + [2.0] * 5), np.ones(6, dtype=bool), 1, 6) == 0.8
    assert trust_length(np.array([1.0] + [2.0] * 6), np.ones(7, dtype=bool), 1, 6) == 0.4
    # d = 2: the tolerance is 4, so 8 failures halve it twice.
    assert trust_length(np.array([1.0] + [2.0] * 8), np.ones(9, dtype=bool), 1, 2) == 0.2


def test_a_tiny_improvement_and_a_failed_trial_count_as_failures() -> None:
    loss = np.array([1.0, 0.99999, np.nan, 0.99998, 0.99997])
    ok = np.array([True, True, False, True, True])
    assert trust_length(loss, ok, n_startup=1, dim=1) == 0.4


def test_a_success_resets_the_failure_count() -> None:
    loss = np.array([1.0, 2.0, 2.0, 2.0, 0.5, 2.0, 2.0, 2.0])  # 3 fails, success, 3 fails
    assert trust_length(loss, np.ones(8, dtype=bool), n_startup=1, dim=1) == 0.8


def test_an_exhausted_region_starts_again_wide() -> None:
    # Six halvings of 0.8 leave 0.0125; the seventh falls below 0.5**7: back to 0.8.
    for halvings, side in ((6, 0.0125), (7, 0.8)):
        n = 1 + halvings * 4
        ok = np.ones(n, dtype=bool)
        assert trust_length(np.array([1.0] + [2.0] * (n - 1)), ok, 1, 1) == side


def test_the_box_is_inside_the_cube_around_the_centre_and_inactive_columns_are_whole() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        centre = rng.random(5)
        centre[rng.random(5) < 0.2] = np.nan
        length = float(rng.choice([0.01, 0.2, 0.8, 1.6]))
        lo, hi = trust_box(centre, length)
        assert np.all(lo >= 0.0) and np.all(hi <= 1.0) and np.all(lo <= hi)
        active = ~np.isnan(centre)
        assert np.all(lo[active] <= centre[active]) and np.all(centre[active] <= hi[active])
        assert np.all(lo[~active] == 0.0) and np.all(hi[~active] == 1.0)
        assert np.all((hi - lo)[active] <= length + 1e-12)
        inside = active & (centre - length / 2 >= 0) & (centre + length / 2 <= 1)
        assert np.allclose((hi - lo)[inside], length)


# -- the sampler on a smooth 10-D function ---------------------------------------------------

CENTRE = np.linspace(-2.0, 2.0, 10)
QUADRATIC = Space({f"x{i}": Float(-5.0, 5.0) for i in range(10)})


def quadratic(p: dict) -> float:
    return float(((np.array([p[f"x{i}"] for i in range(10)]) - CENTRE) ** 2).sum())


def _quadratic_study(seed: int, n: int) -> tunesmith.Study:
    study = tunesmith.Study(space=QUADRATIC, sampler="gp", seed=seed)
    study.optimize(lambda t: quadratic(t.params), n_trials=n, show_progress=False)
    return study


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_proposals_after_the_start_up_are_in_bounds_and_not_on_corners(seed: int) -> None:
    # Plain EI over the whole cube put most coordinates of most proposals on a bound
    # here (the fitted model extrapolates to the faces); the minimum is inside.
    study = _quadratic_study(seed, 30)
    x = np.array([[t.params[f"x{i}"] for i in range(10)] for t in study.trials[10:]])
    assert np.all((x >= -5.0) & (x <= 5.0))
    on_bound = np.abs(np.abs(x) - 5.0) < 1e-2
    assert (on_bound.mean(axis=1) > 0.5).mean() <= 0.1, on_bound.mean(axis=1)


@pytest.mark.slow  # a search quality check, seconds
def test_finds_the_quadratics_minimum_region_in_60_trials_over_seeds() -> None:
    # A uniform point scores 98 on average (10 * 100 / 12 + |centre|^2); the best of 60
    # random ones 25-40 on these seeds. Proposing on corners (before the trust region),
    # the GP had 36-55 after 40 trials.
    bests = [_quadratic_study(seed, 60).best_value for seed in range(3)]
    assert max(bests) < 5.0, bests


# -- define-by-run: once the space is known, the same as declared ----------------------------

HARTMANN_LIKE = Space({f"x{i}": Float(0.0, 1.0) for i in range(6)})


def _bowl(p: dict) -> float:
    return float(sum((p[f"x{i}"] - 0.2 - 0.1 * i) ** 2 for i in range(6)))


def test_define_by_run_proposes_jointly_from_the_second_trial_and_matches_declared() -> None:
    calls: list[tuple[int, int]] = []

    class Spy(GPSampler):
        def propose(self, space, history, number):  # type: ignore[no-untyped-def]
            calls.append((number, len(space)))
            return super().propose(space, history, number)

    declared = tunesmith.Study(space=HARTMANN_LIKE, sampler=GPSampler(seed=4))
    declared.optimize(lambda t: _bowl(t.params), n_trials=10, show_progress=False)
    by_run = tunesmith.Study(sampler=Spy(seed=4))
    by_run.optimize(lambda t: _bowl({f"x{i}": t.float(f"x{i}", 0.0, 1.0) for i in range(6)}),
                    n_trials=10, show_progress=False)
    # Trial 0 knows nothing (each parameter on its own); every later one is proposed
    # jointly over all six, and the start-up design is the declared route's.
    assert calls == [(n, 6) for n in range(1, 10)]
    assert [t.params for t in by_run.trials[1:]] == [t.params for t in declared.trials[1:]]


@pytest.mark.slow  # a search quality check, seconds
@pytest.mark.parametrize("way", ["declared", "define-by-run"])
def test_both_routes_find_a_6d_bowls_minimum(way: str) -> None:
    bests = []
    for seed in range(3):
        if way == "declared":
            study = tunesmith.Study(space=HARTMANN_LIKE, sampler="gp", seed=seed)
            study.optimize(lambda t: _bowl(t.params), n_trials=40, show_progress=False)
        else:
            study = tunesmith.Study(sampler="gp", seed=seed)
            study.optimize(
                lambda t: _bowl({f"x{i}": t.float(f"x{i}", 0.0, 1.0) for i in range(6)}),
                n_trials=40, show_progress=False)
        bests.append(study.best_value)
    # A uniform point scores about 0.5 on average, the best of 40 random ones 0.05-0.22
    # on these seeds (either route); the GP gets within 0.02 of the minimum on each.
    assert max(bests) < 0.02, bests
