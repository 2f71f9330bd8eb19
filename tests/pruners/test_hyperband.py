"""Hyperband: bracket weights by hand, bracket assignment, brackets judged apart."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections import Counter

import pytest

from tunesmith.pruners import HyperbandPruner
from tunesmith.pruners._hyperband import bracket_weights
from tunesmith.records import Direction, FrozenTrial, TrialState

MIN = Direction.MINIMIZE


def trial(number: int, curve: dict[int, float], state: str = "running") -> FrozenTrial:
    value = curve[max(curve)] if state == "complete" else None
    return FrozenTrial(number=number, state=TrialState.parse(state), value=value,
                       intermediate=dict(curve))


def test_bracket_weights_are_the_papers_trial_counts():
    # Li et al. 2017: s_max = floor(log_eta(R)), n_s = ceil((s_max + 1) / (s + 1) * eta^s).
    # R = 27, eta = 3: s_max = 3; n = 27, ceil(4/3 * 9) = 12, ceil(4/2 * 3) = 6, 4.
    assert bracket_weights(1, 27, 3) == [27, 12, 6, 4]
    # R = 81: s_max = 4; 81, ceil(5/4 * 27) = 34, ceil(5/3 * 9) = 15, ceil(5/2 * 3) = 8, 5.
    assert bracket_weights(1, 81, 3) == [81, 34, 15, 8, 5]
    # min_resource 2, R = 16, eta 2: 2 * 2^3 = 16, s_max = 3; 8, ceil(4/3 * 4) = 6, 4, 4.
    assert bracket_weights(2, 16, 2) == [8, 6, 4, 4]
    assert HyperbandPruner(max_resource=26).n_brackets == 3  # 1, 3, 9 <= 26 < 27


def test_brackets_are_drawn_in_proportion_to_their_weights():
    pruner = HyperbandPruner(max_resource=27, seed=3)
    counts = Counter(pruner.bracket_of(n) for n in range(4900))
    for bracket, weight in enumerate([27, 12, 6, 4]):
        expected = 4900 * weight / 49
        sd = (expected * (1 - weight / 49)) ** 0.5
        assert abs(counts[bracket] - expected) < 4 * sd, (bracket, counts)


def test_a_trials_bracket_is_the_same_everywhere():
    pruner = HyperbandPruner(max_resource=27, seed=7)
    mine = [pruner.bracket_of(n) for n in range(50)]
    assert mine == [HyperbandPruner(max_resource=27, seed=7).bracket_of(n) for n in range(50)]
    assert mine == [pickle.loads(pickle.dumps(pruner)).bracket_of(n) for n in range(50)]
    code = ("from tunesmith.pruners import HyperbandPruner as H; "
            "print([H(max_resource=27, seed=7).bracket_of(n) for n in range(50)])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == str(mine)
    other_seed = [HyperbandPruner(max_resource=27, seed=8).bracket_of(n) for n in range(50)]
    assert other_seed != mine


def _numbers_in(pruner: HyperbandPruner, bracket: int, count: int) -> list[int]:
    found = [n for n in range(500) if pruner.bracket_of(n) == bracket]
    assert len(found) >= count
    return found[:count]


def test_each_bracket_is_asha_with_its_own_first_rung_and_rivals():
    pruner = HyperbandPruner(max_resource=27, seed=0)
    a, b, c = _numbers_in(pruner, 0, 3)  # bracket 0: rungs 1, 3, 9
    (d,) = _numbers_in(pruner, 1, 1)     # bracket 1: rungs 3, 9
    # Bracket 0, rung 1: trial a at 0.5 alone in its bracket would go on; b brought 0.2
    # there, so a (2 values: only the best goes on) stops.
    rivals = [trial(b, {1: 0.2})]
    assert pruner.should_prune(trial(a, {1: 0.5}), rivals, MIN) is True
    # A better trial of another bracket is no rival.
    assert pruner.should_prune(trial(a, {1: 0.5}), [trial(d, {1: 0.01, 3: 0.01})],
                               MIN) is False
    # Bracket 1 is not judged at step 1, whatever its rivals.
    assert pruner.should_prune(trial(d, {1: 9.0}), [trial(b, {1: 0.1})], MIN) is False
    # ... and at its first rung, 3, against its bracket's trials only: e (0.2) counts,
    # c (0.1, bracket 0) does not. Two values there: only the best goes on.
    (e,) = [n for n in _numbers_in(pruner, 1, 2) if n != d]
    rivals = [trial(e, {3: 0.2}), trial(c, {3: 0.1})]
    assert pruner.should_prune(trial(d, {3: 0.15}), rivals, MIN) is False
    assert pruner.should_prune(trial(d, {3: 0.3}), rivals, MIN) is True


def test_the_last_bracket_never_prunes():
    pruner = HyperbandPruner(max_resource=27, seed=0)
    (n,) = _numbers_in(pruner, 3, 1)
    rivals = [trial(m, {s: 0.0 for s in range(1, 28)}, "complete")
              for m in _numbers_in(pruner, 3, 4) if m != n]
    curve: dict[int, float] = {}
    for step in range(1, 28):
        curve[step] = 5.0
        assert pruner.should_prune(trial(n, curve), rivals, MIN) is False


def test_auto_max_resource_waits_for_a_complete_trial():
    pruner = HyperbandPruner(seed=0)  # max_resource="auto"
    (a, b) = _numbers_in(HyperbandPruner(max_resource=9, seed=0), 0, 2)
    running = [trial(b, {1: 0.1})]
    assert pruner.should_prune(trial(a, {1: 0.5}), running, MIN) is False
    done = [trial(b, {1: 0.1, 9: 0.05}, "complete")]  # the longest run: 9 steps
    assert pruner.should_prune(trial(a, {1: 0.5}), done, MIN) is True
    with pytest.raises(ValueError, match="max_resource"):
        _ = pruner.n_brackets
