"""Racing over folds (``racing=True``): stopped candidates, their rows, ranks, storage.

The expectations are scikit-learn's own per-fold scores (a stopped candidate keeps
exactly the folds scikit-learn computes for it), the lesson's documented winner, and
hand-built fold scores for the stopping rule itself.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata
from scipy.stats import t as sps_t
from sklearn import model_selection as skms
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tunesmith import Float, Space, TrialState
from tunesmith.sklearn import GridSearchCV, Racing, RandomizedSearchCV, TPESearchCV
from tunesmith.sklearn._racing import Race

STOPPED = re.compile(r"racing: worse than candidate (\d+) \(p=[0-9.e-]+ after (\d) folds\)")
#: C=1e-4 all but predicts the majority class (~0.64); the others score 0.93-0.98.
GRID = {"logisticregression__C": [1e-4, 0.01, 0.1, 1.0]}


class CountingLogisticRegression(LogisticRegression):
    """LogisticRegression that counts its fit calls (in this process: n_jobs=None)."""

    fits: ClassVar[list[float]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CountingLogisticRegression:
        CountingLogisticRegression.fits.append(self.C)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def cancer() -> tuple[Any, Any]:
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="module")
def sklearn_cancer(cancer) -> Any:
    """scikit-learn's full grid: the independent per-fold scores."""
    X, y = cancer
    return skms.GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                             GRID).fit(X, y)


def _splits(results: dict[str, Any], n_splits: int = 5) -> np.ndarray:
    return np.array([results[f"split{k}_test_score"] for k in range(n_splits)]).T


def test_racing_off_gives_scikit_learns_results(cancer, sklearn_cancer, same_results) -> None:
    X, y = cancer
    ours = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), GRID,
                        racing=False).fit(X, y)
    same_results(ours, sklearn_cancer)
    assert "stopped" not in ours.cv_results_


def test_a_clearly_worse_candidate_stops_after_min_folds(cancer, sklearn_cancer) -> None:
    X, y = cancer
    CountingLogisticRegression.fits.clear()
    search = GridSearchCV(make_pipeline(StandardScaler(), CountingLogisticRegression()),
                          {"countinglogisticregression__C": GRID["logisticregression__C"]},
                          racing=True, skip_invalid=False).fit(X, y)  # no probe fits
    ours, theirs = search.cv_results_, sklearn_cancer.cv_results_
    scores, expected = _splits(ours), _splits(theirs)

    match = STOPPED.fullmatch(ours["stopped"][0])
    assert match is not None, ours["stopped"][0]
    done = int(match.group(2))
    assert done == Racing().min_folds  # stopped as soon as the rule may stop it
    # The folds it finished are scikit-learn's; the others were never fitted.
    np.testing.assert_array_equal(scores[0, :done], expected[0, :done])
    assert np.isnan(scores[0, done:]).all()
    assert ours["mean_test_score"][0] == np.mean(expected[0, :done])
    assert ours["std_test_score"][0] == np.std(expected[0, :done])
    # The winner ran every fold, with scikit-learn's scores, and leads the others.
    best = sklearn_cancer.best_index_
    assert ours["stopped"][best] == "" and search.best_index_ == best
    np.testing.assert_array_equal(scores[best], expected[best])
    assert search.best_score_ == sklearn_cancer.best_score_
    # Fits: C=1e-4 twice; every fit is a fold or the refit.
    n_fits = int(np.isfinite(scores).sum())
    assert CountingLogisticRegression.fits.count(1e-4) == done
    assert len(CountingLogisticRegression.fits) == n_fits + 1 < 4 * 5 + 1
    # Stored PRUNED, with the reason and the folds it finished.
    trial = next(t for t in search.study_.trials if t.candidate == 0)
    assert trial.state is TrialState.PRUNED and trial.message == ours["stopped"][0]
    assert [f.fold for f in trial.folds] == list(range(done))


