"""TPESampler: it learns where good points lie, and from failures; its parts do their job."""

from __future__ import annotations

import pickle
import statistics

import numpy as np
import pytest

import tunesmith
from tunesmith.samplers import ListSampler, SobolSampler, TPESampler
from tunesmith.samplers._tpe._branches import tree_densities
from tunesmith.samplers._tpe._encoding import Encoding, unit_bins
from tunesmith.samplers._tpe._feasibility import FailureEvidence
from tunesmith.samplers._tpe._history import EncodedHistory
from tunesmith.samplers._tpe._split import n_good, split_good
from tunesmith.samplers._tpe.parzen import Bandwidth
from tunesmith.space import Categorical, Condition, Float, Int, Space

# -- it optimises ------------------------------------------------------------------------


def _sphere(params: dict) -> float:
    return sum((value - 0.37) ** 2 for value in params.values())


def _best(sampler, seed: int, space: Space, n: int = 40, direction: str = "minimize",
          objective=_sphere) -> float:
    study = tunesmith.Study(space=space, sampler=sampler, seed=seed, direction=direction)
    study.optimize(lambda t: objective(t.params), n_trials=n, show_progress=False)
    return study.best_value


@pytest.mark.slow  # a search quality check
def test_beats_random_search_by_a_wide_margin() -> None:
    # 40 trials on a 3-D bowl, 16 seeds. Random search's median best is about 2; TPE's
    # about 0.3. A TPE that ranks trials the wrong way round ends near 7, one that never
    # leaves its start-up design near 2.7: neither passes.
    space = Space({f"x{i}": Float(-5.0, 5.0) for i in range(3)})
    seeds = range(16)
    tpe = [_best("tpe", s, space) for s in seeds]
    rnd = [_best("random", s, space) for s in seeds]
    assert statistics.median(tpe) < statistics.median(rnd) / 3
    assert sum(a < b for a, b in zip(tpe, rnd, strict=True)) >= 13


