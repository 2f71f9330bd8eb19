"""Cost per trial of a define-by-run TPE study on a database: tunesmith vs Optuna.

The objective asks six parameters inside itself (``trial.float`` / ``int`` /
``categorical``, as users of either library write it) and is trivial, so what is
measured is the library: the ask, the sampler, the storage reads and writes. Both run
in this process, one after the other, on SQLite (and PostgreSQL when a server answers).

Prints the mean milliseconds per trial over trials 900-1000 for both and their ratio
(goal: tunesmith at most 1/3 of Optuna), and tunesmith's mean over trials 4900-5000
against its own at 900-1000 (goal: at most 1.5x: the cost stays flat as a study grows).

    nice -n 10 python benchmarks/define_by_run.py [--trials 1000] [--long 5000]
        [--postgres URL | --no-postgres] [--no-sqlite]

Needs ``pip install -e ".[bench,postgres]"``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import tunesmith

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def objective_tunesmith(trial: tunesmith.Trial) -> float:
    x = trial.float("x", -5.0, 5.0)
    y = trial.float("y", 1e-3, 1e3, log=True)
    z = trial.float("z", 0.0, 1.0)
    n = trial.int("n", 1, 64)
    m = trial.int("m", 1, 1024, log=True)
    kind = trial.categorical("kind", ["a", "b", "c", "d"])
    return x**2 + abs(y - 1) + z + n / 64 + m / 1024 + ("abcd".index(kind)) / 4


def objective_optuna(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", 1e-3, 1e3, log=True)
    z = trial.suggest_float("z", 0.0, 1.0)
    n = trial.suggest_int("n", 1, 64)
    m = trial.suggest_int("m", 1, 1024, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c", "d"])
    return x**2 + abs(y - 1) + z + n / 64 + m / 1024 + ("abcd".index(kind)) / 4


class Clock:
    """Wall time at the end of each trial, to average any window of trials."""

    def __init__(self) -> None:
        self.stamps: list[float] = [time.perf_counter()]

    def tick(self, *_: Any) -> None:
        self.stamps.append(time.perf_counter())

    def ms_per_trial(self, first: int, last: int) -> float:
        last = min(last, len(self.stamps) - 1)
        return 1000 * (self.stamps[last] - self.stamps[first]) / (last - first)


def run_tunesmith(url: str, n_trials: int) -> Clock:
    study = tunesmith.Study(sampler="tpe", seed=0, storage=url,
                            name=f"dbr-{time.time_ns()}")
    clock = Clock()
    try:
        study.optimize(objective_tunesmith, n_trials=n_trials, show_progress=False,
                       callbacks=[clock.tick])
        assert len(study.trials) == n_trials
    finally:
        study.storage.delete_study(study.study_id)
        study.close()
    return clock


def run_optuna(url: str, n_trials: int) -> Clock:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = f"dbr-{time.time_ns()}"
    study = optuna.create_study(study_name=name, storage=url,
                                sampler=optuna.samplers.TPESampler(seed=0))
    clock = Clock()
    study.optimize(objective_optuna, n_trials=n_trials, callbacks=[clock.tick])
    optuna.delete_study(study_name=name, storage=url)
    return clock


def postgres_url(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # no server here: the row is left out, saying why
        print(f"(PostgreSQL rows left out: {type(exc).__name__} at {url})")
        return None
    return url


def report(label: str, ours: Clock, theirs: Clock | None, n_trials: int) -> None:
    window = (max(n_trials - 100, 0), n_trials)
    mine = ours.ms_per_trial(*window)
    line = f"{label:<10} tunesmith {mine:7.2f} ms/trial (trials {window[0]}-{window[1]})"
    if theirs is not None:
        other = theirs.ms_per_trial(*window)
        line += f"   optuna {other:7.2f}   ratio {mine / other:5.3f} (goal <= 0.333)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--long", type=int, default=5000,
                        help="tunesmith alone to this many trials (0: skip)")
    parser.add_argument("--postgres", default=POSTGRES_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backends: list[tuple[str, Callable[[str], str]]] = [] if args.no_sqlite else [
            ("sqlite", lambda lib: f"sqlite:///{os.path.join(tmp, lib + '.db')}"),
        ]
        pg = None if args.no_postgres else postgres_url(args.postgres)
        if pg is not None:
            backends.append(("postgresql", lambda lib: pg))
        for label, url_for in backends:
            theirs = run_optuna(url_for("optuna"), args.trials)
            ours = run_tunesmith(url_for("tunesmith"), args.trials)
            report(label, ours, theirs, args.trials)
            if args.long > args.trials:
                long = run_tunesmith(url_for("tunesmith-long"), args.long)
                base = long.ms_per_trial(args.trials - 100, args.trials)
                late = long.ms_per_trial(args.long - 100, args.long)
                print(f"{label:<10} tunesmith at {args.long}: {late:7.2f} ms/trial vs "
                      f"{base:7.2f} at {args.trials}: {late / base:4.2f}x (goal <= 1.5x)",
                      flush=True)


if __name__ == "__main__":
    main()
