"""Scale-out: throughput and coordination cost per trial, tunesmith against Optuna.

100 trials of an objective that burns about 0.2 s of CPU, random search over one float,
the study stored in PostgreSQL, run:

* tunesmith: 1 local worker (``n_jobs=1``), 2 local worker processes (``n_jobs=2``), a
  2-worker Dask ``LocalCluster`` (``executor=client``), and 2 separate processes each
  running ``tunesmith.run_worker`` on the shared study (what ``tunesmith worker`` runs);
* Optuna: 2 separate processes each running ``study.optimize`` on one ``RDBStorage``
  (PostgreSQL), stopping at 100 trials in all (``MaxTrialsCallback``).

Coordination cost per trial = (workers x wall time - time spent inside the objective)
/ trials: what the library adds to each trial (asking, storing, scheduling, waiting).
Process and cluster start-up are not counted: separate processes start together on a
signal once their imports are done. Everything runs in one invocation, on the same
machine, one configuration after the other.

    nice -n 10 python benchmarks/scaling.py [--trials 100] [--burn 0.2] [--postgres URL]

Needs ``pip install -e ".[bench,dask,postgres]"`` and a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def burn(seconds: float) -> float:
    """Spend ``seconds`` of this process's CPU time; return the wall time it took."""
    started, cpu = time.perf_counter(), time.process_time()
    while time.process_time() - cpu < seconds:
        pass
    return time.perf_counter() - started


class Objective:
    """The burning objective; remembers the wall time it spent (for in-process runs)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, trial: Any) -> float:
        x = trial.float("x", 0.0, 1.0) if hasattr(trial, "float") else trial.suggest_float(
            "x", 0.0, 1.0)
        took = burn(self.seconds)
        trial.set_attr("objective_s", took) if hasattr(trial, "set_attr") else (
            trial.set_user_attr("objective_s", took))
        return x


def _tunesmith_in_process(url: str, trials: int, burn_s: float, **optimize: Any
                          ) -> tuple[float, float]:
    import tunesmith

    study = tunesmith.Study(storage=url, name=f"scale-{uuid.uuid4().hex[:8]}", seed=0,
                            sampler="random")
    started = time.perf_counter()
    study.optimize(Objective(burn_s), n_trials=trials, show_progress=False, **optimize)
    wall = time.perf_counter() - started
    inside = sum(t.attrs["objective_s"] for t in study.trials)
    assert len(study.trials) == trials and all(t.is_complete for t in study.trials)
    study.close()
    return wall, inside


# A separate worker process: open the study, wait for the signal, work, report.
WORKER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
from scaling import Objective
lib, url, name, trials, burn_s, go = sys.argv[1:7]
trials, burn_s = int(trials), float(burn_s)
if lib == "tunesmith":
    import tunesmith
    study = tunesmith.Study(storage=url, name=name, load_if_exists=True, sampler="random",
                            seed=0)
    run = lambda: tunesmith.run_worker(study, Objective(burn_s), n_trials=trials, poll=0.05)
else:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=url, study_name=name, load_if_exists=True,
                                sampler=optuna.samplers.RandomSampler(seed=None))
    stop = optuna.study.MaxTrialsCallback(trials, states=None)
    run = lambda: study.optimize(Objective(burn_s), callbacks=[stop])
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
started = time.time()
run()
print(json.dumps({{"start": started, "end": time.time()}}), flush=True)
"""


def _separate(lib: str, url: str, trials: int, burn_s: float, workers: int
              ) -> tuple[float, float, int]:
    name = f"scale-{uuid.uuid4().hex[:8]}"
    go = Path(tempfile.mkdtemp()) / "go"
    if lib == "tunesmith":  # created once, so the workers only load it
        import tunesmith

        tunesmith.Study(storage=url, name=name, sampler="random", seed=0).close()
    else:
        import optuna

        optuna.create_study(storage=url, study_name=name)
    code = WORKER.format(here=str(Path(__file__).parent))
    procs = [subprocess.Popen([sys.executable, "-c", code, lib, url, name, str(trials),
                               str(burn_s), str(go)], stdout=subprocess.PIPE, text=True)
             for _ in range(workers)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    spans = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0
        spans.append(json.loads(out.strip().splitlines()[-1]))
    wall = max(s["end"] for s in spans) - min(s["start"] for s in spans)
    inside, count = _stored_objective_time(lib, url, name)
    return wall, inside, count


def _stored_objective_time(lib: str, url: str, name: str) -> tuple[float, int]:
    if lib == "tunesmith":
        from tunesmith.storage import open_storage

        with open_storage(url) as storage:
            done = [t for t in storage.trials(storage.study_id(name)) if t.is_complete]
            return sum(t.attrs["objective_s"] for t in done), len(done)
    import optuna

    study = optuna.load_study(storage=url, study_name=name)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return sum(t.user_attrs["objective_s"] for t in complete), len(complete)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--burn", type=float, default=0.2)
    parser.add_argument("--postgres", default=POSTGRES_DEFAULT)
    args = parser.parse_args()
    url, n, b = args.postgres, args.trials, args.burn
    load = os.getloadavg()[0]

    rows: list[tuple[str, int, float, float, int]] = []

    def add(label: str, workers: int, wall: float, inside: float, count: int) -> None:
        rows.append((label, workers, wall, inside, count))
        print(f"  {label}: {wall:.1f} s", file=sys.stderr, flush=True)

    add("tunesmith, 1 local worker", 1, *_tunesmith_in_process(url, n, b, n_jobs=1), n)
    _tunesmith_in_process(url, 4, 0.01, n_jobs=2)  # start the process pool first
    add("tunesmith, 2 local workers", 2, *_tunesmith_in_process(url, n, b, n_jobs=2), n)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        _tunesmith_in_process(url, 4, 0.01, executor=client)  # workers import first
        add("tunesmith, Dask LocalCluster (2 workers)", 2,
            *_tunesmith_in_process(url, n, b, executor=client), n)
    add("tunesmith, 2 worker processes (PostgreSQL)", 2, *_separate("tunesmith", url, n, b, 2))
    add("Optuna 5, 2 processes (RDBStorage, PostgreSQL)", 2, *_separate("optuna", url, n, b, 2))

    print(f"{n} trials of an objective burning {b} s CPU; PostgreSQL storage; "
          f"{os.cpu_count()} CPUs; load average at the start: {load:.1f}\n")
    print("| configuration | workers | trials | wall s | trials/s | objective s/trial "
          "| coordination ms/trial |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, workers, wall, inside, count in rows:
        cost = (workers * wall - inside) / count * 1000
        print(f"| {label} | {workers} | {count} | {wall:.1f} | {count / wall:.2f} "
              f"| {inside / count:.3f} | {cost:.0f} |")


if __name__ == "__main__":
    main()
