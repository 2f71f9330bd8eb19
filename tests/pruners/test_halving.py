"""Asynchronous successive halving on hand-built learning curves (reduction factor 3).

Rungs at steps 1, 3, 9, 27 (min_resource 1, rate 0). At a rung, of ``n`` values the
best ``max(1, n // 3)`` go on; every expected decision below is counted by hand.
"""

from __future__ import annotations

import pytest

from tunesmith.pruners import SuccessiveHalvingPruner
from tunesmith.records import Direction, FrozenTrial, TrialState

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def trial(number: int, curve: dict[int, float], state: str = "running") -> FrozenTrial:
    value = curve[max(curve)] if state == "complete" else None
    return FrozenTrial(number=number, state=TrialState.parse(state), value=value,
                       intermediate=dict(curve))


# Five trials reached rung 1, in every state: each brought a value there.
RUNG_1 = [trial(0, {1: 0.1, 2: 0.1}, "complete"), trial(1, {1: 0.5}, "pruned"),
          trial(2, {1: 0.6}, "pruned"), trial(3, {1: 0.7}, "running"),
          trial(4, {1: 0.8}, "pruned")]


@pytest.mark.parametrize(("value", "expected"), [
    (0.05, False),  # best of 6: top 2 go on
    (0.3, False),   # 2nd of 6
    (0.5, False),   # ties the 2nd (0.1, 0.5, 0.5, ...): a tie with the last promoted goes on
    (0.55, True),   # 3rd of 6
    (0.9, True),
])
def test_rung_promotion_keeps_the_best_third(value, expected):
    asha = SuccessiveHalvingPruner(reduction_factor=3)
    assert asha.should_prune(trial(5, {1: value}), RUNG_1, MIN) is expected


def test_seven_at_a_rung_promote_two():
    others = [*RUNG_1, trial(5, {1: 0.2})]
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(6, {1: 0.15}), others, MIN) is False  # 2nd of 7
    assert asha.should_prune(trial(6, {1: 0.25}), others, MIN) is True  # 3rd of 7


def test_fewer_than_eta_at_a_rung_only_the_best_goes_on():
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(0, {1: 5.0}), [], MIN) is False  # alone: the best
    first = [trial(0, {1: 0.3})]
    assert asha.should_prune(trial(1, {1: 0.4}), first, MIN) is True
    assert asha.should_prune(trial(1, {1: 0.2}), first, MIN) is False


def test_a_rung_is_judged_once_when_reached():
    # At step 2 no rung is reached: rung 1 was judged at step 1 and its promotion holds,
    # even though 0.55 would now rank 3rd of 6 there.
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(5, {1: 0.55, 2: 0.4}), RUNG_1, MIN) is False


def test_the_value_a_trial_brought_to_a_rung_is_its_first_at_or_after_it():
    # Rung 3: trial 7 reported step 4 first (0.2), trial 8 step 3 (0.3), trial 9 step 3
    # (0.5). Three others and the judged one: n = 4, only the best goes on.
    others = [*RUNG_1, trial(7, {1: 0.1, 4: 0.2, 5: 0.01}), trial(8, {1: 0.1, 3: 0.3}),
              trial(9, {1: 0.1, 3: 0.5, 9: 0.4})]
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(10, {1: 0.1, 3: 0.25}), others, MIN) is True
    assert asha.should_prune(trial(10, {1: 0.1, 3: 0.15}), others, MIN) is False


def test_one_report_can_cross_several_rungs():
    # From step 1 to step 9 at once: judged at rung 3 (value 0.25 among 0.2, 0.3: n = 3,
    # best only -> pruned), although at rung 9 it would be alone.
    others = [trial(7, {1: 0.1, 3: 0.2}), trial(8, {1: 0.1, 3: 0.3})]
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(9, {1: 0.05, 9: 0.25}), others, MIN) is True
    assert asha.should_prune(trial(9, {1: 0.05, 9: 0.15}), others, MIN) is False


def test_min_early_stopping_rate_moves_the_first_rung():
    asha = SuccessiveHalvingPruner(min_early_stopping_rate=1)  # rungs 3, 9, 27
    assert asha.should_prune(trial(5, {1: 0.9, 2: 0.9}), RUNG_1, MIN) is False
    assert asha.should_prune(trial(5, {1: 0.9, 2: 0.9, 3: 0.9}),
                             [trial(0, {3: 0.1})], MIN) is True


def test_min_resource_and_reduction_factor_two():
    asha = SuccessiveHalvingPruner(min_resource=2, reduction_factor=2)  # rungs 2, 4, 8
    others = [trial(0, {2: 0.1}), trial(1, {2: 0.2}), trial(2, {2: 0.3})]
    assert asha.should_prune(trial(3, {1: 0.9}), others, MIN) is False  # before rung 2
    # n = 4 at rung 2: best 2 go on.
    assert asha.should_prune(trial(3, {1: 0.9, 2: 0.15}), others, MIN) is False
    assert asha.should_prune(trial(3, {1: 0.9, 2: 0.25}), others, MIN) is True


def test_max_resource_is_not_judged():
    others = [trial(0, {9: 0.1}), trial(1, {9: 0.2})]
    last = trial(2, {1: 0.01, 3: 0.01, 9: 0.9})  # this report reaches rung 9 only
    assert SuccessiveHalvingPruner().should_prune(last, others, MIN) is True
    assert SuccessiveHalvingPruner(max_resource=9).should_prune(last, others, MIN) is False


def test_maximize():
    flipped = [trial(t.number, {s: -v for s, v in t.intermediate.items()}) for t in RUNG_1]
    asha = SuccessiveHalvingPruner()
    assert asha.should_prune(trial(5, {1: -0.3}), flipped, MAX) is False
    assert asha.should_prune(trial(5, {1: -0.55}), flipped, MAX) is True


def test_with_two_workers_the_order_of_arrival_decides_as_the_rule_says():
    """The benchmark's losing seed (2 workers, seed 8), reduced to its rungs.

    Trial 1 (0.32 at rung 1, the worst there) arrived first in tunesmith's run and was
    alone, so it went on; it brought 0.25 to rung 3, where six values promote two, and
    trial 10's 0.052 (second) went on. In the serial order trial 0 arrives first, trial
    1 stops at rung 1, rung 3 holds five values and promotes one: trial 10 stops.
    """
    asha = SuccessiveHalvingPruner()
    alone = asha.should_prune(trial(1, {1: 0.32}), [], MIN)
    after_trial_0 = asha.should_prune(trial(1, {1: 0.32}), [trial(0, {1: 0.12})], MIN)
    assert (alone, after_trial_0) == (False, True)
    at_rung_3 = [trial(0, {1: 0.12, 3: 0.080}), trial(2, {1: 0.087, 3: 0.067}),
                 trial(3, {1: 0.074, 3: 0.067}), trial(7, {1: 0.054, 3: 0.046})]
    trial_1 = trial(1, {1: 0.32, 3: 0.25}, "pruned")
    trial_10 = trial(10, {1: 0.070, 3: 0.052})
    assert asha.should_prune(trial_10, [*at_rung_3, trial_1], MIN) is False  # 2nd of 6
    assert asha.should_prune(trial_10, at_rung_3, MIN) is True  # 2nd of 5