def test_stopped_candidates_rank_after_every_finished_one(cancer) -> None:
    X, y = cancer
    grid = {"logisticregression__C": [1e-4, 1.0, 0.01, 0.1, 1e-3]}
    results = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), grid,
                           racing=Racing(confidence=0.9, min_folds=2)).fit(X, y).cv_results_
    stopped = results["stopped"] != ""
    ranks, means = results["rank_test_score"], results["mean_test_score"]
    assert stopped.any() and (~stopped).any()
    assert ranks[stopped].min() > ranks[~stopped].max()
    # Within each group, by mean (rank 1 the best).
    for group in (stopped, ~stopped):
        order = np.argsort(ranks[group], kind="stable")
        assert (np.diff(means[group][order]) <= 0).all()
    assert sorted(ranks) == list(range(1, len(grid["logisticregression__C"]) + 1))


def test_multimetric_races_on_the_refit_metric(cancer) -> None:
    X, y = cancer
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), GRID,
                          scoring=["accuracy", "recall"], refit="accuracy",
                          racing=True).fit(X, y)
    results = search.cv_results_
    # C=1e-4 predicts the majority class: its recall is the best, its accuracy the worst;
    # raced on accuracy, it is stopped and ranks after the finished ones on both.
    assert results["stopped"][0].startswith("racing: worse than")
    finished = results["stopped"] == ""
    assert results["mean_test_recall"][0] > results["mean_test_recall"][finished].max()
    for metric in ("accuracy", "recall"):
        ranks = results[f"rank_test_{metric}"]
        assert ranks[0] > ranks[finished].max()
    assert np.isnan(results["split4_test_recall"][0])
    assert search.best_params_ == {"logisticregression__C": 1.0}


def test_random_search_races_too(cancer, sklearn_cancer) -> None:
    X, y = cancer
    kwargs = {"n_iter": 4, "random_state": 0}
    ours = RandomizedSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), GRID,
                              racing=True, **kwargs).fit(X, y)
    theirs = skms.RandomizedSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                                     GRID, **kwargs).fit(X, y)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    assert (ours.cv_results_["stopped"] != "").sum() >= 1
    assert ours.best_params_ == theirs.best_params_


def test_a_stored_raced_search_resumes_without_refitting(cancer, tmp_path) -> None:
    X, y = cancer
    url = f"sqlite:///{tmp_path / 'race.db'}"

    def search() -> GridSearchCV:
        return GridSearchCV(make_pipeline(StandardScaler(), CountingLogisticRegression()),
                            {"countinglogisticregression__C": GRID["logisticregression__C"]},
                            racing=True, storage=url, study_name="race", skip_invalid=False)

    first = search().fit(X, y)
    CountingLogisticRegression.fits.clear()
    again = search().fit(X, y)
    assert CountingLogisticRegression.fits == [1.0]  # the refit alone
    for key in ("mean_test_score", "rank_test_score", "split4_test_score"):
        np.testing.assert_array_equal(again.cv_results_[key], first.cv_results_[key])
    assert list(again.cv_results_["stopped"]) == list(first.cv_results_["stopped"])


def test_tpe_stops_trials_worse_than_the_best_complete_one(cancer) -> None:
    X, y = cancer
    space = Space({"logisticregression__C": Float(1e-6, 10.0, log=True)})
    search = TPESearchCV(make_pipeline(StandardScaler(), LogisticRegression()), space,
                         n_iter=12, random_state=0, n_startup_trials=6,
                         racing=True).fit(X, y)
    results = search.cv_results_
    stopped = results["stopped"] != ""
    assert stopped.any()
    assert all(re.fullmatch(r"racing: worse than trial \d+ \(p=\S+ after \d folds\)", text)
               for text in results["stopped"][stopped])
    assert results["stopped"][search.best_index_] == ""
    pruned = [t for t in search.study_.trials if t.state is TrialState.PRUNED]
    assert len(pruned) == stopped.sum() and all(t.intermediate for t in pruned)
    assert all(len(t.folds) < 5 for t in pruned)