def test_maximises_when_asked() -> None:
    space = Space({"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)})
    values = [_best("tpe", s, space, direction="maximize", objective=lambda p: -_sphere(p))
              for s in range(6)]
    assert statistics.median(values) > -0.3  # random search's median is about -1


def test_mixed_and_log_dimensions_find_the_optimum() -> None:
    space = Space({"lr": Float(1e-5, 1.0, log=True), "units": Int(1, 1024, log=True),
                   "act": Categorical(["relu", "tanh", "gelu"])})

    def loss(p: dict) -> float:
        return (np.log10(p["lr"]) + 3) ** 2 + (np.log2(p["units"]) - 6) ** 2 / 4 + (
            0.0 if p["act"] == "gelu" else 1.0)

    best = [_best("tpe", s, space, n=50, objective=loss) for s in range(6)]
    assert statistics.median(best) < 0.5


# -- failures ------------------------------------------------------------------------------

_PAIRS_THAT_FAIL = {("l1", "lbfgs"), ("l1", "sag"), ("en", "lbfgs"), ("en", "sag"),
                    ("en", "newton"), ("none", "liblinear")}


def _lesson_like(params: dict) -> float:
    if (params["penalty"], params["solver"]) in _PAIRS_THAT_FAIL:
        raise ValueError("unsupported penalty for this solver")
    return (np.log10(params["C"]) - 1) ** 2


def _failures(sampler, seed: int) -> int:
    space = Space({"C": Float(1e-4, 1e4, log=True),
                   "penalty": ["l1", "l2", "en", "none"],
                   "solver": ["lbfgs", "liblinear", "newton", "sag"]})
    study = tunesmith.Study(space=space, sampler=sampler, seed=seed)
    study.optimize(lambda t: _lesson_like(t.params), n_trials=60, show_progress=False)
    return sum(t.state.value == "failed" for t in study.trials)


def test_failed_combinations_are_not_proposed_again() -> None:
    # 6 of the 16 pairs fail: random search spends about 22 of 60 trials on them.
    tpe = [_failures("tpe", s) for s in range(4)]
    rnd = [_failures("random", s) for s in range(4)]
    assert max(tpe) <= 8, tpe
    assert statistics.mean(rnd) > 15, rnd


def test_failure_evidence_marks_what_failed_and_never_succeeded() -> None:
    cat = np.array([[0, 0], [0, 0], [0, 1], [1, 0], [1, 1]])
    failed = np.array([True, True, False, True, False])
    evidence = FailureEvidence(cat, np.array([2, 2]), failed)
    assert evidence.known_to_fail(cat).tolist() == [True, True, False, True, False]
    assert evidence.known_to_fail(np.array([[1, 1], [0, 1]])).tolist() == [False, False]
    log_p = evidence.log_feasible(np.array([[0, 0], [0, 1], [1, 1]]))
    assert log_p[0] < log_p[1] and log_p[0] < log_p[2]


def test_an_untried_pair_inherits_its_values_failure_rates() -> None:
    # Choice 0 of the first column failed with every partner tried; choice 1 never did.
    cat = np.array([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]])
    failed = np.array([True, True, True, False, False])
    evidence = FailureEvidence(cat, np.array([2, 4]), failed)
    risky, safe = evidence.log_feasible(np.array([[0, 3], [1, 3]]))
    assert risky < safe
    assert not evidence.known_to_fail(np.array([[0, 3]]))[0]  # untried: not known


@pytest.mark.parametrize("sizes", [[3, 4, 2], [4] * 40])  # the second: rows too long for one code
def test_failure_evidence_counted_trial_by_trial_equals_counted_at_once(sizes: list) -> None:
    rng = np.random.default_rng(0)
    k = np.array(sizes)
    cat = np.stack([rng.integers(-1, s, 300) for s in k], axis=1)
    failed = rng.random(300) < 0.3
    query = np.concatenate([cat[:50], np.stack([rng.integers(-1, s, 50) for s in k], axis=1)])
    for start in (0, 1, 120):
        evidence = FailureEvidence(cat[:start], k, failed[:start])
        stop = start
        while stop < 300:  # batches of 1 to 30 trials: both ways of counting them
            step = int(rng.integers(1, 30))
            evidence = evidence.extended(cat[stop:stop + step], failed[stop:stop + step])
            stop += step
        at_once = FailureEvidence(cat, k, failed)
        assert np.array_equal(evidence.log_feasible(query), at_once.log_feasible(query))
        assert np.array_equal(evidence.known_to_fail(query), at_once.known_to_fail(query))
        assert evidence.known_to_fail(query).any()  # the comparison is not vacuous


def test_what_a_sampler_keeps_between_asks_changes_no_proposal() -> None:
    # Failures (the failure counts are extended ask by ask) on a tree-structured
    # space (l's root is reused while the best trials stay): a sampler that made
    # every ask proposes what a new one proposes from the same history.
    space = Space(
        {"kind": Categorical(["a", "b", "c"]), "x": Float(0.0, 1.0), "y": Float(0.0, 1.0),
         "z": Categorical(["p", "q"])},
        conditions=[Condition("y", "kind", ["b", "c"])],
    )

    def objective(trial: tunesmith.Trial) -> float:
        p = trial.params
        # Combinations that fail in part of the space: never known to fail, so
        # their failure rates (the counts) weigh in every ask.
        if (p["kind"] == "c" and p["x"] > 0.2) or (p["z"] == "q" and p["x"] < 0.5):
            raise ValueError("an invalid region")
        return (p["x"] - 0.3) ** 2 + (p.get("y", 0.5) - 0.6) ** 2 + 0.1 * (p["z"] == "p")

    study = tunesmith.Study(space=space, sampler=TPESampler(seed=2))
    study.optimize(objective, n_trials=60, show_progress=False)  # failures are recorded
    history = study.trials
    assert sum(t.state.name == "FAILED" for t in history) >= 5
    fresh = TPESampler(seed=2).propose(space, history, len(history))
    assert study.sampler.propose(space, history, len(history)) == fresh


# -- the parts -----------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [Int(1, 1000, log=True), Int(1, 10, log=True), Int(0, 20, step=4),
                                 Float(0.0, 1.0, step=0.1), Int(-3, 50)])
