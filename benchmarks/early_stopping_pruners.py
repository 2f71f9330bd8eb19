"""Pruners, tunesmith vs Optuna 5: the same configurations, the same learning curves.

The task: ``SGDClassifier.partial_fit`` on scikit-learn's digits, one epoch per step,
27 epochs, the validation error (1 - accuracy) reported after each; two
hyperparameters (``alpha``, ``eta0``, log scales) and the loss. Each seed draws one
list of random configurations (numpy, seeded) that both libraries run in trial-number
order: the sampler is the same random search, point for point, so the only
difference is the pruner. The curves themselves are computed for real each time (a
trial's ``random_state`` is its number), so a configuration gives the same curve in
both libraries.

For each pruner (median, ASHA, Hyperband, each with the same settings in both) it
prints the epochs spent (every reported step) and the best final value (the lowest
validation error of a trial that ran all 27 epochs), as means over the seeds with
the ratio tunesmith / Optuna, and then ASHA with two workers in each (tunesmith:
``n_jobs=2``, two processes; Optuna: ``n_jobs=2``, two threads). With two workers the
order in which trials reach a rung depends on timing, in both libraries, so each row
also gives a paired test across seeds: Wilcoxon's signed-rank test (two-sided, zero
differences split) of tunesmith's minus Optuna's epochs and best error per seed;
``--per-seed`` prints each seed's figures.

    nice -n 10 python benchmarks/early_stopping_pruners.py [--seeds 5] [--trials 40]
        [--no-parallel] [--pruners median,asha,hyperband] [--per-seed]

``main()`` returns the rows, so ``benchmarks/early_stopping.py`` can call it. Needs
Optuna 5 (``pip install optuna``).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import wilcoxon
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tunesmith

EPOCHS = 27
PRUNERS = ("median", "asha", "hyperband")


class Curves:
    """The learning-curve task: configurations by trial number, one epoch per step."""

    def __init__(self, seed: int, n_trials: int) -> None:
        X, y = load_digits(return_X_y=True)
        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3,
                                                          random_state=0, stratify=y)
        scaler = StandardScaler().fit(X_train)
        self.X_train, self.X_val = scaler.transform(X_train), scaler.transform(X_val)
        self.y_train, self.y_val = y_train, y_val
        self.classes = np.unique(y)
        rng = np.random.default_rng(seed)
        self.configs = [{"alpha": float(10 ** rng.uniform(-6, 0)),
                         "eta0": float(10 ** rng.uniform(-5, 0)),
                         "loss": str(rng.choice(["hinge", "log_loss", "modified_huber"]))}
                        for _ in range(n_trials)]

    def run(self, number: int, report: Any, should_prune: Any) -> float | None:
        """Train trial ``number``'s configuration epoch by epoch; None when pruned."""
        model = SGDClassifier(learning_rate="constant", random_state=number,
                              **self.configs[number])
        error = 1.0
        for epoch in range(1, EPOCHS + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # diverging configurations warn: data
                model.partial_fit(self.X_train, self.y_train, classes=self.classes)
            error = 1.0 - float(model.score(self.X_val, self.y_val))
            report(error, epoch)
            if should_prune():
                return None
        return error


class TunesmithObjective:
    """Picklable, so that ``n_jobs=2`` runs it in worker processes."""

    def __init__(self, curves: Curves) -> None:
        self.curves = curves

    def __call__(self, trial: tunesmith.Trial) -> float:
        value = self.curves.run(trial.number, trial.report, trial.should_prune)
        if value is None:
            raise tunesmith.TrialPruned()
        return value


def tunesmith_pruner(name: str, seed: int) -> tunesmith.Pruner:
    from tunesmith import pruners

    return {"median": pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
            "asha": pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
            "hyperband": pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS,
                                                 reduction_factor=3, seed=seed)}[name]


def optuna_pruner(name: str) -> Any:
    import optuna

    return {"median": optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
            "asha": optuna.pruners.SuccessiveHalvingPruner(
                min_resource=1, reduction_factor=3, min_early_stopping_rate=0),
            "hyperband": optuna.pruners.HyperbandPruner(
                min_resource=1, max_resource=EPOCHS, reduction_factor=3)}[name]


@dataclass
class Run:
    steps: int
    best: float
    seconds: float


def run_tunesmith(curves: Curves, pruner: str, seed: int, n_trials: int,
                  n_jobs: int = 1) -> Run:
    start = time.perf_counter()
    study = tunesmith.Study(seed=seed, pruner=tunesmith_pruner(pruner, seed))
    study.optimize(TunesmithObjective(curves), n_trials=n_trials, n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    trials = study.trials
    steps = sum(len(t.intermediate) for t in trials)
    done = [t.value for t in trials
            if t.state is tunesmith.TrialState.COMPLETE and t.value is not None]
    return Run(steps, min(done, default=np.nan), seconds)


def run_optuna(curves: Curves, pruner: str, seed: int, n_trials: int,
               n_jobs: int = 1) -> Run:
    import optuna

    def objective(trial: Any) -> float:
        value = curves.run(trial.number, trial.report, trial.should_prune)
        if value is None:
            raise optuna.TrialPruned()
        return value

    start = time.perf_counter()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed),
                                pruner=optuna_pruner(pruner))
    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    trials = study.get_trials(deepcopy=False)
    steps = sum(len(t.intermediate_values) for t in trials)
    done = [t.value for t in trials
            if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
    return Run(steps, min(done, default=np.nan), seconds)


def paired_p(ours: list[float], theirs: list[float]) -> float:
    """Wilcoxon's signed-rank p-value (two-sided) of ``ours - theirs``; 1.0 when every
    pair is equal, NaN below 6 pairs (too few for the test to reject at 5%)."""
    diff = np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float)
    if len(diff) < 6:
        return float("nan")
    if not diff.any():
        return 1.0
    return float(wilcoxon(diff, zero_method="zsplit").pvalue)


