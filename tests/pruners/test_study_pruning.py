"""Study(pruner=...) end to end: memory, SQLite and PostgreSQL, in this process and in
worker processes, after a restart; a pruned trial's record; what TPE learns from it.

The objective's learning curve is ``x + 1 / step`` (minimised), so the decisions a
pruner must take can be computed independently here.
"""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith
from tunesmith import Float, Study, TrialPruned, TrialState
from tunesmith.pruners import SuccessiveHalvingPruner

STEPS = 9


def curve(x: float, step: int) -> float:
    return x + 1.0 / step


def objective(trial: tunesmith.Trial) -> float:
    x = trial.params["x"]
    for step in range(1, STEPS + 1):
        trial.report(curve(x, step), step)
        if trial.should_prune():
            raise TrialPruned()
    return curve(x, STEPS)


def asha_by_hand(xs: list[float], eta: int = 3, rungs: tuple[int, ...] = (1, 3)) -> list[int]:
    """The step each trial stops at when trials run one after another: at each rung a
    trial goes on while it is among the best max(1, n // eta) of the n values there."""
    seen: dict[int, list[float]] = {r: [] for r in rungs}
    stops = []
    for x in xs:
        stop = STEPS
        for rung in rungs:
            value = curve(x, rung)
            values = sorted([*seen[rung], value])
            seen[rung].append(value)
            if value > values[max(1, len(values) // eta) - 1]:
                stop = rung
                break
        stops.append(stop)
    return stops


def check_records(study: Study) -> None:
    """Every trial stored its curve up to where it stopped; a pruned one keeps its last
    value, at a rung; a complete one ran every step."""
    for t in study.trials:
        last = max(t.intermediate)
        assert t.intermediate == {s: curve(t.params["x"], s) for s in range(1, last + 1)}
        if t.state is TrialState.PRUNED:
            assert last in (1, 3) and t.value == curve(t.params["x"], last)
        else:
            assert t.state is TrialState.COMPLETE and last == STEPS


def test_asha_in_this_process_takes_the_decisions_computed_by_hand(storage_url):
    study = Study(space={"x": Float(0.0, 1.0)}, seed=4, storage=storage_url,
                  pruner=SuccessiveHalvingPruner(max_resource=STEPS))
    study.optimize(objective, n_trials=25)
    check_records(study)
    xs = [t.params["x"] for t in study.trials]
    assert [max(t.intermediate) for t in study.trials] == asha_by_hand(xs)
    assert sum(t.state is TrialState.PRUNED for t in study.trials) >= 15
    study.close()


@pytest.mark.slow
def test_asha_in_worker_processes(storage_url):
    study = Study(space={"x": Float(0.0, 1.0)}, seed=4, storage=storage_url,
                  pruner=SuccessiveHalvingPruner(max_resource=STEPS))
    study.optimize(objective, n_trials=24, n_jobs=2)
    check_records(study)
    trials = study.trials
    assert len(trials) == 24
    # Whatever the timing: a pruned trial saw a better value at its rung, reported by
    # another trial (often from the other process), and the best trial is never pruned.
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert len(pruned) >= 12
    for t in pruned:
        rung = max(t.intermediate)
        assert any(o.intermediate.get(rung, np.inf) < t.intermediate[rung]
                   for o in trials if o.number != t.number)
    best = min(trials, key=lambda t: t.params["x"])
    assert best.state is TrialState.COMPLETE
    study.close()


def test_a_restart_keeps_pruned_trials_pruned(tmp_path):
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    calls: list[int] = []

    def counted(trial):
        calls.append(trial.number)
        return objective(trial)

    first = Study(space={"x": Float(0.0, 1.0)}, seed=2, storage=url, name="s", pruner="asha")
    first.optimize(counted, n_trials=12)
    before = first.trials
    first.close()
    assert any(t.state is TrialState.PRUNED for t in before)

    again = Study(space={"x": Float(0.0, 1.0)}, seed=2, storage=url, name="s", pruner="asha",
                  load_if_exists=True)
    again.optimize(counted, n_trials=20)
    after = again.trials
    assert calls == list(range(20))  # the first 12 ran once, never again
    for old, new in zip(before, after[:12], strict=True):
        assert (new.state, new.value, dict(new.intermediate)) == (
            old.state, old.value, dict(old.intermediate))
    assert len(after) == 20
    again.close()


def test_median_pruner_by_name_and_tell_by_hand():
    study = Study(seed=0, pruner="median")  # n_startup_trials=5
    assert study.pruner.n_startup_trials == 5
    for x in [0.1, 0.2, 0.3, 0.4, 0.5]:
        trial = study.ask()
        for step in (1, 2):
            trial.report(curve(x, step), step)
            assert not trial.should_prune()
        study.tell(trial, curve(x, 2))
    bad = study.ask()
    bad.report(curve(0.35, 1), 1)  # 1.35 vs the median at step 1, 1.3
    assert bad.should_prune()
    record = study.tell(bad, state="pruned")
    assert (record.state, record.value, dict(record.intermediate)) == (
        TrialState.PRUNED, 1.35, {1: 1.35})
    good = study.ask()
    good.report(curve(0.25, 1), 1)
    assert not good.should_prune()


def test_without_a_pruner_nothing_is_pruned_and_nothing_listens():
    study = Study(space={"x": Float(0.0, 1.0)}, seed=0)
    study.optimize(objective, n_trials=5)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert study._pruning.channel() is None


def test_tpe_learns_from_pruned_trials():
    """Only pruned trials, those near x = 0.75 got furthest: TPE's good group is those,
    and it proposes near them (random points would land in [0.6, 0.9] 30% of the time;
    before pruned trials counted, TPE stayed in its startup design with no complete
    trial)."""
    study = Study(space={"x": Float(0.0, 1.0)}, sampler="tpe", seed=0)
    for x in np.linspace(0.0, 1.0, 30):
        trial = study.ask()
        study.storage.set_trial_params(trial.trial_id, {"x": float(x)},
                                       {"x": Float(0.0, 1.0)})
        reached = 9 if abs(x - 0.75) < 0.06 else 1
        for step in range(1, reached + 1):
            trial.report(abs(x - 0.75) + 1.0 / step, step)
        study.tell(trial, state="pruned")
    history = study.trials
    assert all(t.state is TrialState.PRUNED and t.value is not None for t in history)
    proposed = [study.sampler.propose(study.space, history, number)["x"]
                for number in range(30, 50)]
    near = sum(0.6 <= x <= 0.9 for x in proposed)
    assert near >= 14, proposed
