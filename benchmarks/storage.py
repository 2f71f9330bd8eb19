"""Per-trial storage cost: tunesmith vs Optuna, side by side in one process.

1,000 trials of a trivial objective with random sampling, in memory, in SQLite and in
PostgreSQL, against Optuna's in-memory, SQLite (RDB) and journal-file storages. Prints
ms per trial for each storage, and the ratio tunesmith / Optuna for each pair (below 1:
tunesmith is cheaper). The goal is a ratio of at most 0.2 on SQLite.

    nice -n 10 python benchmarks/storage.py [--trials 1000] [--repeat 1] [--postgres URL]

With ``--repeat N`` each storage runs N times, interleaved, and the fastest run counts
(the least disturbed by other processes on a shared machine).

Needs ``pip install -e ".[bench,postgres]"``. PostgreSQL rows are left out (with a note)
when no server answers; their schemas are dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import tunesmith
from tunesmith import Float

if TYPE_CHECKING:
    import optuna

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_PG_SCHEMAS = ("bench_tunesmith", "bench_optuna")


def objective_tunesmith(trial: tunesmith.Trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + trial.params["y"]


def run_tunesmith(storage: str | None, n_trials: int) -> float:
    """Seconds for ``n_trials`` trials of a random search in a new study."""
    study = tunesmith.Study(
        space={"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)},
        sampler="random",
        seed=0,
        storage=storage,
        name=f"bench-{time.time_ns()}",
    )
    try:
        start = time.perf_counter()
        study.optimize(objective_tunesmith, n_trials=n_trials, show_progress=False)
        elapsed = time.perf_counter() - start
        assert len(study.trials) == n_trials
    finally:
        study.close()
    return elapsed


def run_optuna(storage: str | optuna.storages.BaseStorage | None, n_trials: int) -> float:
    """The same search with Optuna: two floats suggested per trial, random sampler."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        return (x - 0.3) ** 2 + y

    study = optuna.create_study(
        storage=storage, sampler=optuna.samplers.RandomSampler(seed=0),
        study_name=f"bench-{time.time_ns()}",
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n_trials
    return elapsed


def _postgres_ok(url: str) -> bool:
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _postgres_schemas(url: str, *, create: bool) -> None:
    """Drop (and with ``create``, recreate empty) the benchmark's schemas."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        for schema in _PG_SCHEMAS:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if create:
                conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def _in_schema(url: str, schema: str) -> str:
    """A URL whose unqualified tables land in ``schema``."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per storage, interleaved; the fastest counts")
    parser.add_argument("--postgres",
                        default=os.environ.get("TUNESMITH_POSTGRES_URL", POSTGRES_DEFAULT))
    args = parser.parse_args()
    n = args.trials

    import optuna
    from optuna.storages.journal import JournalFileBackend

    with tempfile.TemporaryDirectory(prefix="tunesmith-bench-") as tmp:
        runs: dict[str, Callable[[int], float]] = {
            # Each run gets its own file: a study's cost must not include others' rows.
            "tunesmith memory": lambda i: run_tunesmith(None, n),
            "tunesmith sqlite": lambda i: run_tunesmith(f"sqlite:///{tmp}/ts{i}.db", n),
            "optuna memory": lambda i: run_optuna(None, n),
            "optuna sqlite (RDB)": lambda i: run_optuna(f"sqlite:///{tmp}/optuna{i}.db", n),
            "optuna journal file": lambda i: run_optuna(
                optuna.storages.JournalStorage(
                    JournalFileBackend(f"{tmp}/journal{i}.log")
                ),
                n,
            ),
        }
        postgres = _postgres_ok(args.postgres)
        if postgres:
            ts_pg, optuna_pg = (_in_schema(args.postgres, s) for s in _PG_SCHEMAS)
            runs["tunesmith postgresql"] = lambda i: run_tunesmith(ts_pg, n)
            runs["optuna postgresql (RDB)"] = lambda i: run_optuna(optuna_pg, n)
        else:
            print(f"(PostgreSQL at {args.postgres} does not answer: its rows are left out)")

        best: dict[str, float] = {}
        try:
            for i in range(args.repeat):
                if postgres:
                    _postgres_schemas(args.postgres, create=True)
                for label, run in runs.items():
                    ms = run(i) * 1000 / n
                    best[label] = min(ms, best.get(label, ms))
        finally:
            if postgres:
                _postgres_schemas(args.postgres, create=False)

    print(f"{n} trials, random sampling, trivial objective; ms per trial "
          f"(fastest of {args.repeat})")
    print(f"{'storage':<26}{'ms/trial':>10}")
    for label, ms in best.items():
        print(f"{label:<26}{ms:>10.3f}")
    print()
    print(f"{'tunesmith vs optuna':<48}{'ratio':>8}")
    pairs = [
        ("tunesmith memory", "optuna memory"),
        ("tunesmith sqlite", "optuna sqlite (RDB)"),
        ("tunesmith sqlite", "optuna journal file"),
        ("tunesmith postgresql", "optuna postgresql (RDB)"),
    ]
    for ours, theirs in pairs:
        if ours in best and theirs in best:
            print(f"{ours + ' / ' + theirs:<48}{best[ours] / best[theirs]:>8.3f}")


if __name__ == "__main__":
    main()
