"""The study engine: ask / tell / optimize, failure states, resume and seeds."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import tunesmith
from tunesmith import (
    Categorical,
    Float,
    Int,
    Space,
    Study,
    StudyMismatchError,
    TrialPruned,
    TrialState,
)
from tunesmith.exceptions import InvalidSpaceError, SearchExhausted
from tunesmith.samplers import TPESampler
from tunesmith.storage import MemoryStorage
from tunesmith.study._owners import owner_name


def test_optimize_finds_the_minimum_of_a_quadratic() -> None:
    study = Study(space={"x": Float(-5.0, 5.0)}, seed=0)
    study.optimize(lambda t: (t.params["x"] - 2.0) ** 2, n_trials=200)
    # 200 uniform draws on [-5, 5]: the nearest lands within 0.2 of 2 with
    # probability 1 - (1 - 0.04)^200 > 0.9997; the seed makes it certain here.
    assert abs(study.best_params["x"] - 2.0) < 0.2
    assert study.best_value == min(t.value for t in study.trials)


def test_maximize_picks_the_largest_value() -> None:
    study = Study(space={"x": Int(0, 9)}, direction="maximize", sampler="grid")
    study.optimize(lambda t: -abs(t.params["x"] - 7))
    assert study.best_params == {"x": 7}
    assert study.best_value == 0


def test_failures_are_recorded_and_the_search_goes_on() -> None:
    outcomes = iter([ValueError("boom"), math.nan, None, math.inf, "text", 1.5])

    def objective(trial: tunesmith.Trial) -> float:
        out = next(outcomes)
        if isinstance(out, Exception):
            raise out
        return out  # type: ignore[return-value]

    study = Study(seed=1)
    study.optimize(objective, n_trials=6)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAILED] * 5 + [TrialState.COMPLETE]
    messages = [t.message for t in study.trials[:5]]
    assert messages[0] == "ValueError: boom"
    assert "nan" in messages[1]
    assert "None" in messages[2]
    assert "inf" in messages[3]
    assert "'text'" in messages[4]
    assert study.best_value == 1.5


def test_raise_errors_stops_at_the_first_failure() -> None:
    def objective(trial: tunesmith.Trial) -> float:
        raise RuntimeError("objective broke")

    study = Study(seed=1)
    with pytest.raises(RuntimeError, match="objective broke"):
        study.optimize(objective, n_trials=5, raise_errors=True)
    assert [t.state for t in study.trials] == [TrialState.FAILED]


def test_pruned_trials_are_recorded_as_pruned() -> None:
    def objective(trial: tunesmith.Trial) -> float:
        trial.report(3.0, step=0)
        raise TrialPruned("stopped early")

    study = Study(seed=1)
    study.optimize(objective, n_trials=2)
    assert {t.state for t in study.trials} == {TrialState.PRUNED}
    assert study.trials[0].intermediate == {0: 3.0}


def test_define_by_run_returns_the_same_value_for_the_same_name() -> None:
    study = Study(seed=5)
    trial = study.ask()
    lr = trial.float("lr", 1e-4, 1e-1, log=True)
    layers = trial.int("layers", 1, 4)
    act = trial.categorical("act", ["relu", "tanh"])
    assert trial.float("lr", 1e-4, 1e-1, log=True) == lr
    assert 1e-4 <= lr <= 1e-1 and 1 <= layers <= 4 and act in ("relu", "tanh")
    with pytest.raises(InvalidSpaceError, match=r"parameter 'lr' was already defined"):
        trial.float("lr", 1e-3, 1.0)
    record = study.tell(trial, 0.5)
    assert record.params == {"lr": lr, "layers": layers, "act": act}
    assert record.dimensions["layers"] == Int(1, 4)


def test_define_by_run_errors_name_the_parameter() -> None:
    trial = Study(seed=0).ask()
    with pytest.raises(InvalidSpaceError, match=r"parameter 'C'.*low"):
        trial.float("C", 1.0, 0.5)


def test_telling_a_finished_trial_again_changes_nothing() -> None:
    study = Study(seed=0)
    trial = study.ask()
    study.tell(trial, 1.0)
    again = study.tell(trial, 99.0)
    assert again.value == 1.0 and again.state is TrialState.COMPLETE


def test_grid_study_runs_every_point_once_then_is_exhausted() -> None:
    space = {"a": [1, 2, 3], "b": ["x", "y"]}
    study = Study(space=space, sampler="grid")
    seen = []
    study.optimize(lambda t: seen.append(dict(t.params)) or 0.0)
    from sklearn.model_selection import ParameterGrid

    assert seen == list(ParameterGrid(space))
    with pytest.raises(SearchExhausted, match=r"every one of the 6 candidates"):
        study.ask()


def test_finite_random_search_never_repeats_and_covers_the_space() -> None:
    space = Space({"a": Categorical(["p", "q", "r"]), "b": Int(0, 4)})
    study = Study(space=space, sampler="random", seed=3)
    study.optimize(lambda t: 0.0, n_trials=100)
    points = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(points) == 15 == len(set(points))


def test_same_seed_same_sequence_and_other_seed_differs() -> None:
    def run(seed: int) -> list[float]:
        study = Study(space={"x": Float(0.0, 1.0), "n": Int(1, 100, log=True)}, seed=seed)
        study.optimize(lambda t: t.params["x"], n_trials=10)
        return [t.params["x"] for t in study.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.slow  # a fresh interpreter
def test_same_seed_same_sequence_in_a_fresh_process() -> None:
    code = (
        "import tunesmith as ts\n"
        "s = ts.Study(space={'x': ts.Float(0.0, 1.0)}, seed=11)\n"
        "s.optimize(lambda t: t.params['x'], n_trials=5)\n"
        "print([t.params['x'] for t in s.trials])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = Study(space={"x": Float(0.0, 1.0)}, seed=11)
    here.optimize(lambda t: t.params["x"], n_trials=5)
    assert out.stdout.strip() == str([t.params["x"] for t in here.trials])


def test_resuming_with_another_space_is_refused() -> None:
    storage = MemoryStorage()
    Study(space={"x": Float(0.0, 1.0)}, storage=storage, name="s")
    with pytest.raises(StudyMismatchError, match="another search space"):
        Study(space={"x": Float(0.0, 2.0)}, storage=storage, name="s", load_if_exists=True)
    with pytest.raises(StudyMismatchError, match="created to minimize"):
        Study(space={"x": Float(0.0, 1.0)}, storage=storage, name="s",
              direction="maximize", load_if_exists=True)


def test_a_duplicate_name_without_load_if_exists_is_an_error() -> None:
    storage = MemoryStorage()
    Study(storage=storage, name="s")
    with pytest.raises(ValueError, match=r"'s' already exists.*load_if_exists=True"):
        Study(storage=storage, name="s")


def test_resumed_grid_study_continues_where_it_stopped() -> None:
    storage = MemoryStorage()
    space = {"a": [1, 2, 3, 4]}
    first = Study(space=space, sampler="grid", storage=storage, name="g")
    first.optimize(lambda t: float(t.params["a"]), n_trials=2)
    second = Study(space=space, sampler="grid", storage=storage, name="g", load_if_exists=True)
    second.optimize(lambda t: float(t.params["a"]))
    assert [t.params["a"] for t in second.trials] == [1, 2, 3, 4]
    assert [t.candidate for t in second.trials] == [0, 1, 2, 3]


def test_a_released_trial_is_run_again_with_the_same_point() -> None:
    study = Study(space={"a": [1, 2, 3]}, sampler="grid")
    trial = study.ask()
    study.release(trial)
    again = study.ask()
    assert again.number == trial.number and again.params == {"a": 1}


def test_a_model_based_trial_taken_over_runs_the_same_point(tmp_path) -> None:
    # An open-ended search: no candidate index to come back to, only the stored point
    # (a model-based proposal depends on the history, which moves on).
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"x": tunesmith.Float(0.0, 1.0), "k": tunesmith.Categorical(["a", "b", "c"])}
    first = Study(space=space, sampler="tpe", seed=0, storage=url, name="s")
    first.optimize(lambda t: t.params["x"], n_trials=12)
    trial = first.ask()
    (running,) = first.storage.trials(first.study_id, states=[TrialState.RUNNING])
    assert running.params == trial.params  # visible to others while it runs
    first.release(trial)  # as Ctrl-C does; a dead owner is taken over the same way
    # Another worker whose own proposal for this number would differ (still in its
    # startup phase, it would draw a Sobol point; a different seed is refused).
    second = Study(space=space, sampler=TPESampler(seed=0, n_startup_trials=50), storage=url,
                   name="s", load_if_exists=True)
    again = second.ask()
    assert (again.number, again.params) == (trial.number, trial.params)
    second.tell(again, again.params["x"])
    assert second.trials[-1].params == trial.params
    fresh = second.ask()
    assert fresh.number == trial.number + 1 and fresh.params != trial.params
    first.close()
    second.close()


def test_every_trial_of_a_dead_worker_is_taken_over_at_once(tmp_path) -> None:
    # A worker with three trials in flight dies (its pid on this host is gone).
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"a": list(range(10))}
    study = Study(space=space, sampler="grid", storage=url, name="g")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    owner = owner_name(int(dead))  # a process of this host and PID namespace
    for candidate in (0, 1, 2):
        study.storage.create_trial(study.study_id, owner=owner, candidate=candidate)
    # The next three asks re-run them, not fresh points with the dead ones still open.
    asked = [study.ask() for _ in range(3)]
    assert sorted((t.number, t.candidate) for t in asked) == [(0, 0), (1, 1), (2, 2)]
    study.close()


def test_keyboard_interrupt_releases_the_running_trial() -> None:
    study = Study(space={"a": [1, 2]}, sampler="grid")

    def objective(trial: tunesmith.Trial) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective)
    study.optimize(lambda t: float(t.params["a"]))
    assert [(t.params["a"], t.state) for t in study.trials] == [
        (1, TrialState.COMPLETE), (2, TrialState.COMPLETE)
    ]


class _RaisingSampler(tunesmith.samplers.RandomSampler):
    """Raises ``error`` while it chooses trial ``at``'s point (Ctrl-C landing there, a
    sampler's bug): that trial already exists in storage."""

    def __init__(self, at: int, error: BaseException) -> None:
        super().__init__(seed=0)
        self.at, self.error = at, error

    def propose(self, space, history, number):  # type: ignore[no-untyped-def]
        if number == self.at:
            raise self.error
        return super().propose(space, history, number)


