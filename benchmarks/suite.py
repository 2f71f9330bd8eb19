"""The public sampler suite: tunesmith's samplers against Optuna's, with paired tests.

Tasks (``_suite_tasks``): Branin, Hartmann-3 and -6, Rosenbrock, Ackley, Levy,
Styblinski-Tang and Michalewicz in several dimensions; mixed (integer, categorical)
and conditional spaces; ML tasks on scikit-learn's datasets. Samplers, all in the
same invocation: tunesmith random, TPE, GP and auto, each run two ways -- ``D``, the
space declared up front (``Study(space=...)``), and ``R``, define-by-run (the
objective asks ``trial.suggest`` for each parameter, conditions in its own ``if``);
Optuna 5's random, TPE and ``GPSampler`` (define-by-run, as Optuna works).

Per (task, budget) cell: the median best value over the seeds, and for each
comparison a two-sided Wilcoxon signed-rank test over the seeds (paired by seed):
``W`` ours significantly better (p < 0.05), ``L`` significantly worse, ``T`` neither.
Comparisons: TPE against Optuna's TPE; GP against Optuna's GP (numeric spaces, up to
``--gp-budget``); auto against the better (by median) of tunesmith's TPE and GP, the
same way. The summary counts W / T / L per comparison, development and held-out tasks
apart.

Every finished run is appended to ``--raw`` (JSON lines) as it ends, so a long run can
be stopped and its table printed from what it has (``--table-only``).

Run ``python benchmarks/suite.py --seeds 30 --raw benchmarks/results/suite.jsonl
--out benchmarks/results/suite.md``; ``--tasks`` and ``--samplers`` for subsets.
Needs ``pip install -e '.[bench]'`` (Optuna, and PyTorch for Optuna's GP).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _suite_tasks import HELD_OUT, SUITE
from _tasks import Task, optuna_params

import tunesmith
from tunesmith.space import Space

BUDGETS = (20, 50, 100, 200)
#: tunesmith samplers run both ways (D: declared space, R: define-by-run).
OURS = ("ts-random", "ts-tpe", "ts-gp", "ts-auto")
PEERS = ("optuna-random", "optuna-tpe", "optuna-gp")
#: Samplers that model numeric spaces only: their cells appear for numeric tasks.
GP_LIKE = ("ts-gp", "optuna-gp")


def columns(samplers: Sequence[str]) -> list[str]:
    """Table columns: each of our samplers twice (D, R), each peer once."""
    out = []
    for s in samplers:
        out.extend([f"{s}:D", f"{s}:R"] if s in OURS else [s])
    return out


# -- one run -----------------------------------------------------------------------------


def ask_params(trial: Any, space: Space) -> dict[str, Any]:
    """Define-by-run: ask ``trial`` for each active parameter of ``space``, parents first."""
    params: dict[str, Any] = {}
    parent = {c.param: c for c in space.conditions}
    for name in _parents_first(space):
        cond = parent.get(name)
        if cond is not None and (cond.parent not in params
                                 or not cond.accepts(params[cond.parent])):
            continue
        params[name] = trial.suggest(name, space[name])
    return params


def _parents_first(space: Space) -> list[str]:
    parent = {c.param: c.parent for c in space.conditions}

    def depth(name: str) -> int:
        return 0 if name not in parent else 1 + depth(parent[name])

    return sorted(space.names, key=depth)


def run(column: str, task: Task, seed: int, n_trials: int) -> list[float | None]:
    """The values of ``n_trials`` trials in order (None for a failed trial)."""
    space = task.space()
    if column.startswith("ts-"):
        name, way = column[3:].split(":")
        if way == "D":
            study = tunesmith.Study(space=space, direction=task.direction, sampler=name,
                                    seed=seed)
            objective: Callable[[Any], float] = lambda t: task.objective(t.params)  # noqa: E731
        else:
            study = tunesmith.Study(direction=task.direction, sampler=name, seed=seed)
            objective = lambda t: task.objective(ask_params(t, space))  # noqa: E731
        study.optimize(objective, n_trials=n_trials, show_progress=False)
        return [t.value if t.is_complete else None for t in study.trials]
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    make = {"optuna-random": optuna.samplers.RandomSampler,
            "optuna-tpe": optuna.samplers.TPESampler,
            "optuna-gp": optuna.samplers.GPSampler}[column]
    ostudy = optuna.create_study(direction=task.direction, sampler=make(seed=seed))
    ostudy.optimize(lambda t: task.objective(optuna_params(t, space)), n_trials=n_trials,
                    catch=(Exception,))
    return [t.value if t.state == optuna.trial.TrialState.COMPLETE else None
            for t in ostudy.trials]


def best_after(values: Sequence[float | None], n: int, direction: str) -> float:
    """The best value of the first ``n`` trials; the worst possible when none finished."""
    done = [v for v in values[:n] if v is not None]
    if not done:
        return math.inf if direction == "minimize" else -math.inf
    return min(done) if direction == "minimize" else max(done)


def is_numeric(task: Task) -> bool:
    """A space a GP is meant for: one Space, no conditions."""
    return not task.space().conditions


#: Trials of the columns that are not GP-like (``--max-budget``).
MAX_BUDGET = [max(BUDGETS)]


#: Tasks Optuna's GP runs on (``--optuna-gp-tasks``; None: every numeric task).
OPTUNA_GP_TASKS: list[set[str] | None] = [None]


def budget_of(column: str, task: Task, gp_budget: int) -> int:
    """How many trials this column runs on this task (0: not at all)."""
    base = column.split(":")[0]
    if base == "optuna-gp" and OPTUNA_GP_TASKS[0] is not None \
            and task.name not in OPTUNA_GP_TASKS[0]:
        return 0
    if base == "optuna-gp" and OPTUNA_GP_BUDGET[0] is not None:
        gp_budget = min(gp_budget, OPTUNA_GP_BUDGET[0])
    if base in GP_LIKE:
        return gp_budget if is_numeric(task) else 0
    return MAX_BUDGET[0]


#: Trials of Optuna's GP when fewer than ``--gp-budget`` (``--optuna-gp-budget``).
OPTUNA_GP_BUDGET: list[int | None] = [None]


# -- the runs ------------------------------------------------------------------------------


def define_by_run_goes_one_by_one() -> bool:
    """Whether this engine asks define-by-run parameters one at a time (``propose_one``).

    Checked by running it: a GP and a TPE sampler with the same seed propose the same
    define-by-run trials exactly when every parameter goes through ``propose_one`` (which
    GP and auto hand to a TPE sampler of that seed); once the engine infers the space
    and calls ``propose``, they differ.
    """
    space = SUITE["branin"].space()
    runs = []
    for name in ("gp", "tpe", "auto"):
        study = tunesmith.Study(sampler=name, seed=0)
        study.optimize(lambda t: SUITE["branin"].objective(ask_params(t, space)), n_trials=14,
                       show_progress=False)
        runs.append([t.params for t in study.trials])
    return runs[0] == runs[1] == runs[2]


def alias_of(column: str, task: Task, one_by_one: bool, n_trials: int) -> str | None:
    """The column whose runs this one's equal by construction, or None (run it).

    ``ts-auto`` is its TPE or its GP, same seed: ``ts-auto:D`` on a space its rule gives
    to TPE is ``ts-tpe:D``; ``ts-auto`` on a space its rule gives to the GP for every one
    of the run's ``n_trials`` trials is ``ts-gp`` on that route (define-by-run, both hand
    the first trial, before the space is known, to a TPE of the seed). ``ts-gp:R`` and
    ``ts-auto:R`` are TPE's define-by-run while the engine asks each parameter on its
    own (:func:`define_by_run_goes_one_by_one`).
    """
    from tunesmith.samplers import AutoSampler, GPSampler, TPESampler

    way = column.split(":")[-1]
    if column in ("ts-gp:R", "ts-auto:R") and one_by_one:
        return "ts-tpe:R"
    if column.startswith("ts-auto:"):
        last = AutoSampler(0).choose(task.space(), max(n_trials - 1, 0))
        if isinstance(last, GPSampler):  # GP for the last trial: for every one before it
            return f"ts-gp:{way}"
    if column == "ts-auto:D" and isinstance(AutoSampler(0).choose(task.space(), 0), TPESampler):
        return "ts-tpe:D"
    return None


def run_all(tasks: list[Task], cols: list[str], seeds: int, gp_budget: int, raw: Path | None,
            done: dict[tuple[str, str, int], list], task_major: bool = False) -> None:
    """Run what ``done`` lacks, appending each result to ``raw``; cheap samplers first."""
    order = sorted(cols, key=lambda c: (c.split(":")[0] in ("ts-gp", "ts-auto", "optuna-gp"),
                                        c))
    work = [(seed, task, column) for seed in range(seeds) for task in tasks for column in order]
    if task_major:  # every seed of one task before the next: complete cells early
        work.sort(key=lambda w: (w[2] == "optuna-gp", tasks.index(w[1]), order.index(w[2]),
                                 w[0]))
    last_seed = -1
    one_by_one = define_by_run_goes_one_by_one()
    for seed, task, column in work:
        n = budget_of(column, task, gp_budget)
        if n == 0 or (task.name, column, seed) in done:
            continue
        alias = alias_of(column, task, one_by_one, n)
        if alias is not None:
            ALIASES[(task.name, column)] = alias
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = run(column, task, seed, n)
        elapsed = time.perf_counter() - start
        done[(task.name, column, seed)] = values
        if raw is not None:
            with raw.open("a") as f:
                f.write(json.dumps({"task": task.name, "column": column, "seed": seed,
                                    "seconds": round(elapsed, 3),
                                    "values": values}) + "\n")
        if seed != last_seed:
            print(f"{task.name} {column} seed {seed}", file=sys.stderr, flush=True)
            last_seed = seed


#: (task, column) -> the column whose runs it equals by construction (not run twice).
ALIASES: dict[tuple[str, str], str] = {}


def load_raw(raw: Path) -> dict[tuple[str, str, int], list]:
    """The runs a JSON-lines file holds (gzipped when its name ends in ``.gz``: the peers'
    runs kept in ``results/raw/``), keyed by task, column and seed."""
    done: dict[tuple[str, str, int], list] = {}
    if raw.exists():
        text = gzip.decompress(raw.read_bytes()).decode() if raw.suffix == ".gz" \
            else raw.read_text()
        for line in text.splitlines():
            if line.strip():
                row = json.loads(line)
                done[(row["task"], row["column"], row["seed"])] = row["values"]
    return done


# -- the table -----------------------------------------------------------------------------


def paired(ours: np.ndarray, theirs: np.ndarray) -> tuple[str, float]:
    """W / T / L and the two-sided Wilcoxon p-value for losses (smaller is better)."""
    from scipy.stats import wilcoxon

    diff = ours - theirs
    finite = np.isfinite(diff)
    both_inf = ~finite & (ours == theirs)
    diff = np.where(both_inf, 0.0, diff)
    # One side found nothing finite: a difference as large as any.
    big = np.nanmax(np.abs(diff[np.isfinite(diff)]), initial=1.0) * 10 + 1.0
    diff = np.where(np.isposinf(diff), big, np.where(np.isneginf(diff), -big, diff))
    if np.all(diff == 0):
        return "T", 1.0
    p = float(wilcoxon(diff, zero_method="zsplit").pvalue)
    if p < 0.05:
        return ("W" if np.median(diff) < 0 or (np.median(diff) == 0 and diff.mean() < 0)
                else "L"), p
    return "T", p


def table(tasks: list[Task], cols: list[str], seeds: int, gp_budget: int,
          done: dict[tuple[str, str, int], list], out: Callable[[str], None]) -> None:
    comparisons = [("ts-tpe:D", "optuna-tpe"), ("ts-tpe:R", "optuna-tpe"),
                   ("ts-gp:D", "optuna-gp"), ("ts-gp:R", "optuna-gp"),
                   ("ts-auto:D", "best-of:D"), ("ts-auto:R", "best-of:R")]
    comparisons = [(a, b) for a, b in comparisons
                   if a in cols and (b in cols or b.startswith("best-of"))]
    tally: dict[tuple[str, str, bool], list[str]] = {}
    p_values: dict[tuple[str, str], list[tuple[float, str, str]]] = {}
    at_least: dict[tuple[str, str, bool], list[bool]] = {}
    wide = 10
    out(f"Median best value over seeds; W/T/L: Wilcoxon signed-rank (paired by seed, "
        f"two-sided, p < 0.05); '-': not run (GP samplers: numeric spaces, at most "
        f"{gp_budget} trials). Held-out tasks are marked *.")
    out("")
    head = f"| {'task':<14} | {'n':>4} | " + " | ".join(f"{c:>{wide}}" for c in cols)
    head += " | " + " | ".join(f"{a} vs {b}" for a, b in comparisons) + " |"
    out(head)
    out("|" + "|".join("-" * (len(part)) for part in head.split("|")[1:-1]) + "|")
    for task in tasks:
        sign = 1.0 if task.direction == "minimize" else -1.0
        for n in BUDGETS:
            best: dict[str, np.ndarray] = {}
            for column in cols:
                if n > budget_of(column, task, gp_budget):
                    continue
                source = ALIASES.get((task.name, column), column)
                runs = [r for s in range(seeds)
                        if (r := done.get((task.name, source, s))) is not None]
                if len(runs) < seeds:
                    continue
                best[column] = sign * np.array([best_after(r, n, task.direction) for r in runs])
            if not best:
                continue
            cells = [_fmt(sign * float(np.median(best[c]))) if c in best else "-" for c in cols]
            verdicts = []
            for a, b in comparisons:
                ref = b
                if b.startswith("best-of"):
                    way = b.split(":")[1]
                    options = [c for c in (f"ts-tpe:{way}", f"ts-gp:{way}") if c in best]
                    ref = min(options, key=lambda c: float(np.median(best[c]))) if options \
                        else ""
                if a not in best or ref not in best:
                    verdicts.append("-")
                    continue
                verdict, p = paired(best[a], best[ref])
                key = (a, b, task.name in HELD_OUT)
                tally.setdefault(key, []).append(verdict)
                p_values.setdefault((a, b), []).append((p, verdict, f"{task.name}@{n}"))
                at_least.setdefault(key, []).append(
                    float(np.median(best[a])) <= float(np.median(best[ref])))
                short = ref.replace("ts-", "").replace(":", "") if b.startswith("best") else ""
                verdicts.append(f"{verdict} p={p:.2g}" + (f" ({short})" if short else ""))
            name = task.name + ("*" if task.name in HELD_OUT else "")
            out(f"| {name:<14} | {n:>4} | " + " | ".join(f"{c:>{wide}}" for c in cells)
                + " | " + " | ".join(verdicts) + " |")
    out("")
    out("Summary: cells won / tied / significantly lost; 'median >=': cells where ours' median "
        "is at least as good")
    out("")
    out("| comparison | tasks | W | T | L | not significantly worse | median >= |")
    out("|---|---|---|---|---|---|---|")
    for a, b in comparisons:
        for held in (False, True, None):
            keys = [k for k in tally if k[0] == a and k[1] == b and (held is None or k[2] == held)]
            verdicts = [v for k in keys for v in tally[k]]
            medians = [v for k in keys for v in at_least[k]]
            if not verdicts:
                continue
            w, t, lost = (verdicts.count(x) for x in "WTL")
            total = len(verdicts)
            label = {False: "development", True: "held out", None: "all"}[held]
            out(f"| {a} vs {b} | {label} | {w} | {t} | {lost} | {w + t}/{total} "
                f"({100 * (w + t) / total:.0f}%) | {sum(medians)}/{total} "
                f"({100 * sum(medians) / total:.0f}%) |")
    out("")
    out("Holm-corrected (secondary): each comparison's cells as one family, family-wise "
        "error 0.05; cells still significant after the correction")
    out("")
    out("| comparison | cells | W | L | still significant |")
    out("|---|---|---|---|---|")
    for (a, b), family in p_values.items():
        kept = holm(family)
        w = sum(v == "W" for _, v, _ in kept)
        lost = sum(v == "L" for _, v, _ in kept)
        names = ", ".join(f"{v} {c} (p={p:.2g})" for p, v, c in kept) or "none"
        out(f"| {a} vs {b} | {len(family)} | {w} | {lost} | {names} |")


def holm(cells: list[tuple[float, str, str]], alpha: float = 0.05
         ) -> list[tuple[float, str, str]]:
    """The cells Holm's step-down procedure keeps significant at family-wise ``alpha``.

    >>> holm([(0.001, "W", "a"), (0.03, "L", "b"), (0.5, "T", "c")])  # 0.03 > 0.05 / 2
    [(0.001, 'W', 'a')]
    """
    ranked = sorted(cells, key=lambda c: c[0])
    kept = []
    for i, cell in enumerate(ranked):
        if cell[0] > alpha / (len(ranked) - i):
            break
        kept.append(cell)
    return kept


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.4g}"


def seconds(done_raw: Path | None, out: Callable[[str], None]) -> None:
    """Mean seconds per run of each column (from the raw file), a rough cost picture."""
    if done_raw is None or not done_raw.exists():
        return
    per: dict[str, list[float]] = {}
    for line in done_raw.read_text().splitlines():
        row = json.loads(line)
        per.setdefault(row["column"], []).append(row["seconds"] / max(len(row["values"]), 1))
    out("Mean milliseconds per trial (whole run, objective included), by column: "
        + ", ".join(f"{c} {1000 * statistics.mean(v):.1f}" for c, v in sorted(per.items())))


# -- cost per suggestion ---------------------------------------------------------------------

#: (ours, peer, task, finished trials): the issue's two cost figures.
COSTS = (("ts-tpe", "optuna-tpe", "ackley10", 1000), ("ts-tpe", "optuna-tpe", "conditional", 1000),
         ("ts-gp", "optuna-gp", "hartmann6", 200))


def cost(repeats: int, out: Callable[[str], None]) -> None:
    """Milliseconds per suggestion with N finished trials, ours and the peer's taking turns
    (one ask each per round, so a machine getting busier slows both alike)."""
    import samplers as bench  # benchmarks/samplers.py: the recorded history and askers

    out(f"Milliseconds per suggestion (median of {repeats} asks, turns interleaved)")
    out("")
    out("| task | N | ours | ms | peer | ms | ours / peer |")
    out("|---|---|---|---|---|---|---|")
    for ours, peer, name, size in COSTS:
        task = SUITE[name]
        points = bench._history(task, size)
        askers = {s: bench._asker(s, task, points) for s in (ours, peer)}
        times: dict[str, list[float]] = {s: [] for s in askers}
        for _ in range(repeats):
            for s, ask in askers.items():
                times[s].append(ask())
        ms = {s: 1000 * statistics.median(t) for s, t in times.items()}
        out(f"| {name} | {size} | {ours} | {ms[ours]:.1f} | {peer} | {ms[peer]:.1f} | "
            f"{ms[ours] / ms[peer]:.3f} |")


# -- the plateau rule, on and off ----------------------------------------------------------


def plateau_ablation(tasks: list[Task], seeds: int, out: Callable[[str], None]) -> None:
    """tunesmith's TPE with its plateau rule (``samplers/_tpe/_plateau.py``) and without it,
    both routes, paired by seed: median best, Wilcoxon (off against on: ``W``, the rule
    helps, ``L`` it hurts), and how often the rule fired (asks per run that took it).

    Off: ``is_plateau`` answers False, so ties for the best are all "good" and the
    ordinary ratio decides, as below the plateau share.
    """
    from tunesmith.samplers import TPESampler
    from tunesmith.samplers._tpe import sampler as tpe_module

    fired = [0]
    original_point = TPESampler._plateau_point
    original_rule = tpe_module.is_plateau

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        fired[0] += 1
        return original_point(self, *args, **kwargs)

    budgets = [b for b in BUDGETS if b <= MAX_BUDGET[0]]
    out(f"Plateau rule on / off, tunesmith TPE, {seeds} seeds; 'fired': asks per run that "
        "took the plateau branch (mean over runs, rule on); verdict: rule on against off "
        "(W: on better)")
    out("")
    out("| task | route | fired | " + " | ".join(f"on {b} | off {b} | {b}" for b in budgets)
        + " |")
    out("|---|---|---|" + "---|---|---|" * len(budgets))
    TPESampler._plateau_point = counting  # type: ignore[method-assign]
    try:
        for task in tasks:
            sign = 1.0 if task.direction == "minimize" else -1.0
            for way in ("D", "R"):
                runs: dict[str, list[list]] = {"on": [], "off": []}
                fired[0] = 0
                for state in ("on", "off"):
                    tpe_module.is_plateau = original_rule if state == "on" else (  # type: ignore
                        lambda tied: False)
                    for seed in range(seeds):
                        runs[state].append(run(f"ts-tpe:{way}", task, seed, MAX_BUDGET[0]))
                    if state == "on":
                        n_fired = fired[0]
                cells = []
                for b in budgets:
                    on = sign * np.array([best_after(r, b, task.direction) for r in runs["on"]])
                    off = sign * np.array([best_after(r, b, task.direction) for r in runs["off"]])
                    verdict, p = paired(on, off)
                    cells.append(f"{_fmt(sign * float(np.median(on)))} | "
                                 f"{_fmt(sign * float(np.median(off)))} | {verdict} p={p:.2g}")
                out(f"| {task.name} | {way} | {n_fired / seeds:.1f} | " + " | ".join(cells)
                    + " |")
    finally:
        TPESampler._plateau_point = original_point  # type: ignore[method-assign]
        tpe_module.is_plateau = original_rule  # type: ignore[attr-defined]


# -- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help=f"comma-separated subset of {', '.join(SUITE)}; "
                                        "'dev' for the development tasks, 'held' for the rest")
    parser.add_argument("--samplers", default=",".join(OURS + PEERS),
                        help="comma-separated subset of " + ", ".join(OURS + PEERS))
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--gp-budget", type=int, default=50,
                        help="trials of the GP samplers (ts-gp, optuna-gp)")
    parser.add_argument("--optuna-gp-tasks",
                        help="comma-separated tasks Optuna's GP runs on (it is slow); default all")
    parser.add_argument("--optuna-gp-budget", type=int,
                        help="trials of Optuna's GP, if fewer than --gp-budget (it is slow)")
    parser.add_argument("--max-budget", type=int, default=max(BUDGETS),
                        help="trials of the other samplers (budgets above it are not shown)")
    parser.add_argument("--raw", type=Path, help="append each run here (JSON lines); resume")
    parser.add_argument("--extra-raw", type=Path, action="append", default=[],
                        help="more runs to read (e.g. the peers, run apart); repeatable")
    parser.add_argument("--task-major", action="store_true",
                        help="all seeds of a task before the next (instead of seed by seed)")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--cost", type=int, default=0, metavar="REPEATS",
                        help="also time suggestions (TPE at 1,000 trials, GP at 200) against "
                             "Optuna's, REPEATS asks each")
    parser.add_argument("--table-only", action="store_true",
                        help="print the table from --raw without running anything")
    parser.add_argument("--plateau-ablation", action="store_true",
                        help="instead of the table: TPE with its plateau rule on and off, "
                             "both routes, on --tasks")
    args = parser.parse_args(argv)
    logging.getLogger("tunesmith").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass

    if args.tasks in (None, "all"):
        names = list(SUITE)
    elif args.tasks == "dev":
        names = [n for n in SUITE if n not in HELD_OUT]
    elif args.tasks == "held":
        names = [n for n in SUITE if n in HELD_OUT]
    else:
        names = args.tasks.split(",")
    unknown = [n for n in names if n not in SUITE]
    if unknown:
        parser.error(f"unknown task(s) {unknown}")
    samplers = args.samplers.split(",")
    cols = columns(samplers)
    tasks = [SUITE[n] for n in names]
    MAX_BUDGET[0] = args.max_budget
    OPTUNA_GP_BUDGET[0] = args.optuna_gp_budget
    if args.optuna_gp_tasks:
        OPTUNA_GP_TASKS[0] = set(args.optuna_gp_tasks.split(","))
    if args.plateau_ablation:
        ablation_lines: list[str] = []

        def say(line: str) -> None:
            print(line, flush=True)
            ablation_lines.append(line)

        plateau_ablation(tasks, args.seeds, say)
        if args.out:
            args.out.write_text("\n".join(ablation_lines) + "\n")
        return
    done = load_raw(args.raw) if args.raw else {}
    for extra in args.extra_raw:
        done.update(load_raw(extra))
    if not args.table_only:
        run_all(tasks, cols, args.seeds, args.gp_budget, args.raw, done, args.task_major)
    else:
        one_by_one = define_by_run_goes_one_by_one()
        for task in tasks:
            for column in cols:
                alias = alias_of(column, task, one_by_one,
                                 budget_of(column, task, args.gp_budget))
                if alias is not None:
                    ALIASES[(task.name, column)] = alias

    lines: list[str] = []

    def out(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    import platform

    import optuna

    out(f"tunesmith {tunesmith.__version__}, optuna {optuna.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}; {args.seeds} seeds; budgets "
        f"{', '.join(str(b) for b in BUDGETS if b <= args.max_budget)}")
    out("")
    table(tasks, cols, args.seeds, args.gp_budget, done, out)
    if ALIASES:
        out("")
        out("Equal by construction, so not run twice (the column shows the other's runs): "
            + "; ".join(f"{t} {c} = {a}" for (t, c), a in sorted(ALIASES.items())))
    out("")
    seconds(args.raw, out)
    if args.cost:
        out("")
        cost(args.cost, out)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