def test_tpe_with_a_pruner_treats_folds_as_steps(cancer) -> None:
    X, y = cancer
    space = Space({"logisticregression__C": Float(1e-6, 10.0, log=True)})
    search = TPESearchCV(make_pipeline(StandardScaler(), LogisticRegression()), space,
                         n_iter=12, random_state=0, n_startup_trials=6,
                         pruner="median").fit(X, y)
    results = search.cv_results_
    pruned = [t for t in search.study_.trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.message.startswith("pruned by MedianPruner(") for t in pruned)
    for trial in pruned:  # step m: the mean over its first m folds
        scores = [f.test_scores["score"] for f in trial.folds]
        assert trial.intermediate == {m: np.mean(scores[:m]) for m in range(1, len(scores) + 1)}
    assert (results["stopped"] != "").sum() == len(pruned)
    assert results["stopped"][search.best_index_] == ""
    with pytest.raises(ValueError, match="racing and pruner both stop trials early"):
        TPESearchCV(LogisticRegression(), space, racing=True, pruner="median").fit(X, y)
    with pytest.raises(ValueError, match="unknown pruner 'medain'"):
        TPESearchCV(LogisticRegression(), space, pruner="medain").fit(X, y)


@pytest.mark.slow
def test_parallel_workers_race_the_same(cancer) -> None:
    """Rounds end at a barrier: the decisions do not depend on the number of workers."""
    X, y = cancer
    grid = {"logisticregression__C": [1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0]}
    runs = [GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), grid,
                         racing=True, n_jobs=n_jobs).fit(X, y).cv_results_ for n_jobs in (1, 2)]
    np.testing.assert_array_equal(_splits(runs[0]), _splits(runs[1]))
    assert list(runs[0]["stopped"]) == list(runs[1]["stopped"])