def test_keyboard_interrupt_inside_ask_leaves_no_trial_in_a_live_owners_name() -> None:
    storage = MemoryStorage()
    space = {"x": Float(0.0, 1.0)}
    sampler = _RaisingSampler(at=2, error=KeyboardInterrupt())
    study = Study(space=space, sampler=sampler, storage=storage, name="s")
    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda t: t.params["x"], n_trials=5)
    # The trial created for the interrupted ask was given up, not left RUNNING in the
    # name of a process that is still alive (nothing would ever take it over).
    running = [t for t in storage.trials(study.study_id) if t.state is TrialState.RUNNING]
    assert [t.owner for t in running] == ["released"]
    again = Study(space=space, sampler="random", storage=storage, name="s",
                  load_if_exists=True, seed=0)
    again.optimize(lambda t: t.params["x"], n_trials=5)  # the study's budget: 5 in all
    trials = storage.trials(study.study_id)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
    assert sorted(t.number for t in trials) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_trials": -1}, "n_trials must be a non-negative integer"),
        ({}, "optimize needs n_trials or timeout"),
    ],
)
def test_optimize_arguments_are_checked(kwargs: dict, message: str) -> None:
    study = Study(space={"x": Float(0.0, 1.0)})
    with pytest.raises(ValueError, match=message):
        study.optimize(lambda t: 0.0, **kwargs)