def test_snapped_positions_decode_to_what_the_dimension_decodes(dim) -> None:
    encoding = Encoding(Space({"n": dim}))
    u = np.random.default_rng(0).random((4000, 1))
    snapped = encoding.snap(u)
    assert [dim.from_unit(float(a)) for a in snapped[:, 0]] == [
        dim.from_unit(float(a)) for a in u[:, 0]]
    # Every snapped position is one of the values' own positions.
    centers, _ = unit_bins(dim)
    assert set(np.round(snapped[:, 0], 12)) <= set(np.round(centers, 12))


def test_log_integer_bins_are_wider_for_small_values() -> None:
    _, edges = unit_bins(Int(1, 100, log=True))
    widths = np.diff(np.concatenate([[0.0], edges, [1.0]]))
    assert widths[0] > 5 * widths[-1]


def test_encoding_round_trips_points() -> None:
    space = Space({"lr": Float(1e-4, 1.0, log=True), "n": Int(1, 64, log=True),
                   "act": Categorical(["a", "b"]), "p": Float(0.0, 0.5, step=0.1)})
    encoding = Encoding(space)
    rng = np.random.default_rng(1)
    points = [space.sample(rng) for _ in range(50)]
    decoded = encoding.decode(encoding.encode(points))
    for a, b in zip(points, decoded, strict=True):
        assert a.keys() == b.keys()
        assert a["n"] == b["n"] and a["act"] == b["act"] and a["p"] == b["p"]
        assert a["lr"] == pytest.approx(b["lr"], rel=1e-9)


def test_split_takes_the_best_and_leaves_a_tie_across_the_threshold_out() -> None:
    loss = np.array([0.5, 0.1, 0.1, 0.9, 0.5])
    assert split_good(loss, 2).tolist() == [False, True, True, False, False]
    # The third-best value, 0.5, is shared by two trials and only one fits: y < y*.
    assert split_good(loss, 3).tolist() == [False, True, True, False, False]
    assert split_good(loss, 4).tolist() == [True, True, True, False, True]
    # The best value itself is a plateau wider than the good group: nothing is good,
    # and l(x) is the prior.
    assert not split_good(np.array([0.1, 0.1, 0.1, 0.9]), 2).any()
    assert n_good(5, 0.1, 25) == 1 and n_good(400, 0.1, 25) == 25


def test_startup_points_are_the_sobol_points() -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Categorical(["a", "b", "c"])})
    study = tunesmith.Study(space=space, sampler=TPESampler(seed=9, n_startup_trials=6))
    params = []
    for _ in range(6):
        trial = study.ask()
        params.append(trial.params)
        study.tell(trial, trial.params["x"])
    sobol = SobolSampler(seed=9)
    assert params == [sobol.propose(space, [], n) for n in range(6)]


def test_define_by_run_parameters_are_modelled() -> None:
    def objective(trial) -> float:
        x = trial.float("x", -4.0, 4.0)
        n = trial.int("n", 1, 32, log=True)
        return (x - 1.0) ** 2 + abs(np.log2(n) - 3)

    study = tunesmith.Study(sampler="tpe", seed=0)
    study.optimize(objective, n_trials=60, show_progress=False)
    late = [t.params["x"] for t in study.trials[40:]]
    assert study.best_value < 0.3
    assert statistics.median(abs(x - 1.0) for x in late) < 1.0  # random: about 2


def test_a_pickled_sampler_proposes_the_same() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Int(0, 9)})
    study = tunesmith.Study(space=space, sampler=TPESampler(seed=4))
    study.optimize(lambda t: t.params["x"] + t.params["y"], n_trials=15, show_progress=False)
    history = study.trials
    copy = pickle.loads(pickle.dumps(study.sampler))
    assert copy.propose(space, history, 15) == study.sampler.propose(space, history, 15)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_startup_trials": -1}, "n_startup_trials must be an integer >= 0"),
    ({"n_candidates": 0}, "n_candidates must be an integer >= 1"),
    ({"gamma": 1.5}, r"gamma must be a number in \(0, 1.0\]"),
    ({"startup": "grid"}, "startup must be 'sobol' or 'random'"),
    ({"bandwidth": "silverman"}, "bandwidth rule must be 'neighbor' or 'scott'"),
    ({"seed": 1.5}, "seed must be an integer or None"),
])
def test_bad_settings_are_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        TPESampler(**kwargs)


