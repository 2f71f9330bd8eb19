"""The verdict of stored trials: against the default, the runners-up, the simplest."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tunesmith.records import FoldRecord, FrozenTrial, TrialState
from tunesmith.stats import Contender, HeldOut, Interval, assess, fold_scores, verdict


def _trial(number: int, params: dict, scores: list[float], *,
           state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    folds = tuple(FoldRecord(k, {"score": s}) for k, s in enumerate(scores))
    value = float(np.nanmean(scores)) if state is TrialState.COMPLETE else None
    return FrozenTrial(number, state, params, value, folds=folds)


def _significantly_worse(best: list[float], other: list[float], rho: float) -> bool:
    """Independent: the corrected t interval of best - other lies above zero."""
    d = np.array(best) - np.array(other)
    n = d.size
    se = math.sqrt((1 / n + rho) * d.var(ddof=1))
    return d.mean() - sps.t.ppf(0.975, n - 1) * se > 0


BEST = [0.86, 0.88, 0.85, 0.87, 0.86]
CLOSE = [0.85, 0.88, 0.85, 0.86, 0.86]
FAR = [0.70, 0.71, 0.69, 0.72, 0.70]
NOISY = [0.90, 0.80, 0.85, 0.83, 0.86]


def test_ties_match_the_test_written_out() -> None:
    trials = [_trial(0, {"C": 1.0}, CLOSE), _trial(1, {"C": 10.0}, BEST),
              _trial(2, {"C": 0.01}, FAR), _trial(3, {"C": 0.1}, NOISY)]
    v = verdict(trials, "maximize", test_fraction=0.25)
    assert v.best.number == 1 and v.n_compared == 3
    expected = [t.number for t in trials if t.number != 1
                and not _significantly_worse(BEST, [f.test_scores["score"] for f in t.folds],
                                             0.25)]
    assert [c.number for c in v.tied] == expected == [0, 3]
    assert "tied with the best: 2 other candidates (of 3; not significantly worse)" in v.lines()


def test_default_comparison_in_words() -> None:
    trials = [_trial(0, {"C": 10.0}, BEST)]
    v = verdict(trials, "maximize", default=FAR, test_fraction=0.25)
    assert v.beats_default is True and v.points
    d = np.array(BEST) - np.array(FAR)
    assert v.versus_default.difference == pytest.approx(d.mean())
    assert v.lines()[0].startswith(
        f"better than default (mean 0.70400): yes, +{100 * d.mean():.1f} points, 95% interval [")
    v = verdict(trials, "maximize", default=CLOSE, test_fraction=0.25)
    assert v.beats_default is False
    assert v.lines()[0].startswith("better than default (mean 0.86000): no (not significant), +0.4")


def test_minimize_is_oriented() -> None:
    losses = [_trial(0, {"a": 1}, [1.0, 1.1, 0.9, 1.0]), _trial(1, {"a": 2}, [2.0, 2.2, 2.1, 2.0])]
    v = verdict(losses, "minimize", default=[3.0, 3.1, 2.9, 3.2], test_fraction=1 / 3)
    assert v.best.number == 0 and v.tied == ()
    assert v.versus_default.difference == pytest.approx(2.05)  # default loss - best loss
    assert v.beats_default and not v.points
    assert v.lines()[0].startswith(
        "better than default (mean 3.05000): yes, +2.050, 95% interval [")


def test_baseline_trial_by_number_and_the_default_itself() -> None:
    trials = [_trial(0, {"C": 1.0}, CLOSE), _trial(1, {"C": 10.0}, BEST)]
    v = verdict(trials, "maximize", default=0, test_fraction=0.25)
    assert v.default.label == "baseline (trial 0)" and v.beats_default is False
    same = verdict(trials, "maximize", default=1, test_fraction=0.25)
    assert same.lines()[0] == ("better than baseline (trial 1) (mean 0.86400): no, the same score "
                               "on every fold")
    with pytest.raises(ValueError, match="default=7 names no trial of this study"):
        verdict(trials, "maximize", default=7)


def test_no_default_says_so() -> None:
    v = verdict([_trial(0, {}, BEST)], "maximize")
    assert v.beats_default is None and v.fraction_assumed and v.test_fraction == 0.25
    lines = v.lines()
    assert lines[0] == "better than default: not tested (no default or baseline evaluated)"
    assert "note: no default or baseline to compare with (name one: default=)" in lines
    assert lines[-1] == ("(corrected resampled t-test over 5 folds, test/train = 0.25 assumed "
                         "(k-fold), 95% intervals)")


def test_one_fold_and_nan_folds() -> None:
    v = verdict([_trial(0, {}, [0.9])], "maximize", default=[0.8])
    assert v.beats_default is None
    assert v.lines()[0].startswith("better than default (mean 0.80000): cannot tell: only one fold")
    nan = math.nan
    v = verdict([_trial(0, {}, [0.9, nan, 0.91, 0.92])], "maximize",
                default=[0.8, 0.8, nan, 0.81], test_fraction=1 / 3)
    assert v.versus_default.n_folds == 2 and v.beats_default is not None


def test_not_cross_validated_cannot_be_tested() -> None:
    t = FrozenTrial(0, TrialState.COMPLETE, {"x": 1.0}, 0.5)
    v = verdict([t], "minimize", default=[0.1, 0.2])
    assert v.versus_default is None and v.beats_default is None
    assert v.lines() == ["note: trial 0 has no fold scores (its objective is not "
                         "cross-validated, or stored none): nothing can be tested"]


def test_no_complete_trial() -> None:
    with pytest.raises(ValueError, match="no complete trial"):
        verdict([_trial(0, {}, [0.1], state=TrialState.FAILED)], "minimize")


def test_fold_scores_from_attrs_and_metric() -> None:
    t = FrozenTrial(0, TrialState.COMPLETE, value=0.5, attrs={"test_scores": [0.4, 0.6]})
    assert fold_scores(t).tolist() == [0.4, 0.6]
    multi = FrozenTrial(1, TrialState.COMPLETE, value=0.5, folds=(
        FoldRecord(0, {"acc": 0.5, "f1": 0.4}), FoldRecord(1, {"acc": 0.7, "f1": 0.6})))
    assert fold_scores(multi, "f1").tolist() == [0.4, 0.6]
    assert fold_scores(multi) is None


@pytest.mark.parametrize(("rule", "expected"), [
    ({"C": "min"}, 2), ({"C": "max"}, 1), ({"penalty": ["l2", "l1"]}, 0),
    ({"penalty": ["l1"], "C": "min"}, 2),
])
def test_simplest_of_the_tied(rule: dict, expected: int) -> None:
    trials = [_trial(0, {"C": 1.0, "penalty": "l2"}, CLOSE),
              _trial(1, {"C": 10.0, "penalty": "l1"}, BEST),
              _trial(2, {"C": 0.1, "penalty": "l1"}, NOISY),
              _trial(3, {"C": 0.001, "penalty": "l1"}, FAR)]  # simplest, but worse
    v = verdict(trials, "maximize", simplest=rule, test_fraction=0.25)
    assert v.simplest.number == expected


def test_simplest_bad_rule() -> None:
    trials = [_trial(0, {"C": 1.0}, BEST)]
    with pytest.raises(ValueError, match="simplest names 'alpha', which no candidate has; "
                                         "the parameters are: C"):
        verdict(trials, "maximize", simplest={"alpha": "min"})
    with pytest.raises(ValueError, match="got 'smallest' for 'C'"):
        verdict(trials, "maximize", simplest={"C": "smallest"})


def test_held_out_lines() -> None:
    best = Contender("trial 0", {}, np.array(BEST), 0)
    held = HeldOut(143, Interval(0.944, 0.909, 0.979, 0.95), Interval(0.958, 0.923, 0.986, 0.95),
                   Interval(-0.014, -0.042, 0.014, 0.95))
    lines = assess(best, held_out=held, metric="accuracy").lines()
    assert ("held-out accuracy on 143 rows (95% bootstrap): tuned 0.94400 [0.90900, 0.97900], "
            "default 0.95800 [0.92300, 0.98600]") in lines
    assert "held-out difference, tuned - default: -1.4 points, 95% interval [-4.2, +1.4]" in lines


def test_rope_adds_the_bayesian_line() -> None:
    from tunesmith.stats import bayes_compare_folds

    v = verdict([_trial(0, {}, BEST)], "maximize", default=CLOSE, test_fraction=0.25,
                rope=0.01)
    ref = bayes_compare_folds(BEST, CLOSE, test_fraction=0.25, rope=0.01)
    assert v.bayes_default == ref
    assert (f"Bayesian correlated t-test, rope +-1.0 points: P(best better) {ref.p_right:.2f}, "
            f"P(equivalent) {ref.p_rope:.2f}, P(default better) {ref.p_left:.2f}") in v.lines()
    # Minimising: the probabilities are about the oriented scores (lower loss is better).
    loss = verdict([_trial(0, {}, [1.0, 1.1, 0.9])], "minimize", default=[2.0, 2.2, 1.9],
                   rope=0.1)
    assert loss.bayes_default.p_right > 0.9
    assert verdict([_trial(0, {}, BEST)], "maximize", default=CLOSE).bayes_default is None


def test_other_fold_counts() -> None:
    trials = [_trial(0, {"C": 1.0}, BEST), _trial(1, {"C": 2.0}, [0.5, 0.6, 0.55])]
    v = verdict(trials, "maximize", test_fraction=0.25)
    assert v.n_compared == 0
    assert ("note: 1 candidates have another number of folds than the best and were not "
            "compared") in v.lines()
    with pytest.raises(ValueError, match="the default has 3 fold scores and the best 5"):
        verdict(trials, "maximize", default=[0.1, 0.2, 0.3])


def test_degenerate_folds_give_sentences_not_crashes() -> None:
    nan = math.nan
    # The default model failed on every fold: nothing to pair, and the lines say so.
    failed = verdict([_trial(0, {}, BEST)], "maximize", default=[nan] * 5, rope=0.01)
    assert failed.beats_default is None
    assert failed.lines()[:2] == [
        "better than default (mean -): cannot tell: no fold has both scores (every pair has "
        "a NaN): nothing to compare",
        "Bayesian correlated t-test, rope +-1.0 points: cannot tell: no fold has both scores "
        "(every pair has a NaN): nothing to compare"]
    # One fold: no spread, so no test, and the footer counts it in the singular.
    one = verdict([_trial(0, {}, [0.9])], "maximize", default=[0.8], rope=0.01)
    assert ("Bayesian correlated t-test, rope +-1.0 points: cannot tell: only one fold has "
            "both scores: the posterior is improper") in one.lines()
    assert one.lines()[-1].startswith("(corrected resampled t-test over 1 fold, ")
    # The same shift on every fold (coarse accuracies): certain, and the line says why.
    shift = verdict([_trial(0, {}, [0.9, 0.8, 0.7])], "maximize", default=[0.8, 0.7, 0.6])
    assert shift.beats_default is True
    assert shift.lines()[0] == (
        "better than default (mean 0.70000): yes, +10.0 points, 95% interval [+10.0, +10.0] "
        "(p < 0.001); every fold differs by exactly +0.1: the spread is zero, so the "
        "difference is taken as certain (coarse scores on few rows can cause this)")


def test_candidates_without_a_shared_fold_are_not_called_worse() -> None:
    nan = math.nan
    # The best scored folds 0-2 only, trial 1 folds 3-4 only: no pair to test, so trial 1
    # is neither tied nor "significantly worse"; a candidate that failed everywhere is
    # left out as well.
    trials = [_trial(0, {"C": 1.0}, [0.9, 0.91, 0.92, nan, nan]),
              _trial(1, {"C": 2.0}, [nan, nan, nan, 0.5, 0.6]),
              FrozenTrial(2, TrialState.COMPLETE, {"C": 3.0}, 0.1,
                          folds=tuple(FoldRecord(k, {"score": nan}) for k in range(5)))]
    v = verdict(trials, "maximize", test_fraction=0.25)
    assert v.best.number == 0 and v.n_compared == 0 and v.tied == ()
    lines = v.lines()
    assert not any(line.startswith("tied with the best") for line in lines)
    assert ("note: 1 candidates have no fold scored (not NaN) by both them and the best and "
            "were not compared") in lines