@pytest.mark.slow
def test_lesson_grid_finds_the_full_searchs_winner_with_fewer_fits(titanic) -> None:
    X, y = titanic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(LogisticRegression(random_state=42),
                              {"C": [0.001, 0.01, 0.1, 1, 10, 100, 1000],
                               "penalty": ["l1", "l2", "elasticnet", None],
                               "solver": ["newton-cg", "lbfgs", "liblinear", "sag", "saga"]},
                              cv=5, scoring="accuracy", racing=True).fit(X, y)
    # The full search's winner and score (shared/data/titanic/README.md).
    assert search.best_params_ == {"C": 1, "penalty": "l1", "solver": "liblinear"}
    assert round(search.best_score_, 5) == 0.85866
    scores = _splits(search.cv_results_)
    valid = search.cv_results_.get("skip_reason", np.full(len(scores), None)) == None  # noqa: E711
    assert np.isfinite(scores[valid]).sum() < 84 * 5  # the full search fits 84 x 5


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), k=st.sampled_from([5, 10]))
def test_racing_never_stops_a_clear_winner(seed: int, n: int, k: int) -> None:
    """Fold scores = candidate mean + fold noise; the winner leads by >= 5 noise SDs."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(0.5, 0.9, n)
    winner = int(rng.integers(n))
    means[winner] = means.max() + 0.05
    scores = means[:, None] + rng.normal(0, 0.01, (n, k)) + rng.normal(0, 0.01, k)
    race = Race(Racing(), n_splits=k, test_fraction=1 / (k - 1))
    alive = set(range(n))
    for fold in range(k):
        for c in alive:
            race.record(c, fold, scores[c, fold])
        for c in list(alive):
            if race.reason(c, range(fold + 1)) is not None:
                race.stopped.add(c)
                alive.discard(c)
    assert winner in alive


def test_the_rule_needs_min_folds_and_names_the_leader() -> None:
    race = Race(Racing(confidence=0.9, min_folds=3), n_splits=5, test_fraction=0.25)
    for fold, (a, b) in enumerate([(0.9, 0.5), (0.92, 0.51), (0.91, 0.5)]):
        race.record(0, fold, a)
        race.record(1, fold, b)
    assert race.reason(1, [0, 1]) is None  # fewer folds than min_folds
    assert STOPPED.fullmatch(race.reason(1, [0, 1, 2]) or "").group(1) == "0"
    assert race.leader([0, 1, 2]) == 0 and race.reason(0, [0, 1, 2]) is None
    race.stopped.add(0)  # a stopped candidate never leads
    assert race.leader([0, 1, 2]) == 1


@pytest.mark.parametrize(("racing", "message"), [
    ("yes", r"racing must be True, False or a tunesmith.sklearn.Racing, got 'yes'"),
    (3, r"racing must be True, False or a tunesmith.sklearn.Racing, got 3"),
])
def test_bad_racing_argument_is_refused(cancer, racing: Any, message: str) -> None:
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        GridSearchCV(LogisticRegression(), GRID, racing=racing).fit(X, y)


def test_bad_racing_settings_are_refused(cancer) -> None:
    with pytest.raises(ValueError, match=r"confidence must be a number between 0 and 1.*1.5"):
        Racing(confidence=1.5)
    with pytest.raises(ValueError, match=r"min_folds must be an integer >= 2.*got 1"):
        Racing(min_folds=1)
    X, y = cancer
    with pytest.raises(ValueError, match=r"min_folds=3 leaves nothing to race with 3 folds"):
        GridSearchCV(LogisticRegression(), GRID, cv=3, racing=Racing(min_folds=3)).fit(X, y)


#: 4 candidates x 3 folds: candidate 3 trails on every fold, 1 on two of them.
TABLE = np.array([[0.90, 0.93, 0.91], [0.86, 0.935, 0.84], [0.91, 0.92, 0.90],
                  [0.70, 0.75, 0.72]])


def _race(table: np.ndarray, racing: Racing) -> Race:
    race = Race(racing, n_splits=5, test_fraction=0.25)
    for key, scores in enumerate(table):
        for fold, score in enumerate(scores):
            race.record(key, fold, score)
    return race


def test_the_default_rule_pools_the_ranks_of_every_candidate_alive() -> None:
    """Expected by hand: ranks within each fold, two-way residuals, t on (n-1)(m-1) df."""
    n, m = TABLE.shape
    ranks = np.array([[sorted(TABLE[:, j]).index(TABLE[i, j]) + 1.0 for j in range(m)]
                      for i in range(n)])
    means = ranks.mean(axis=1)
    residuals = ranks - means[:, None] - ranks.mean(axis=0) + ranks.mean()
    df = (n - 1) * (m - 1)
    variance = (residuals ** 2).sum() / df
    se = np.sqrt(2 * variance * (1 / m + 0.25))
    leader = int(np.argmax(means))
    t = (means - means[leader]) / se
    stops = {i for i in range(n) if t[i] < -sps_t.ppf(0.9, df)}  # confidence 0.8, two-sided
    assert stops == {3}  # the table is built so: 1 is behind, but not surely
    assert sorted(np.round(t, 4)) == [-2.2913, -0.6547, -0.3273, 0.0]
    race = _race(TABLE, Racing(confidence=0.8, min_folds=2))
    for i in range(n):
        reason = race.reason(i, [0, 1, 2])
        if i in stops:
            assert reason == (f"racing: worse than candidate {leader} "
                              f"(p={sps_t.cdf(t[i], df):.2g} after 3 folds)")
        else:
            assert reason is None
    assert race.reason(3, [0]) is None  # min_folds


def test_a_round_is_decided_alike_in_any_order() -> None:
    """Stopping one candidate does not change the test of the others in that round."""
    table = np.vstack([TABLE, TABLE[3] - 0.01, TABLE[1] + 0.005])
    outcomes = []
    for order in (range(len(table)), reversed(range(len(table)))):
        race = _race(table, Racing(confidence=0.6, min_folds=2))
        for key in order:
            if race.reason(key, [0, 1, 2]) is not None:
                race.stopped.add(key)
        outcomes.append(race.stopped)
    assert outcomes[0] == outcomes[1] and outcomes[0]
    race = _race(table, Racing(confidence=0.6, min_folds=2))
    race.stopped.add(0)  # stopped in an earlier round: neither pooled nor judged
    assert race.round([0, 1, 2])[0] == [1, 2, 3, 4, 5]
    assert race.reason(0, [0, 1, 2]) is None


def test_a_candidate_with_a_failed_fold_is_neither_judged_nor_pooled() -> None:
    table = np.vstack([TABLE, [0.1, np.nan, 0.1]])
    race = _race(table, Racing())
    assert race.round([0, 1, 2])[0] == [0, 1, 2, 3]
    assert race.reason(4, [0, 1, 2]) is None
    assert race.reason(4, [0]) is None


def test_the_paired_method_is_the_corrected_t_test_with_the_leader() -> None:
    from tunesmith.stats import compare_folds

    race = _race(TABLE, Racing(confidence=0.8, method="paired"))
    for i in range(len(TABLE)):
        others = [j for j in range(len(TABLE)) if j != i]
        leader = max(others, key=lambda j: TABLE[j].mean())
        test = compare_folds(TABLE[i], TABLE[leader], test_fraction=0.25, confidence=0.8)
        reason = race.reason(i, [0, 1, 2])
        assert (reason is not None) == (test.high < 0)
        if reason is not None:
            assert reason == (f"racing: worse than candidate {leader} "
                              f"(p={test.p_value:.2g} after 3 folds)")


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match=r"method must be one of 'ranks', 'scores', "
                                         r"'paired', got 'friedman'"):
        Racing(method="friedman")


# --- the indifference zone: Racing(tolerance=...) ----------------------------------------

WITHIN = re.compile(r"racing: within ([0-9.e-]+) of candidate (\d+) \(at most ([+-][0-9.e-]+) "
                    r"better after (\d+) folds\)")
#: The leader (0); a near-tie (1) that trails by 0.002 with a small spread; a rival (2)
#: whose spread leaves it a chance to lead by more; a clear loser (3); 3 folds.
NEAR = np.array([[0.900, 0.930, 0.910], [0.899, 0.926, 0.909],
                 [0.910, 0.900, 0.905], [0.700, 0.750, 0.720]])


def _pair_upper(a: np.ndarray, leader: np.ndarray, confidence: float, fraction: float) -> float:
    d = a - leader
    m = len(d)
    t = sps_t.ppf((1 + confidence) / 2, m - 1)
    return float(d.mean() + t * d.std(ddof=1) * np.sqrt(1 / m + fraction))


@pytest.mark.parametrize("method", ["ranks", "scores", "paired"])
def test_the_zone_stops_a_near_tie_that_cannot_lead_by_the_tolerance(method: str) -> None:
    upper = _pair_upper(NEAR[1], NEAR[0], 0.8, 0.25)
    assert 0 < upper < 0.01  # by hand: mean -0.002, sd 0.00173, t(0.9, 2) = 1.886
    assert upper == pytest.approx(-0.002 + 1.8856 * 0.0017321 * np.sqrt(1 / 3 + 0.25),
                                  abs=1e-6)
    assert _pair_upper(NEAR[2], NEAR[0], 0.8, 0.25) > 0.01
    race = _race(NEAR, Racing(method=method, tolerance=0.01))
    reasons = [race.reason(i, [0, 1, 2]) for i in range(len(NEAR))]
    assert reasons[0] is None and reasons[2] is None  # the leader; a rival that may lead
    assert reasons[1] == f"racing: within 0.01 of candidate 0 (at most {upper:+.2g} better " \
                         "after 3 folds)"
    assert reasons[3] is not None and reasons[3].startswith("racing: worse than candidate 0")
    # The same race without the zone keeps the near-tie.
    assert _race(NEAR, Racing(method=method)).reason(1, [0, 1, 2]) is None


@pytest.mark.parametrize("method", ["ranks", "paired"])
def test_the_zone_never_stops_the_leader_or_its_copies(method: str) -> None:
    """A wide zone: the leader's copies differ from it by 0 on every fold (no spread to
    test with) and the leader is not judged against its own copy."""
    table = np.vstack([NEAR[0], NEAR[0], NEAR[1], NEAR[0]])
    race = _race(table, Racing(method=method, tolerance=0.5))
    reasons = [race.reason(i, [0, 1, 2]) for i in range(len(table))]
    assert reasons[0] is None and reasons[1] is None and reasons[3] is None
    assert reasons[2] is not None  # the near-tie: within (paired) or worse (ranks: copies)


def _frace_stops(table: np.ndarray, alive: list[int], m: int, confidence: float,
                 fraction: float) -> set[int]:
    """Today's rule written out independently: ranks within folds, two-way residual
    variance on (n-1)(m-1) df, the leader the best mean rank (scores if the ranks have no
    spread), stopped when the two-sided interval of the difference lies below zero."""
    if len(alive) < 2:
        return set()
    for y in (np.apply_along_axis(rankdata, 0, table[alive, :m]), table[alive, :m]):
        n = len(alive)
        means = y.mean(axis=1)
        residuals = y - means[:, None] - y.mean(axis=0) + y.mean()
        df = (n - 1) * (m - 1)
        variance = (residuals ** 2).sum() / df
        if variance > 1e-20:
            leader = int(np.argmax(means))
            half = sps_t.ppf(0.5 + confidence / 2, df) * np.sqrt(2 * variance * (1 / m + fraction))
            return {alive[i] for i in range(n) if means[i] - means[leader] + half < 0}
    return set()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12))
def test_tolerance_zero_is_todays_rule_exactly(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    k = 5
    table = rng.uniform(0.6, 0.95, n)[:, None] + rng.normal(0, 0.03, (n, k))
    race = Race(Racing(tolerance=0.0), n_splits=k, test_fraction=0.25)
    alive = list(range(n))
    for fold in range(k - 1):
        for c in alive:
            race.record(c, fold, table[c, fold])
        expected = _frace_stops(table, alive, fold + 1, 0.8, 0.25) if fold else set()
        stops = {c for c in alive if race.reason(c, range(fold + 1)) is not None}
        assert stops == expected
        race.stopped |= stops
        alive = [c for c in alive if c not in stops]


def test_a_search_with_a_zone_keeps_scikit_learns_folds(cancer, sklearn_cancer) -> None:
    X, y = cancer
    tolerance = 0.03
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), GRID,
                          racing=Racing(tolerance=tolerance)).fit(X, y)
    ours, theirs = search.cv_results_, sklearn_cancer.cv_results_
    within = [i for i, text in enumerate(ours["stopped"]) if text.startswith("racing: within")]
    assert within  # the near-ties among C = 0.01, 0.1, 1 stop inside a 0.03 zone
    for i in within:
        match = WITHIN.fullmatch(ours["stopped"][i])
        assert match is not None and float(match.group(1)) == tolerance
        assert float(match.group(3)) < tolerance
    scores, expected = _splits(ours), _splits(theirs)
    done = np.isfinite(scores)
    np.testing.assert_array_equal(scores[done], expected[done])
    assert ours["stopped"][search.best_index_] == "" and done[search.best_index_].all()
    assert sklearn_cancer.best_score_ - theirs["mean_test_score"][search.best_index_] \
        <= tolerance


@pytest.mark.parametrize("value", [-0.001, float("nan"), float("inf"), True, "0.002", None])
def test_a_bad_tolerance_is_refused_naming_it(value: Any) -> None:
    with pytest.raises(ValueError, match=r"Racing tolerance must be a finite number >= 0 "
                                         r".* got " + re.escape(repr(value))):
        Racing(tolerance=value)


def test_tpe_with_a_zone_stops_near_ties_of_the_best_trial(cancer) -> None:
    # Racing(tolerance=) reaches a model-based search too: trials that cannot beat the
    # best complete trial by more than the zone stop, each saying by how much at most.
    X, y = cancer
    tolerance = 0.03
    space = Space({"logisticregression__C": Float(1e-3, 10.0, log=True)})
    search = TPESearchCV(make_pipeline(StandardScaler(), LogisticRegression()), space,
                         n_iter=14, random_state=0, n_startup_trials=6,
                         racing=Racing(tolerance=tolerance)).fit(X, y)
    texts = search.cv_results_["stopped"]
    within = [WITHIN_TRIAL.fullmatch(text) for text in texts if "within" in text]
    assert within and all(match is not None for match in within)
    for match in within:
        assert match is not None
        assert float(match.group(1)) == tolerance and float(match.group(3)) < tolerance
    assert texts[search.best_index_] == ""
    pruned = [t for t in search.study_.trials if t.state is TrialState.PRUNED]
    assert len(pruned) == (texts != "").sum() and all(len(t.folds) < 5 for t in pruned)
    # The best is the best of the trials that finished every fold, never a stopped one.
    finished = search.cv_results_["mean_test_score"][texts == ""]
    assert search.best_score_ == finished.max()


WITHIN_TRIAL = re.compile(r"racing: within ([0-9.e-]+) of trial (\d+) \(at most "
                          r"([+-][0-9.e-]+) better after (\d+) folds\)")
