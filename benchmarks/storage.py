"""Per-trial storage cost: tunesmith vs Optuna, side by side in one process.

1,000 trials of a trivial objective with random sampling, in memory, in SQLite and in
PostgreSQL, against Optuna's in-memory, SQLite (RDB) and journal-file storages. Prints
ms per trial and the ratio tunesmith / Optuna for each pair.

    python benchmarks/storage.py [--trials 1000] [--postgres URL]

Needs ``pip install -e ".[bench,postgres]"``. PostgreSQL rows are left out (with a note)
when no server answers.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable

import tunesmith
from tunesmith import Float

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def objective_tunesmith(trial: tunesmith.Trial) -> float:
    return (trial.params["x"] - 0.3) ** 2 + trial.params["y"]


def run_tunesmith(storage: object, n_trials: int) -> float:
    study = tunesmith.Study(
        space={"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)},
        sampler="random",
        seed=0,
        storage=storage,  # type: ignore[arg-type]
        name=f"bench-{time.time_ns()}",
    )
    start = time.perf_counter()
    study.optimize(objective_tunesmith, n_trials=n_trials, show_progress=False)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n_trials
    study.close()
    return elapsed


def run_optuna(storage: object, n_trials: int) -> float:
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

        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _fresh_postgres_schema(url: str, schema: str) -> str:
    """A URL whose tables live in their own schema, so runs never collide."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("TUNESMITH_POSTGRES", POSTGRES_DEFAULT))
    args = parser.parse_args()
    n = args.trials

    import optuna

    tmp = tempfile.mkdtemp(prefix="tunesmith-bench-")
    rows: list[tuple[str, Callable[[], float], Callable[[], float]]] = [
        ("memory", lambda: run_tunesmith(None, n), lambda: run_optuna(None, n)),
        (
            "sqlite",
            lambda: run_tunesmith(f"sqlite:///{tmp}/ts.db", n),
            lambda: run_optuna(f"sqlite:///{tmp}/optuna.db", n),
        ),
        (
            "sqlite vs optuna journal",
            lambda: run_tunesmith(f"sqlite:///{tmp}/ts2.db", n),
            lambda: run_optuna(
                optuna.storages.JournalStorage(
                    optuna.storages.journal.JournalFileBackend(f"{tmp}/journal.log")
                ),
                n,
            ),
        ),
    ]
    if _postgres_ok(args.postgres):
        rows.append(
            (
                "postgresql",
                lambda: run_tunesmith(_fresh_postgres_schema(args.postgres, "bench_ts"), n),
                lambda: run_optuna(_fresh_postgres_schema(args.postgres, "bench_optuna"), n),
            )
        )
    else:
        print(f"(PostgreSQL at {args.postgres} does not answer: its row is left out)")

    print(f"{n} trials, random sampling, trivial objective; ms per trial")
    print(f"{'storage':<26}{'tunesmith':>11}{'optuna':>11}{'ratio':>9}")
    for label, ours, theirs in rows:
        t_ours = ours() * 1000 / n
        t_theirs = theirs() * 1000 / n
        print(f"{label:<26}{t_ours:>11.3f}{t_theirs:>11.3f}{t_ours / t_theirs:>9.3f}")


if __name__ == "__main__":
    main()
