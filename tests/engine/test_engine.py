"""The engine as users reach it: Study.optimize on executors, budgets, define-by-run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import tunesmith
from tunesmith import Categorical, Float, Int, Study, TrialState, load_study
from tunesmith.engine import Engine, TrialWork, Verdict
from tunesmith.executors import SerialExecutor
from tunesmith.storage import MemoryStorage


def define_by_run(trial: tunesmith.Trial) -> float:
    x = trial.float("x", -3.0, 3.0)
    n = trial.int("n", 1, 5)
    kind = trial.categorical("kind", ["a", "b"])
    trial.report(x * n, step=1)
    return (x - 1) ** 2 + n + (kind == "b")


def _params(study: Study) -> list[dict]:
    return [t.params for t in sorted(study.trials, key=lambda t: t.number)]


@pytest.mark.slow  # process pools
@pytest.mark.parametrize("sampler", ["random", "grid"])
def test_a_seeded_study_runs_the_same_trials_whatever_n_jobs(sampler: str) -> None:
    space = ({"a": [1, 2, 3, 4], "b": ["x", "y", "z"]} if sampler == "grid"
             else {"a": Float(0.0, 1.0), "b": Int(1, 9)})
    runs = []
    for n_jobs in (1, 2):
        study = Study(space=space, sampler=sampler, seed=3)
        study.optimize(lambda t: float(t.params["a"]) + len(str(t.params["b"])),
                       n_trials=12, n_jobs=n_jobs)
        runs.append(_params(study))
    assert len(runs[0]) == 12 and runs[0] == runs[1]


def test_define_by_run_works_in_worker_processes_on_a_memory_storage() -> None:
    serial = Study(sampler="random", seed=5)
    serial.optimize(define_by_run, n_trials=10)
    parallel = Study(sampler="random", seed=5)
    parallel.optimize(define_by_run, n_trials=10, n_jobs=2)
    assert _params(parallel) == _params(serial)  # same draws from (seed, number, name)
    for trial in parallel.trials:
        assert trial.state is TrialState.COMPLETE
        assert set(trial.dimensions) == {"x", "n", "kind"}  # recorded for the sampler
        # The report made in the worker reached storage with the trial.
        assert trial.intermediate == {1: pytest.approx(trial.params["x"] * trial.params["n"])}
    assert parallel.best_value == serial.best_value


def test_tpe_define_by_run_proposes_the_known_parameters_jointly() -> None:
    # Once a trial completed, the study knows the space; TPE's startup design then gives
    # a define-by-run study the very points it gives the declared space (trial 0, before
    # anything is known, is drawn one parameter at a time).
    space = {"x": Float(-3.0, 3.0), "n": Int(1, 5), "kind": Categorical(["a", "b"])}
    declared = Study(space=space, sampler="tpe", seed=2)
    declared.optimize(lambda t: define_by_run_params(t.params), n_trials=8)
    by_run = Study(sampler="tpe", seed=2)
    by_run.optimize(define_by_run, n_trials=8)
    assert _params(by_run)[1:] == _params(declared)[1:]


def define_by_run_params(params: dict) -> float:
    return (params["x"] - 1) ** 2 + params["n"] + (params["kind"] == "b")


def test_n_trials_is_the_studys_budget_counted_in_storage(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = Study(space={"x": Float(0.0, 1.0)}, storage=url, name="s", seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=5)
    study.optimize(lambda t: t.params["x"], n_trials=5)  # resumed: nothing missing
    assert len(study.trials) == 5
    study.optimize(lambda t: t.params["x"], n_trials=8)
    assert [t.number for t in study.trials] == list(range(8))
    study.close()


@pytest.mark.slow  # two fresh interpreters
def test_two_processes_running_one_study_stop_at_its_budget_together(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    Study(space={"x": Float(0.0, 1.0)}, storage=url, name="shared", seed=0).close()
    script = textwrap.dedent(f"""
        import time, tunesmith
        study = tunesmith.Study(space={{"x": tunesmith.Float(0.0, 1.0)}}, storage={url!r},
                                name="shared", load_if_exists=True, seed=0)
        study.optimize(lambda t: time.sleep(0.01) or t.params["x"], n_trials=40)
    """)
    workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    trials = load_study("shared", url).trials
    assert len(trials) == 40 and {t.state for t in trials} == {TrialState.COMPLETE}
    assert sorted(t.number for t in trials) == list(range(40))


def test_a_study_made_elsewhere_loads_with_its_direction_and_sampler() -> None:
    storage = MemoryStorage()
    made = Study(name="m", storage=storage, direction="maximize", sampler="tpe", seed=4,
                 space={"x": Float(0.0, 1.0)})
    made.optimize(lambda t: t.params["x"], n_trials=12)
    loaded = load_study("m", storage)
    assert loaded.direction is tunesmith.Direction.MAXIMIZE
    assert loaded.best_value == max(t.value for t in made.trials)
    assert repr(loaded.sampler) == "TPESampler(seed=4)"
    # Loading with load_if_exists and no direction takes the stored one too.
    again = Study(name="m", storage=storage, load_if_exists=True)
    assert again.best_trial.number == made.best_trial.number
    with pytest.raises(tunesmith.StudyMismatchError, match="minimize"):
        Study(name="m", storage=storage, load_if_exists=True, direction="minimize")
    with pytest.raises(tunesmith.StudyMismatchError, match="'random'"):
        Study(name="m", storage=storage, load_if_exists=True, sampler="random", seed=4)


def test_the_best_trial_is_the_earliest_of_those_tied() -> None:
    study = Study(space={"a": [3, 1, 2, 0]}, sampler="grid", direction="minimize")
    study.optimize(lambda t: float(t.params["a"] % 2))  # 2 and 0 tie at 0.0
    assert study.best_trial.number == 2


def test_optimize_warns_when_every_trial_failed() -> None:
    study = Study(space={"x": Float(0.0, 1.0)}, seed=0)
    with pytest.warns(RuntimeWarning, match="every one of the 3 trials.*ZeroDivisionError"):
        study.optimize(lambda t: 1 / 0, n_trials=3)


def test_api_misuse_in_an_objective_raises_instead_of_failing_quietly() -> None:
    study = Study(seed=0)
    with pytest.raises(tunesmith.InvalidSpaceError, match="x"):
        study.optimize(lambda t: t.float("x", 5.0, 1.0), n_trials=3)
    (trial,) = study.trials  # recorded as failed, then raised: nothing left running
    assert trial.state is TrialState.FAILED


def test_system_exit_in_an_objective_leaves_no_trial_running() -> None:
    study = Study(space={"x": Float(0.0, 1.0)}, seed=0)
    with pytest.raises(SystemExit):
        study.optimize(lambda t: sys.exit(3), n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAILED]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"seed": "abc"}, "seed must be an integer"),
    ({"seed": -5}, "seed must be an integer"),
    ({"seed": 2**32}, "seed must be an integer"),
    ({"heartbeat_interval": 0}, "heartbeat_interval must be a positive"),
    ({"stale_after": 5.0, "heartbeat_interval": 10.0}, "must be below stale_after"),
])
def test_bad_study_settings_raise_at_once(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Study(**kwargs)


def test_a_non_callable_objective_is_refused() -> None:
    with pytest.raises(TypeError, match="objective must be a function"):
        Study(seed=0).optimize("objective", n_trials=1)  # type: ignore[arg-type]


def test_the_engine_cancels_queued_tasks_of_a_trial() -> None:
    study = Study(space={"x": [1, 2]}, sampler="grid")
    ran: list[tuple[int, int]] = []

    def task(x: int, k: int) -> int:
        ran.append((x, k))
        return x

    engine = Engine(study, SerialExecutor(capacity=8))

    def plan(trial: tunesmith.Trial) -> TrialWork:
        x = trial.params["x"]
        if x == 2:
            # Stop the other candidate's remaining tasks as soon as this one is planned.
            (other,) = [e.trial for e in engine._open.values()]
            engine.cancel(other)
        return TrialWork([(task, (x, k)) for k in range(3)],
                         lambda outcomes: Verdict(value=float(len(outcomes))))

    # Candidate 1's three tasks are queued; planning candidate 2 cancels them, so candidate
    # 1 never finishes and stays open: the engine reports one trial finished.
    assert engine.run(plan) == 1
    assert ran == [(2, 0), (2, 1), (2, 2)]


def test_ctrl_c_releases_the_running_trials_for_the_next_run() -> None:
    storage = MemoryStorage()
    study = Study(space={"x": Float(0.0, 1.0)}, storage=storage, name="c", seed=0)
    calls = []

    def objective(trial: tunesmith.Trial) -> float:
        calls.append(trial.number)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return trial.params["x"]

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5)
    again = Study(space={"x": Float(0.0, 1.0)}, storage=storage, name="c", seed=0,
                  load_if_exists=True)
    again.optimize(lambda t: t.params["x"], n_trials=5)
    assert [t.state for t in again.trials] == [TrialState.COMPLETE] * 5


def test_a_non_json_attribute_fails_its_trial_instead_of_leaving_it_running() -> None:
    study = Study(space={"x": Float(0.0, 1.0)}, seed=0)

    def objective(trial: tunesmith.Trial) -> float:
        trial.set_attr("model", object())
        return 1.0

    with pytest.warns(RuntimeWarning, match="every one of the 2 trials"):
        study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 2
    assert "JSON-like" in (study.trials[0].message or "")


def test_integer_ranges_are_checked_where_samplers_can_draw_them() -> None:
    with pytest.raises(tunesmith.InvalidSpaceError, match=r"2\*\*53.*use a Float"):
        Int(0, 2**63)
    for sampler in ("random", "tpe", "sobol"):
        study = Study(space={"n": Int(0, 2**53 - 1)}, sampler=sampler, seed=0)
        study.optimize(lambda t: t.params["n"] / 2**53, n_trials=12)
        assert all(0 <= t.params["n"] < 2**53 for t in study.trials)


def test_a_resumed_studys_progress_starts_from_the_studys_best() -> None:
    from tunesmith._progress import Progress

    storage = MemoryStorage()
    study = Study(space={"x": Float(0.0, 1.0)}, storage=storage, name="p", seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=10)
    shown: list[float | None] = []

    class Recorder(Progress):
        def advance(self, n: int = 1, *, best: float | None = None) -> None:
            shown.append(best)

    def plan(trial: tunesmith.Trial) -> TrialWork:
        return TrialWork([(float, (0.99,))], lambda out: Verdict(value=out[0].value))

    Engine(study, SerialExecutor(), progress=Recorder(None, enabled=False)).run(
        plan, max_trials=12)
    # Two new trials worse than the best so far: the bar keeps showing the study's best.
    assert shown == [study.best_value] * 2 and study.best_value < 0.99