def _told(space: Space, points: list[dict], losses: list[float]) -> tunesmith.Study:
    study = tunesmith.Study(space=space, sampler=ListSampler(points))
    for loss in losses:
        study.tell(study.ask(), loss)
    return study


def test_each_branch_is_modelled_on_its_trials_split_as_the_study_is() -> None:
    # The good group (the best 5 of 44) is tree trials with depth 6-8, so l(x) of the
    # tree branch must sit near 7; no knn trial is good, so knn's l(x) is the prior alone.
    space = Space({"model": Categorical(["knn", "tree"]), "depth": Int(1, 12), "k": Int(1, 30)},
                  conditions=[Condition("depth", "model", ["tree"]),
                              Condition("k", "model", ["knn"])])
    points = [{"model": "knn", "k": 1 + i} for i in range(20)]
    points += [{"model": "tree", "depth": 1 + i % 12} for i in range(24)]
    # i / 1000 keeps the values distinct, as a real score would be.
    losses = [0.5 + p["k"] / 100 if p["model"] == "knn" else (p["depth"] - 7) ** 2 / 100 + i / 1000
              for i, p in enumerate(points)]
    study = _told(space, points, losses)
    state = EncodedHistory(space)
    view = state.view(study.trials, {}, len(points))
    good = split_good(view.loss, n_good(len(view), 0.1, 25))
    l_density, g_density = tree_densities(
        state, view, 0, good, ~good, bandwidth=Bandwidth(), prior_weight=1.0, bad_cap=200)
    encoding = state.encodings[0]
    drawn = encoding.decode(l_density.sample(np.random.default_rng(0), 2000))
    depths = np.array([p["depth"] for p in drawn])
    # Within one step of 7: about half the draws (kernels on the five good trials, and
    # the prior's share); uniform draws (no branch model): 25%.
    assert np.mean(np.abs(depths - 7) <= 1) > 0.4
    assert np.mean([p["model"] == "tree" for p in drawn]) > 0.6
    tree = encoding.encode([{"model": "tree", "depth": 7}, {"model": "tree", "depth": 1}])
    near, far = l_density.log_pdf(tree) - g_density.log_pdf(tree)
    assert near > far
    knn_branch = next(b for b in l_density.branches if encoding.num_names[b.num[0]] == "k")
    assert knn_branch.joint.n == 0


def test_the_better_branch_wins_however_many_parameters_the_other_has() -> None:
    # "Choose the model family": a one-parameter branch "a" holds 3 of the 4 best trials,
    # a two-parameter branch "b" has five times as many trials. A joint ratio over whole
    # points sent every proposal to "b" (its 2-D ratio, fitted on its own best trials,
    # peaks higher); the choice of branch is made on "model" alone now.
    space = Space({"model": Categorical(["a", "b"]), "x": Float(0.0, 1.0),
                   "y": Float(0.0, 1.0), "z": Float(0.0, 1.0)},
                  conditions=[Condition("x", "model", ["a"]), Condition("y", "model", ["b"]),
                              Condition("z", "model", ["b"])])
    rng = np.random.default_rng(0)
    points = [{"model": "a", "x": float(u)} for u in rng.random(6)]
    points += [{"model": "b", "y": float(u), "z": float(v)} for u, v in rng.random((30, 2))]
    losses = [0.10 + 0.01 * i for i in range(3)] + [0.40 + 0.01 * i for i in range(3)]
    losses += [0.12] + [0.20 + 0.01 * i for i in range(29)]
    study = _told(space, points, losses)
    sampler = TPESampler(seed=0)
    models = [sampler.propose(space, study.trials, number)["model"] for number in range(36, 56)]
    assert models.count("a") >= 15
