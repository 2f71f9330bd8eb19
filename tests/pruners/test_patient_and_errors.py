"""The patience wrapper by hand, and clear errors for bad pruner arguments."""

from __future__ import annotations

import pytest

import tunesmith
from tunesmith.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    Pruner,
    SuccessiveHalvingPruner,
    make_pruner,
)
from tunesmith.records import Direction, FrozenTrial, TrialState

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def trial(number: int, curve: dict[int, float], state: str = "running") -> FrozenTrial:
    value = curve[max(curve)] if state == "complete" else None
    return FrozenTrial(number=number, state=TrialState.parse(state), value=value,
                       intermediate=dict(curve))


@pytest.mark.parametrize(("values", "patience", "min_delta", "expected"), [
    ([1.0, 0.9, 0.95, 0.97], 2, 0.0, True),    # best before the last 2: 0.9; none beats it
    ([1.0, 0.9, 0.95, 0.89], 2, 0.0, False),   # 0.89 beats 0.9
    ([1.0, 0.9, 0.95, 0.89], 2, 0.05, True),   # ... by 0.01, not by more than 0.05
    ([1.0, 0.9, 0.95, 0.84], 2, 0.05, False),  # by 0.06
    ([1.0, 0.9, 0.95], 3, 0.0, False),         # not patience + 1 values yet
    ([1.0, 1.0], 1, 0.0, True),                # an equal value is no improvement
])
def test_patience_alone(values, patience, min_delta, expected):
    judged = trial(0, {step: v for step, v in enumerate(values, start=1)})
    assert PatientPruner(None, patience, min_delta).should_prune(judged, [], MIN) is expected


def test_patience_maximize():
    judged = trial(0, {1: 0.1, 2: 0.5, 3: 0.4, 4: 0.45})
    assert PatientPruner(None, 2).should_prune(judged, [], MAX) is True
    judged = trial(0, {1: 0.1, 2: 0.5, 3: 0.4, 4: 0.55})
    assert PatientPruner(None, 2).should_prune(judged, [], MAX) is False


def test_patience_asks_the_inner_pruner_only_once_stalled():
    done = [trial(i, {1: v, 2: v, 3: v}, "complete") for i, v in enumerate([0.2, 0.3, 0.4])]
    median = MedianPruner(n_startup_trials=3)  # median 0.3 at every step
    patient = PatientPruner(median, patience=1)
    improving = trial(5, {1: 0.9, 2: 0.8, 3: 0.7})  # worse than the median, improving
    stalled_bad = trial(5, {1: 0.9, 2: 0.8, 3: 0.85})
    stalled_good = trial(5, {1: 0.2, 2: 0.1, 3: 0.15})
    assert median.should_prune(improving, done, MIN) is True
    assert patient.should_prune(improving, done, MIN) is False
    assert patient.should_prune(stalled_bad, done, MIN) is True
    assert patient.should_prune(stalled_good, done, MIN) is False


@pytest.mark.parametrize(("make", "message"), [
    (lambda: MedianPruner(n_startup_trials=-1), "n_startup_trials must be an integer >= 0, got -1"),
    (lambda: MedianPruner(interval=0), "interval must be an integer >= 1, got 0"),
    (lambda: MedianPruner(n_warmup_steps=1.5), "n_warmup_steps must be an integer >= 0, got 1.5"),
    (lambda: SuccessiveHalvingPruner(reduction_factor=1),
     "reduction_factor must be an integer >= 2, got 1"),
    (lambda: SuccessiveHalvingPruner(min_resource=0), "min_resource must be an integer >= 1"),
    (lambda: SuccessiveHalvingPruner(min_early_stopping_rate=True),
     "min_early_stopping_rate must be an integer >= 0, got True"),
    (lambda: HyperbandPruner(max_resource="max"),
     "max_resource must be an integer >= 1, got 'max'; or 'auto'"),
    (lambda: HyperbandPruner(min_resource=4, max_resource=3),
     "max_resource must be an integer >= 4, got 3"),
    (lambda: PatientPruner(None, 0), "patience must be an integer >= 1, got 0"),
    (lambda: PatientPruner(None, 2, min_delta=-0.1), "min_delta must be a finite number >= 0"),
    (lambda: make_pruner("meidan"), "unknown pruner 'meidan'; use one of 'asha', 'hyperband'"),
    (lambda: make_pruner("median", warmup=3),
     r"unknown setting\(s\) \['warmup'\] for pruner 'median'; it takes n_startup_trials, "
     "n_warmup_steps, interval, n_min_trials"),
    (lambda: make_pruner(MedianPruner(), interval=2), "need a pruner given by name"),
    (lambda: tunesmith.Study(pruner="hyper-band"), "unknown pruner 'hyper-band'"),
])
def test_bad_arguments_name_the_value_and_the_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_pruner_that_is_not_one():
    with pytest.raises(TypeError, match="inner must be a Pruner or None, got str"):
        PatientPruner("median", 2)
    with pytest.raises(TypeError, match="pruner must be a Pruner, a name or None, got int"):
        tunesmith.Study(pruner=3)


def test_names_settings_and_seed():
    assert isinstance(make_pruner(None), NopPruner)
    assert isinstance(make_pruner("NONE"), NopPruner)
    median = make_pruner("median", n_warmup_steps=4)
    assert isinstance(median, MedianPruner) and median.n_warmup_steps == 4
    hyperband = make_pruner("hyperband", seed=5, max_resource=27)
    assert isinstance(hyperband, HyperbandPruner) and hyperband.seed == 5
    assert isinstance(tunesmith.Study(pruner="asha").pruner, SuccessiveHalvingPruner)
    assert isinstance(tunesmith.Study().pruner, NopPruner)
    assert issubclass(tunesmith.MedianPruner, Pruner)
