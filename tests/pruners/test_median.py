"""MedianPruner on hand-built learning curves, expected decisions computed by hand."""

from __future__ import annotations

import pytest

from tunesmith.pruners import MedianPruner
from tunesmith.records import Direction, FrozenTrial, TrialState


def trial(number: int, curve: dict[int, float], state: str = "running") -> FrozenTrial:
    """A trial with intermediate values ``curve`` (step -> value)."""
    value = curve[max(curve)] if state == "complete" else None
    return FrozenTrial(number=number, state=TrialState.parse(state), value=value,
                       intermediate=dict(curve))


MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE

# Three complete trials. Medians by step: 1 -> 0.8, 2 -> 0.6, 3 -> 0.4.
DONE = [
    trial(0, {1: 0.9, 2: 0.6, 3: 0.3}, "complete"),
    trial(1, {1: 0.8, 2: 0.5, 3: 0.4}, "complete"),
    trial(2, {1: 0.7, 2: 0.7, 3: 0.5}, "complete"),
]


@pytest.mark.parametrize(("curve", "expected"), [
    ({1: 0.85}, True),               # 0.85 > median 0.8
    ({1: 0.8}, False),               # a tie with the median is not worse
    ({1: 0.75, 2: 0.65}, True),      # best so far 0.65 > median 0.6 at step 2
    ({1: 0.9, 2: 0.55}, False),      # 0.55 < 0.6
    ({1: 0.5, 2: 0.65}, False),      # the best so far (0.5) counts, not the latest
    ({1: 0.8, 2: 0.6, 3: 0.45}, True),
    ({4: 9.0}, False),               # no complete trial reported step 4
])
def test_median_at_a_step(curve, expected):
    pruner = MedianPruner(n_startup_trials=3)
    assert pruner.should_prune(trial(3, curve), DONE, MIN) is expected


def test_maximize_flips_the_comparison():
    flipped = [trial(t.number, {s: -v for s, v in t.intermediate.items()}, "complete")
               for t in DONE]
    pruner = MedianPruner(n_startup_trials=3)
    assert pruner.should_prune(trial(3, {1: -0.85}), flipped, MAX) is True
    assert pruner.should_prune(trial(3, {1: -0.75}), flipped, MAX) is False


def test_only_complete_trials_set_the_bar():
    # A pruned trial at 0.1 and a running one at 0.0 would drag the median down.
    others = [*DONE, trial(3, {1: 0.1}, "pruned"), trial(4, {1: 0.0}, "running"),
              trial(5, {1: 0.05}, "failed")]
    assert MedianPruner(n_startup_trials=3).should_prune(trial(6, {1: 0.75}), others,
                                                         MIN) is False


def test_startup_trials_and_min_trials():
    judged = trial(3, {1: 0.85})
    assert MedianPruner(n_startup_trials=4).should_prune(judged, DONE, MIN) is False
    assert MedianPruner(n_startup_trials=0, n_min_trials=4).should_prune(
        judged, DONE, MIN) is False
    assert MedianPruner(n_startup_trials=0, n_min_trials=3).should_prune(
        judged, DONE, MIN) is True


def test_warmup_steps():
    pruner = MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    assert pruner.should_prune(trial(3, {1: 0.99}), DONE, MIN) is False
    assert pruner.should_prune(trial(3, {1: 0.99, 2: 0.99}), DONE, MIN) is True


def test_interval_judges_the_first_report_at_or_past_each_boundary():
    # interval 2 from step 0: boundaries 0, 2, 4; reports at 1, 2, 3 -> judged at 1, 2.
    bad_at_3 = {1: 0.8, 2: 0.6, 3: 0.45}  # only step 3 is worse than its median
    assert MedianPruner(n_startup_trials=3, interval=2).should_prune(
        trial(3, bad_at_3), DONE, MIN) is False
    assert MedianPruner(n_startup_trials=3, interval=1).should_prune(
        trial(3, bad_at_3), DONE, MIN) is True
    # Reports every 3 steps with interval 2: step 3 is the first report past boundary 2.
    assert MedianPruner(n_startup_trials=3, interval=2).should_prune(
        trial(3, {3: 0.45}), DONE, MIN) is True
    assert MedianPruner(n_startup_trials=3, interval=2).should_prune(
        trial(3, {2: 0.3, 3: 0.45}), DONE, MIN) is False


def test_no_report_no_decision():
    assert MedianPruner(n_startup_trials=0).should_prune(trial(3, {}), DONE, MIN) is False


def test_the_judged_trial_is_not_its_own_rival():
    # Its stored copy (complete or not) must not count among the complete trials.
    me = trial(0, {1: 0.9, 2: 0.6, 3: 0.3}, "complete")
    assert MedianPruner(n_startup_trials=3).should_prune(trial(0, {1: 0.9}), DONE,
                                                         MIN) is False  # 2 others
    assert MedianPruner(n_startup_trials=2).should_prune(trial(0, {1: 0.9}), [me, *DONE[1:]],
                                                         MIN) is True  # median(0.8, 0.7)