def _row(label: str, ours: list[Run], theirs: list[Run]) -> dict[str, Any]:
    steps_o, steps_t = np.mean([r.steps for r in ours]), np.mean([r.steps for r in theirs])
    best_o, best_t = np.nanmean([r.best for r in ours]), np.nanmean([r.best for r in theirs])
    fewer = sum(a.steps <= b.steps for a, b in zip(ours, theirs, strict=True))
    better = sum(a.best <= b.best for a, b in zip(ours, theirs, strict=True))
    return {"pruner": label, "steps_tunesmith": steps_o, "steps_optuna": steps_t,
            "steps_ratio": steps_o / steps_t, "best_tunesmith": best_o, "best_optuna": best_t,
            "best_ratio": best_o / best_t, "seeds_fewer_steps": fewer,
            "seeds_equal_or_better": better, "n_seeds": len(ours),
            "p_steps": paired_p([r.steps for r in ours], [r.steps for r in theirs]),
            "p_best": paired_p([r.best for r in ours], [r.best for r in theirs]),
            "per_seed": [(a.steps, b.steps, a.best, b.best)
                         for a, b in zip(ours, theirs, strict=True)],
            "seconds_tunesmith": float(np.mean([r.seconds for r in ours])),
            "seconds_optuna": float(np.mean([r.seconds for r in theirs]))}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--no-parallel", action="store_true",
                        help="skip ASHA with two workers")
    parser.add_argument("--per-seed", action="store_true", help="print each seed's figures")
    parser.add_argument("--pruners", default=",".join(PRUNERS),
                        help="which pruners run in one process (comma-separated; empty: none)")
    args = parser.parse_args(argv)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("tunesmith").setLevel(logging.WARNING)
    seeds = range(args.seeds)
    curves = {seed: Curves(seed, args.trials) for seed in seeds}
    full = args.trials * EPOCHS
    chosen = [p for p in args.pruners.split(",") if p]
    unknown = sorted(set(chosen) - set(PRUNERS))
    if unknown:
        parser.error(f"unknown pruners {unknown}; use some of {', '.join(PRUNERS)}")
    runs = [(p, 1) for p in chosen] + ([] if args.no_parallel else [("asha", 2)])
    rows = []
    for pruner, n_jobs in runs:
        ours = [run_tunesmith(curves[s], pruner, s, args.trials, n_jobs) for s in seeds]
        theirs = [run_optuna(curves[s], pruner, s, args.trials, n_jobs) for s in seeds]
        label = pruner if n_jobs == 1 else f"{pruner}, 2 workers"
        rows.append(_row(label, ours, theirs))

    print(f"digits, SGDClassifier.partial_fit, {EPOCHS} epochs, {args.trials} random "
          f"configurations per seed (the same list in both), {args.seeds} seeds; "
          f"without pruning: {full} epochs per run.\n")
    print("| pruner | epochs tunesmith | epochs Optuna | ratio | best error tunesmith "
          "| best error Optuna | ratio | seeds: fewer epochs / equal or better best "
          "| paired p: epochs, best |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['pruner']} | {r['steps_tunesmith']:.0f} | {r['steps_optuna']:.0f} | "
              f"{r['steps_ratio']:.2f} | {r['best_tunesmith']:.4f} | {r['best_optuna']:.4f} | "
              f"{r['best_ratio']:.2f} | {r['seeds_fewer_steps']}/{r['n_seeds']}, "
              f"{r['seeds_equal_or_better']}/{r['n_seeds']} "
              f"| {r['p_steps']:.2f}, {r['p_best']:.2f} |")
    if args.per_seed:
        for r in rows:
            print(f"\n{r['pruner']}, per seed (epochs tunesmith, Optuna; best error "
                  "tunesmith, Optuna):\n")
            print("| seed | epochs tunesmith | epochs Optuna | best tunesmith | best Optuna |")
            print("| ---: | ---: | ---: | ---: | ---: |")
            for seed, (a, b, c, d) in enumerate(r["per_seed"]):
                print(f"| {seed} | {a} | {b} | {c:.4f} | {d:.4f} |")
    print("\nMean seconds per run (both in this process; tunesmith's two workers are "
          "processes, Optuna's threads):")
    for r in rows:
        print(f"- {r['pruner']}: tunesmith {r['seconds_tunesmith']:.1f} s, "
              f"Optuna {r['seconds_optuna']:.1f} s")
    return rows


if __name__ == "__main__":
    main()