def test_unknown_sampler_and_direction_are_named() -> None:
    with pytest.raises(ValueError, match="unknown sampler 'annealing'; use one of"):
        Study(sampler="annealing")
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize', got 'up'"):
        Study(direction="up")


def test_timeout_stops_an_open_ended_search() -> None:
    study = Study(space={"x": Float(0.0, 1.0)}, seed=0)
    study.optimize(lambda t: t.params["x"], timeout=0.2)
    assert len(study.trials) > 0
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_best_trial_before_any_trial_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no complete trial yet"):
        _ = Study(name="empty").best_trial


def test_a_sampler_failing_in_ask_leaves_its_trial_to_the_next_ask() -> None:
    storage = MemoryStorage()
    space = {"x": Float(0.0, 1.0)}
    sampler = _RaisingSampler(at=1, error=RuntimeError("no model"))
    study = Study(space=space, sampler=sampler, storage=storage, name="s")
    first = study.ask()
    study.tell(first, 0.5)
    with pytest.raises(RuntimeError, match="no model"):
        study.ask()
    # Not left running, empty, in the name of this live process: given up for the next ask.
    [stranded] = storage.trials(study.study_id, states=[TrialState.RUNNING])
    assert (stranded.number, stranded.owner, stranded.params) == (1, "released", {})
    again = Study(space=space, sampler="random", storage=storage, name="s",
                  load_if_exists=True, seed=0)
    trial = again.ask()
    assert trial.number == 1 and 0.0 <= trial.params["x"] <= 1.0
    again.tell(trial, 0.25)
    assert [t.state for t in storage.trials(study.study_id)] == [TrialState.COMPLETE] * 2
