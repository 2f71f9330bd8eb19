"""Throughput of the engine: workers of one study, in one process and across processes.

Two questions, each answered by runs side by side in this script:

1. ``Study.optimize(n_jobs=2)`` on an objective that burns about 0.2 s of CPU: trials
   per second against ``n_jobs=1`` (goal on a 2-core machine: at least 1.7x).
2. Several processes sharing one SQLite study, each running ``optimize`` with a trivial
   objective, random and TPE samplers: trials per second in total for 1, 2 and 4
   processes (goal: 4 processes not slower in total than 1).

    nice -n 10 python benchmarks/engine.py [--cpu-trials 20] [--shared-trials 400]

Figures depend on what else the machine runs: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import tunesmith
from tunesmith import Float


def burn(trial: tunesmith.Trial) -> float:
    """About 0.2 s of pure-Python CPU work (no sleeping: a sleep would scale for free)."""
    x = trial.float("x", 0.0, 1.0)
    deadline = time.process_time() + 0.2
    total = 0.0
    while time.process_time() < deadline:
        for k in range(1000):
            total += (x * k) % 7
    return total * 0.0 + x


def n_jobs_throughput(n_jobs: int, n_trials: int) -> float:
    study = tunesmith.Study(sampler="random", seed=0)
    # The first call starts the worker processes; time a second study on warm workers,
    # as a user's second search runs.
    study.optimize(burn, n_trials=n_jobs, n_jobs=n_jobs, show_progress=False)
    study = tunesmith.Study(sampler="random", seed=1)
    start = time.perf_counter()
    study.optimize(burn, n_trials=n_trials, n_jobs=n_jobs, show_progress=False)
    return n_trials / (time.perf_counter() - start)


_WORKER = textwrap.dedent("""
    import sys, tunesmith
    url, sampler, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    study = tunesmith.Study(space={"x": tunesmith.Float(0.0, 1.0),
                                   "y": tunesmith.Float(0.0, 1.0)},
                            sampler=sampler, seed=0, storage=url, name="shared",
                            load_if_exists=True)
    study.optimize(lambda t: (t.params["x"] - 0.3) ** 2 + t.params["y"], n_trials=n,
                   show_progress=False)
    study.close()
""")


def shared_throughput(n_processes: int, sampler: str, n_trials: int, folder: str) -> float:
    url = f"sqlite:///{os.path.join(folder, f'{sampler}-{n_processes}.db')}"
    tunesmith.Study(space={"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}, sampler=sampler,
                    seed=0, storage=url, name="shared").close()
    start = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, url, sampler, str(n_trials)])
               for _ in range(n_processes)]
    if any(w.wait() != 0 for w in workers):
        raise SystemExit("a worker failed")
    elapsed = time.perf_counter() - start
    study = tunesmith.load_study("shared", url)
    assert len(study.trials) == n_trials, len(study.trials)  # the budget, shared
    study.close()
    return n_trials / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-trials", type=int, default=20)
    parser.add_argument("--shared-trials", type=int, default=400)
    args = parser.parse_args()

    one = n_jobs_throughput(1, args.cpu_trials)
    two = n_jobs_throughput(2, args.cpu_trials)
    print(f"0.2 s objective, {args.cpu_trials} trials: n_jobs=1 {one:5.2f} trials/s, "
          f"n_jobs=2 {two:5.2f} trials/s: {two / one:4.2f}x (goal >= 1.7x)", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        for sampler in ("random", "tpe"):
            rates = {n: shared_throughput(n, sampler, args.shared_trials, folder)
                     for n in (1, 2, 4)}
            cells = ", ".join(f"{n} proc {rate:6.1f}/s" for n, rate in rates.items())
            print(f"SQLite, {sampler:<6} trivial objective, {args.shared_trials} trials: "
                  f"{cells}; 4 vs 1: {rates[4] / rates[1]:4.2f}x (goal >= 1.0)", flush=True)


if __name__ == "__main__":
    main()
