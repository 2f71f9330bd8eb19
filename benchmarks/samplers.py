"""Samplers side by side: tunesmith random, Sobol and TPE against Optuna's random and TPE.

Same tasks, seeds and budgets for every sampler (30 seeds for the test functions,
``--seeds``; 5 for the tuning tasks). Prints three tables and the issue's criteria:

1. quality: median [interquartile range] of the best value after 20, 50 and 100 trials,
   and per (task, budget) how tunesmith TPE's median compares with Optuna TPE's
   (W / T / L) and with tunesmith random;
2. cost: milliseconds per suggestion with 100, 1,000 and 3,000 finished trials;
3. the lesson's space (LogisticRegression on Titanic, invalid penalty / solver pairs):
   trials spent on invalid combinations, and the best CV accuracy, for a plain study
   and for ``TPESearchCV`` (whose discovery forbids invalid pairs up front).

Run ``python benchmarks/samplers.py`` (about half an hour on one core),
``--quick`` while developing, ``--tasks branin,mixed`` for a subset, ``--out FILE`` to
save the report. Needs ``pip install -e '.[bench]'`` (Optuna).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# Fits inside the objectives use one thread: the comparison is between samplers, and
# other processes share the machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tasks import (
    LESSON_GRID_BEST,
    TASKS,
    Direction,
    Task,
    lesson_objective,
    lesson_space,
    optuna_params,
    titanic_data,
)

import tunesmith
from tunesmith.samplers import ListSampler
from tunesmith.storage import MemoryStorage

BUDGETS = (20, 50, 100)
SAMPLERS = ("ts-random", "ts-sobol", "ts-tpe", "optuna-random", "optuna-tpe")
TIMING_SIZES = (100, 1000, 3000)


# -- one run -----------------------------------------------------------------------------


def run(sampler: str, objective: Callable[[dict], float], space: Any, direction: Direction,
        seed: int, n_trials: int) -> list[float | None]:
    """The values of ``n_trials`` trials in order (None for a failed trial)."""
    if sampler.startswith("ts-"):
        study = tunesmith.Study(space=space, direction=direction, sampler=sampler[3:], seed=seed)
        study.optimize(lambda t: objective(t.params), n_trials=n_trials, show_progress=False)
        return [t.value if t.is_complete else None for t in study.trials]
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    make = {"optuna-random": optuna.samplers.RandomSampler,
            "optuna-tpe": optuna.samplers.TPESampler}[sampler]
    ostudy = optuna.create_study(direction=direction, sampler=make(seed=seed))
    ostudy.optimize(lambda t: objective(optuna_params(t, space)), n_trials=n_trials,
                    catch=(Exception,))
    return [t.value if t.state == optuna.trial.TrialState.COMPLETE else None
            for t in ostudy.trials]


def best_after(values: Sequence[float | None], n: int, direction: str) -> float:
    done = [v for v in values[:n] if v is not None]
    if not done:
        return math.nan
    return min(done) if direction == "minimize" else max(done)


def _run_task(args: tuple[str, str, int, int]) -> tuple[str, str, int, list[float | None]]:
    name, sampler, seed, n_trials = args
    _quiet()
    task = TASKS[name]
    return name, sampler, seed, run(sampler, task.objective, task.space(), task.direction,
                                    seed, n_trials)


def _quiet() -> None:
    logging.getLogger("tunesmith").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


# -- the quality table ---------------------------------------------------------------------


def quality(tasks: list[Task], seeds: dict[str, int], jobs: int, out: Callable[[str], None]
            ) -> dict[tuple[str, int], dict[str, float]]:
    """Run every (task, sampler, seed) and print the table; return the medians."""
    work = [(t.name, s, seed, max(BUDGETS)) for t in tasks for s in SAMPLERS
            for seed in range(seeds[t.kind])]
    results: dict[tuple[str, str], dict[int, list]] = {}
    start = time.perf_counter()
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_run_task, work))
    else:
        done = [_run_task(w) for w in work]
    for name, sampler, seed, values in done:
        results.setdefault((name, sampler), {})[seed] = values

    medians: dict[tuple[str, int], dict[str, float]] = {}
    wide = 21
    out(f"Best value found: median [q1, q3] over seeds ({time.perf_counter() - start:.0f} s)")
    out("W/T/L: tunesmith TPE's median against Optuna TPE's (better / equal / worse); "
        "'>rnd': better than tunesmith random")
    header = f"{'task':<12} {'n':>4} " + " ".join(f"{s:>{wide}}" for s in SAMPLERS)
    out(header + "  vs-optuna  >rnd  seeds")
    out("-" * len(header) + "-" * 24)
    for task in tasks:
        for n in BUDGETS:
            cells, row = [], {}
            for sampler in SAMPLERS:
                bests = [best_after(v, n, task.direction)
                         for v in results[(task.name, sampler)].values()]
                q1, med, q3 = np.nanpercentile(bests, [25, 50, 75])
                row[sampler] = float(med)
                cells.append(f"{_fmt(med)} [{_fmt(q1)},{_fmt(q3)}]".rjust(wide))
            medians[(task.name, n)] = row
            sign = 1.0 if task.direction == "minimize" else -1.0
            verdict = _compare(sign * row["ts-tpe"], sign * row["optuna-tpe"])
            beats_random = "yes" if sign * row["ts-tpe"] < sign * row["ts-random"] else "no"
            out(f"{task.name:<12} {n:>4} " + " ".join(cells)
                + f"  {verdict:^9}  {beats_random:>4}  {seeds[task.kind]:>5}")
    cell_medians = list(medians.items())
    wins = sum(_compare(_signed(k, r, "ts-tpe"), _signed(k, r, "optuna-tpe")) == "W"
               for k, r in cell_medians)
    ties = sum(_compare(_signed(k, r, "ts-tpe"), _signed(k, r, "optuna-tpe")) == "T"
               for k, r in cell_medians)
    late = [(k, r) for k, r in cell_medians if k[1] >= 50]
    over_random = sum(_signed(k, r, "ts-tpe") < _signed(k, r, "ts-random") for k, r in late)
    out("")
    total = len(cell_medians)
    out(f"TPE vs Optuna TPE over {total} (task, budget) cells: {wins} W / {ties} T / "
        f"{total - wins - ties} L; better or equal on {wins + ties}/{total} "
        f"({100 * (wins + ties) / total:.0f}%)")
    out(f"TPE better than tunesmith random at 50 and 100 trials: {over_random}/{len(late)} cells")
    return medians


def _signed(key: tuple[str, int], row: dict[str, float], sampler: str) -> float:
    return (1.0 if TASKS[key[0]].direction == "minimize" else -1.0) * row[sampler]


def _compare(ours: float, theirs: float) -> str:
    """W / T / L for losses (smaller is better); equal within float noise is a tie."""
    if abs(ours - theirs) <= 1e-9 * max(1.0, abs(ours), abs(theirs)):
        return "T"
    return "W" if ours < theirs else "L"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.4g}"


# -- the cost table ------------------------------------------------------------------------


def timing(sizes: Sequence[int], repeats: int, out: Callable[[str], None]) -> dict:
    """Milliseconds per suggestion with ``size`` finished trials, on two spaces.

    Every sampler gets the same recorded history; then the samplers take turns, one
    ask (and tell) each per round, so a machine that gets busier or quieter during
    the run slows them all alike and the ratio stays fair.
    """
    out(f"Milliseconds per suggestion (median of {repeats} asks) with N finished trials")
    header = f"{'space':<10} {'N':>5} " + " ".join(f"{s:>14}" for s in SAMPLERS)
    out(header + "  tpe/optuna")
    out("-" * len(header) + "-" * 12)
    ratios = {}
    for name in ("ackley10", "mixed"):
        task = TASKS[name]
        for size in sizes:
            points = _history(task, size)
            askers = {s: _asker(s, task, points) for s in SAMPLERS}
            times: dict[str, list[float]] = {s: [] for s in SAMPLERS}
            for _ in range(repeats):
                for sampler, ask in askers.items():
                    times[sampler].append(ask())
            ms = {s: 1000 * statistics.median(t) for s, t in times.items()}
            ratios[(name, size)] = ratio = ms["ts-tpe"] / ms["optuna-tpe"]
            out(f"{name:<10} {size:>5} " + " ".join(f"{ms[s]:>14.2f}" for s in SAMPLERS)
                + f"  {ratio:>10.3f}")
    return ratios


def _history(task: Task, size: int) -> list[tuple[dict, float | None]]:
    """``size`` random points of the task with their values (None where they fail)."""
    space = task.space()
    rng = np.random.default_rng(12345)
    points = []
    for _ in range(size):
        params = space.sample(rng)
        try:
            value: float | None = task.objective(params)
        except Exception:
            value = None
        points.append((params, value))
    return points


def _asker(sampler: str, task: Task, points: list[tuple[dict, float | None]]
           ) -> Callable[[], float]:
    """A study of ``sampler`` holding ``points``, and a function that times one ask
    (and tells its value, untimed) each call."""
    space = task.space()
    if sampler.startswith("ts-"):
        storage = MemoryStorage()
        # The recorded history: exactly these points, walked in order by a list sampler.
        filler = tunesmith.Study(space=space, direction=task.direction,
                                 sampler=ListSampler([p for p, _ in points]),
                                 storage=storage, name="timing")
        for _, value in points:
            filler.tell(filler.ask(), value)  # None records a failed trial
        study = tunesmith.Study(space=space, direction=task.direction, sampler=sampler[3:],
                                storage=storage, name="timing", load_if_exists=True, seed=1)

        def ask_tunesmith() -> float:
            start = time.perf_counter()
            trial = study.ask()
            elapsed = time.perf_counter() - start
            study.tell(trial, _value_or_fail(task, trial.params))
            return elapsed

        return ask_tunesmith
    import optuna
    from optuna.trial import TrialState as OptunaState

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    make = {"optuna-random": optuna.samplers.RandomSampler,
            "optuna-tpe": optuna.samplers.TPESampler,
            "optuna-gp": optuna.samplers.GPSampler}[sampler]
    ostudy = optuna.create_study(direction=task.direction, sampler=make(seed=1))
    ostudy.add_trials([
        optuna.trial.create_trial(
            params=params, distributions=_optuna_distributions(space, params), value=value,
            state=OptunaState.COMPLETE if value is not None else OptunaState.FAIL)
        for params, value in points
    ])

    def ask_optuna() -> float:
        start = time.perf_counter()
        trial = ostudy.ask()
        params = optuna_params(trial, space)
        elapsed = time.perf_counter() - start
        value = _value_or_fail(task, params)
        ostudy.tell(trial, value, state=None if value is not None else OptunaState.FAIL)
        return elapsed

    return ask_optuna


def _value_or_fail(task: Task, params: dict) -> float | None:
    try:
        return task.objective(params)
    except Exception:
        return None


def _optuna_distributions(space: Any, params: dict) -> dict:
    import optuna.distributions as od

    from tunesmith.space import Categorical, Int

    dists: dict[str, od.BaseDistribution] = {}
    for name in params:
        dim = space[name]
        if isinstance(dim, Categorical):
            dists[name] = od.CategoricalDistribution(list(dim.choices))
        elif isinstance(dim, Int):
            dists[name] = od.IntDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
        else:
            dists[name] = od.FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    return dists


# -- the lesson ----------------------------------------------------------------------------


LESSON_ROUTES = ("ts-tpe", "ts-tpe-dbr", "optuna-tpe", "ts-random", "ts-tpe-searchcv")


def lesson(seeds: int, out: Callable[[str], None], routes: Sequence[str] = LESSON_ROUTES
           ) -> dict[str, tuple[list, list]]:
    """Trials on invalid penalty / solver pairs, and the best CV accuracy, in 100 trials.

    Two routes. A plain study with an objective that raises on invalid pairs (the
    sampler has to learn them from the failures), for tunesmith TPE, Optuna TPE and
    tunesmith random. And ``tunesmith.sklearn.TPESearchCV``, where discovery makes the
    invalid pairs forbidden before the first trial.
    """
    out(f"The lesson's space: LogisticRegression on Titanic, C log 1e-4..1e4 x penalty x "
        f"solver, 100 trials, 5-fold CV accuracy, {seeds} seeds (grid best {LESSON_GRID_BEST})")
    out(f"{'sampler':<22} {'invalid trials (per seed)':<28} {'best accuracy (per seed)'}")
    summary = {}
    for sampler in routes:
        invalid, best = [], []
        for seed in range(seeds):
            if sampler == "ts-tpe-searchcv":
                values = _lesson_search_cv(seed)
            elif sampler.endswith("-dbr"):
                values = _lesson_define_by_run(sampler[3:-4], seed)
            else:
                values = run(sampler, lesson_objective, lesson_space(), "maximize", seed, 100)
            invalid.append(sum(v is None for v in values))
            best.append(best_after(values, 100, "maximize"))
        summary[sampler] = (invalid, best)
        reached = sum(b >= LESSON_GRID_BEST - 5e-6 for b in best)
        out(f"{sampler:<22} {invalid!s:<28} {[round(b, 5) for b in best]}  "
            f"median invalid {statistics.median(invalid):g}, max {max(invalid)}, "
            f"median best {statistics.median(best):.5f}, reached grid best {reached}/{seeds}")
    return summary


def _lesson_define_by_run(sampler: str, seed: int) -> list[float | None]:
    """The lesson asked inside the objective (C, penalty, solver), as users write it."""
    study = tunesmith.Study(direction="maximize", sampler=sampler, seed=seed)
    space = lesson_space()

    def objective(trial: Any) -> float:
        return lesson_objective({name: trial.suggest(name, space[name]) for name in space.names})

    study.optimize(objective, n_trials=100, show_progress=False)
    return [t.value if t.is_complete else None for t in study.trials]


def _lesson_search_cv(seed: int) -> list[float | None]:
    """Mean CV accuracy of each of TPESearchCV's 100 candidates (None: a failed fit)."""
    from sklearn.linear_model import LogisticRegression

    from tunesmith.sklearn import TPESearchCV

    X, y = titanic_data()
    search = TPESearchCV(LogisticRegression(), lesson_space(), n_iter=100, cv=5,
                         random_state=seed, refit=False, show_progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    return [None if math.isnan(v) else float(v) for v in search.cv_results_["mean_test_score"]]


# -- the acceptance criteria, from the tables above -------------------------------


def acceptance(medians: dict, ratios: dict, lessons: dict, out: Callable[[str], None]) -> None:
    """One line per criterion: the figure and whether it is met."""
    out("Acceptance")
    if medians:
        cells = list(medians.items())
        at_least = sum(_compare(_signed(k, r, "ts-tpe"), _signed(k, r, "optuna-tpe")) != "L"
                       for k, r in cells)
        late = [(k, r) for k, r in cells if k[1] >= 50]
        over = sum(_signed(k, r, "ts-tpe") < _signed(k, r, "ts-random") for k, r in late)
        share = at_least / len(cells)
        out(f"  TPE median >= Optuna TPE's on {at_least}/{len(cells)} cells ({share:.0%}; "
            f"need 80%): {'met' if share >= 0.8 else 'NOT met'}")
        out(f"  TPE better than tunesmith random at 50 and 100 trials on {over}/{len(late)} "
            f"cells: {'met' if over == len(late) else 'NOT met'}")
    thousand = {k: v for k, v in ratios.items() if k[1] == 1000}
    if thousand:
        worst = max(thousand.values())
        shown = ", ".join(f"{k[0]} {v:.3f}" for k, v in thousand.items())
        out(f"  ms per suggestion at 1,000 trials, TPE / Optuna TPE: {shown} (need <= 0.333): "
            f"{'met' if worst <= 1 / 3 else 'NOT met'}")
    for route, (invalid, best) in lessons.items():
        if route not in ("ts-tpe", "ts-tpe-dbr", "ts-tpe-searchcv"):
            continue
        reached = sum(b >= LESSON_GRID_BEST - 5e-6 for b in best)
        out(f"  lesson, {route}: at most {max(invalid)} invalid trials of 100 (need <= 10): "
            f"{'met' if max(invalid) <= 10 else 'NOT met'}; grid best reached in "
            f"{reached}/{len(best)} seeds, median best {statistics.median(best):.5f}")


# -- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 seeds for functions, 1 for ML tasks; short timing and lesson")
    parser.add_argument("--tasks", help=f"comma-separated subset of {', '.join(TASKS)}")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the quality runs")
    parser.add_argument("--seeds", type=int, default=30,
                        help="seeds per test function (at least 10; ML tasks use 5)")
    parser.add_argument("--lesson-seeds", type=int, default=10,
                        help="seeds per route on the lesson's space (reaching the grid's "
                             "best is a rare event: a few seeds say little)")
    parser.add_argument("--lesson-routes", default=",".join(LESSON_ROUTES),
                        help="comma-separated routes of the lesson section: "
                             + ", ".join(LESSON_ROUTES) + " ('-dbr': define-by-run)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--skip", default="",
                        help="comma-separated sections to skip: quality, timing, lesson")
    args = parser.parse_args(argv)
    if args.seeds < 10:
        parser.error(f"--seeds must be at least 10, got {args.seeds}")
    if args.lesson_seeds < 1:
        parser.error(f"--lesson-seeds must be at least 1, got {args.lesson_seeds}")
    _quiet()

    names = args.tasks.split(",") if args.tasks else list(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {', '.join(TASKS)}")
    skip = {s for s in args.skip.split(",") if s}
    lines: list[str] = []

    def out(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    # Medians of 10 seeds move a lot at 20 trials (half the trials are the start-up
    # design); 30 seeds for the cheap functions make the comparison steadier.
    seeds = {"function": 3, "ml": 1} if args.quick else {"function": args.seeds, "ml": 5}
    import platform

    import optuna

    out(f"tunesmith {tunesmith.__version__}, optuna {optuna.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    out("")
    medians, ratios, lessons = {}, {}, {}
    if "quality" not in skip:
        medians = quality([TASKS[n] for n in names], seeds, args.jobs, out)
        out("")
    if "timing" not in skip:
        ratios = timing(TIMING_SIZES[:2] if args.quick else TIMING_SIZES,
                        5 if args.quick else 15, out)
        out("")
    if "lesson" not in skip:
        lessons = lesson(1 if args.quick else args.lesson_seeds, out,
                         args.lesson_routes.split(","))
        out("")
    acceptance(medians, ratios, lessons, out)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
