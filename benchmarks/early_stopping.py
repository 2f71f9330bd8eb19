"""Early stopping in a grid search: the full grid, racing over folds, successive halving.

Each task is an estimator, a grid of 100+ candidates and a dataset scikit-learn ships
(plus the lesson's grid on the Titanic table), 5-fold CV. Three searches run on it,
one after the other in this process (n_jobs=1):

- full: ``tunesmith.sklearn.GridSearchCV`` (scikit-learn's results, every fold);
- racing: the same with ``racing=True`` (the default ``Racing()`` settings: F-Race's
  test on ranks, folds as blocks, the variance pooled over the candidates alive; a
  candidate predicting exactly as an earlier one on its folds so far stops as a copy);
- halving: ``tunesmith.sklearn.HalvingGridSearchCV`` (scikit-learn's
  ``HalvingGridSearchCV`` when tunesmith's is absent; the output says which),
  resource ``n_samples``, ``factor=3``, its fits on fewer rows.

For each: the fits spent (CV fits, the refit excluded; a halving fit uses fewer rows),
the time of ``fit``, the winner, and the winner's full-CV score (its mean test score
in the full grid), racing and halving as ratios to the full search. Racing's target:
the full search's winner or one within 0.002 of its score, on every task, spending at
most 40% of the full search's fits (at 5 folds with ``min_folds=2`` that is out of reach:
2/5 of the fits are spent before any candidate may stop).

Racing's defaults were tuned on ``TUNING`` (``--tune`` replays the race for each
method and several settings from the full search's fold scores: no extra fit); the
other tasks were held out. ``--tolerance 0.002`` races with ``Racing(tolerance=0.002)``
(the indifference zone: a candidate that cannot beat the leader by more than that is
stopped too) and adds a replay, from the full grid's fold scores, of every task at
tolerance 0 and at the given one (checked against the racing search's own fits). The
replays see copies as the search does: the grid is run once more, untimed, keeping
each fold's prediction digest (``DigestingGrid``).
``--no-halving`` leaves halving out (it does not depend on racing's settings).
``--pruners`` also runs
``benchmarks/early_stopping_pruners.py`` (pruners against Optuna's). Keep it short on a
shared machine:

    nice -n 10 python benchmarks/early_stopping.py [--tasks svc_cancer,lesson] [--tune]
        [--cv 10] [--tolerance 0.002] [--no-halving] [--pruners]
        [--out benchmarks/results/early_stopping.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import datasets
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from tunesmith import sklearn as ts
from tunesmith.sklearn import GridSearchCV, Racing
from tunesmith.sklearn._racing import FINGERPRINTS_ATTR, METHODS, Race

HERE = Path(__file__).resolve().parent
TITANIC = HERE.parents[1] / "shared" / "data" / "titanic" / "clean_train.csv"
#: Racing's defaults were chosen on these tasks only; the others are held out.
TUNING = ("svc_cancer", "logreg_wine", "tree_wine")
TOLERANCE = 0.002  # the target: a winner within this of the full search's best score
SPEND = 0.40  # the target: racing spends at most this share of the full search's fits


@dataclass
class Task:
    name: str
    estimator: Any
    grid: dict[str, list[Any]]
    data: Callable[[], tuple[Any, Any]]


def _scaled(estimator: Any) -> Any:
    return make_pipeline(StandardScaler(), estimator)


def _lesson() -> tuple[Any, Any]:
    import pandas as pd

    frame = pd.read_csv(TITANIC)
    return frame.drop(columns="Survived"), frame["Survived"]


def _xy(loader: Callable[..., Any]) -> Callable[[], tuple[Any, Any]]:
    return lambda: loader(return_X_y=True)


#: 120 candidates: every vote size to 30, weighted or not, Manhattan or Euclidean.
KNN_GRID: dict[str, list[Any]] = {"kneighborsclassifier__n_neighbors": list(range(1, 31)),
            "kneighborsclassifier__weights": ["uniform", "distance"],
            "kneighborsclassifier__p": [1, 2]}

TASKS = [
    Task("svc_cancer", _scaled(SVC()),
         {"svc__C": list(np.logspace(-2, 3, 11)), "svc__gamma": list(np.logspace(-4, 1, 10))},
         _xy(datasets.load_breast_cancer)),
    Task("logreg_wine", _scaled(LogisticRegression(max_iter=500)),
         {"logisticregression__C": list(np.logspace(-4, 3, 25)),
          "logisticregression__class_weight": [None, "balanced"],
          "logisticregression__fit_intercept": [True, False]},
         _xy(datasets.load_wine)),
    Task("tree_wine", DecisionTreeClassifier(random_state=0),
         {"max_depth": [1, 2, 3, 4, 6, None], "min_samples_leaf": [1, 2, 4, 8, 16],
          "criterion": ["gini", "entropy"], "max_features": [None, "sqrt"]},
         _xy(datasets.load_wine)),
    Task("knn_wine", _scaled(KNeighborsClassifier()), KNN_GRID, _xy(datasets.load_wine)),
    Task("sgd_cancer", _scaled(SGDClassifier(random_state=0)),
         {"sgdclassifier__alpha": list(np.logspace(-6, 0, 12)),
          "sgdclassifier__loss": ["hinge", "log_loss", "modified_huber"],
          "sgdclassifier__penalty": ["l2", "l1", "elasticnet"]},
         _xy(datasets.load_breast_cancer)),
    Task("enet_diabetes", ElasticNet(max_iter=5000),
         {"alpha": list(np.logspace(-4, 1, 20)), "l1_ratio": [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]},
         _xy(datasets.load_diabetes)),
    Task("forest_wine", RandomForestClassifier(random_state=0),
         {"n_estimators": [10, 30], "max_depth": [2, 4, 8, None],
          "max_features": ["sqrt", 0.5, 1.0], "min_samples_leaf": [1, 2, 5, 10, 20]},
         _xy(datasets.load_wine)),
    # Added after racing's copies (2026-12-04) and run once, as fresh held-out tasks.
    Task("tree_cancer", DecisionTreeClassifier(random_state=0),
         {"max_depth": [2, 3, 4, 5, 6, 8, None], "min_samples_leaf": [1, 2, 4, 8, 16],
          "criterion": ["gini", "entropy", "log_loss"]},
         _xy(datasets.load_breast_cancer)),
    Task("knn_cancer", _scaled(KNeighborsClassifier()), KNN_GRID,
         _xy(datasets.load_breast_cancer)),
    Task("ridge_diabetes", Ridge(),
         {"alpha": list(np.logspace(-3, 3, 20)),
          "solver": ["cholesky", "lsqr", "sparse_cg", "svd", "sag", "saga"]},
         _xy(datasets.load_diabetes)),
    Task("svc_digits", _scaled(SVC()),
         {"svc__C": list(np.logspace(-1, 3, 10)), "svc__gamma": list(np.logspace(-4, 0, 10))},
         _xy(datasets.load_digits)),
    Task("lesson", LogisticRegression(random_state=42),
         {"C": [0.001, 0.01, 0.1, 1, 10, 100, 1000], "penalty": ["l1", "l2", "elasticnet", None],
          "solver": ["newton-cg", "lbfgs", "liblinear", "sag", "saga"]},
         _lesson),
]


def halving_class() -> tuple[Any, str]:
    """tunesmith's HalvingGridSearchCV, or scikit-learn's when it is absent."""
    if hasattr(ts, "HalvingGridSearchCV"):
        return ts.HalvingGridSearchCV, "tunesmith.sklearn.HalvingGridSearchCV"
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV

    return HalvingGridSearchCV, "sklearn HalvingGridSearchCV (experimental)"


@dataclass
class Run:
    fits: int
    seconds: float
    params: dict[str, Any]
    search: Any


def _fit(search: Any, X: Any, y: Any) -> tuple[Any, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        search.fit(X, y)
        return search, time.perf_counter() - start


def _study_fits(search: Any) -> int:
    """CV fits a tunesmith search spent: the folds its trials recorded."""
    return sum(len(trial.folds) for trial in search.study_.trials)


def run_task(task: Task, halving: Any, cv: int, racing: Racing) -> dict[str, Run]:
    X, y = task.data()
    runs = {}
    full, seconds = _fit(GridSearchCV(task.estimator, task.grid, cv=cv), X, y)
    runs["full"] = Run(_study_fits(full), seconds, full.best_params_, full)
    race, seconds = _fit(GridSearchCV(task.estimator, task.grid, cv=cv, racing=racing), X, y)
    runs["racing"] = Run(_study_fits(race), seconds, race.best_params_, race)
    if halving is None:
        return runs
    halved, seconds = _fit(halving(task.estimator, task.grid, cv=cv, factor=3,
                                   random_state=0), X, y)
    # tunesmith's stores its folds (skipped candidates have none); scikit-learn's fits
    # every row of cv_results_ (a candidate at one iteration) on each split.
    n_fits = (_study_fits(halved) if hasattr(halved, "study_")
              else len(halved.cv_results_["params"]) * halved.n_splits_)
    runs["halving"] = Run(n_fits, seconds, halved.best_params_, halved)
    return runs


def full_cv_score(full: Any, params: dict[str, Any]) -> float:
    """The mean test score the full grid gave ``params``."""
    results = full.cv_results_
    return float(results["mean_test_score"][results["params"].index(params)])


def report(task: Task, runs: dict[str, Run]) -> list[str]:
    full = runs["full"]
    best = full_cv_score(full.search, full.params)
    rows = []
    for name, run in runs.items():
        gap = best - full_cv_score(full.search, run.params)
        ok = "" if name == "full" else ("yes" if gap <= TOLERANCE else "NO")
        spent = "" if name != "racing" else ("yes" if run.fits <= SPEND * full.fits else "NO")
        rows.append(
            f"| {task.name}{' (tuning)' if task.name in TUNING else ''} | {name} "
            f"| {len(full.search.cv_results_['params'])} | {run.fits} "
            f"| {run.fits / full.fits:.2f} | {run.seconds:.1f} "
            f"| {run.seconds / full.seconds:.2f} | {best - gap:.4f} | {gap:.4f} | {ok} "
            f"| {spent} | {_short(run.params)} |")
    return rows


def _short(params: dict[str, Any]) -> str:
    return ", ".join(f"{k.split('__')[-1]}={_value(v)}" for k, v in sorted(params.items()))


def _value(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v)


class DigestingGrid(GridSearchCV):
    """The full grid that also keeps each fold's prediction digest, as a racing search
    does, so that a replay finds the same copies. Run apart, never timed."""

    def _fold_job(self, *args: Any, **kwargs: Any) -> Any:
        return dataclasses.replace(super()._fold_job(*args, **kwargs), fingerprint=True)


def digests(task: Task, cv: int) -> list[list[str | None]]:
    """Every candidate's prediction digest on every fold (None: not fitted)."""
    X, y = task.data()
    search, _ = _fit(DigestingGrid(task.estimator, task.grid, cv=cv), X, y)
    table: list[list[str | None]] = [[None] * cv for _ in search.cv_results_["params"]]
    for trial in search.study_.trials:
        stored = trial.attrs.get(FINGERPRINTS_ATTR) or []
        for record, digest in zip(trial.folds, stored, strict=False):
            table[trial.candidate][record.fold] = digest
    return table


def replay(scores: np.ndarray, settings: Racing,
           digests: list[list[str | None]] | None = None) -> tuple[int, int]:
    """Racing replayed from a full search's fold scores: (fits, winner's row).

    The same rule and rounds as the search (candidates that failed every fold left
    out, as discovery would skip them), so no fit is needed to try a setting; with the
    full grid's prediction ``digests`` (:func:`digests`) it stops copies as the search does.
    """
    k = scores.shape[1]
    race = Race(settings, n_splits=k, test_fraction=1 / (k - 1))
    alive = [c for c in range(len(scores)) if not np.isnan(scores[c]).all()]
    fits = 0
    for fold in range(k):
        for c in alive:
            race.record(c, fold, scores[c, fold], None if digests is None else digests[c][fold])
        fits += len(alive)
        for c in alive:
            if race.reason(c, range(fold + 1)) is not None:
                race.stopped.add(c)
        alive = [c for c in alive if c not in race.stopped]
    means = np.nan_to_num(scores[alive].mean(axis=1), nan=-np.inf)
    return fits, alive[int(np.argmax(means))]


def _fold_scores(full: Any) -> np.ndarray:
    results, k = full.cv_results_, full.n_splits_
    return np.array([results[f"split{i}_test_score"] for i in range(k)]).T


def _replayed(full: Any, settings: Racing,
              digests: list[list[str | None]] | None = None) -> tuple[float, float]:
    """(fits ratio, gap) of ``settings`` replayed on a full grid's fold scores."""
    scores = _fold_scores(full)
    fits, winner = replay(scores, settings, digests)
    n_full = int((~np.isnan(scores).all(axis=1)).sum()) * scores.shape[1]
    means = full.cv_results_["mean_test_score"]
    return fits / n_full, float(np.nanmax(means) - means[winner])


def zone(fulls: dict[str, Any], racings: dict[str, Any], tolerance: float,
         copies: dict[str, list[list[str | None]]]) -> list[str]:
    """Every task replayed at tolerance 0 and at ``tolerance`` (the default settings
    otherwise), and the racing search's own fits ratio, which the replay must equal."""
    lines = [f"| task | tolerance 0: fits, gap | tolerance {tolerance:g}: fits, gap "
             f"| the search's fits (tolerance {tolerance:g}) | stopped within tolerance "
             "| stopped as copies |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, full in fulls.items():
        cells = []
        for value in (0.0, tolerance):
            ratio, gap = _replayed(full, Racing(tolerance=value), copies.get(name))
            cells.append(f"{ratio:.2f}, {gap:.4f}")
        race = racings[name]
        stopped = race.cv_results_["stopped"]
        n_within = sum(text.startswith("racing: within") for text in stopped)
        n_copies = sum(text.startswith("racing: the same model") for text in stopped)
        spent = _study_fits(race) / (len(_valid(full)) * full.n_splits_)
        lines.append(f"| {name}{' (tuning)' if name in TUNING else ' (held out)'} | "
                     + " | ".join(cells) + f" | {spent:.2f} | {n_within} | {n_copies} |")
    return lines


def _valid(full: Any) -> list[int]:
    return [c for c, row in enumerate(_fold_scores(full)) if not np.isnan(row).all()]


def tune(fulls: dict[str, Any], tolerance: float = 0.0,
         copies: dict[str, list[list[str | None]]] | None = None) -> list[str]:
    """Fits and score gap of each setting, replayed on the tuning tasks."""
    lines = ["| method | confidence | min_folds | " + " | ".join(
        f"{name} fits, gap" for name in fulls) + " | mean fits | worst gap |",
             "| --- | --- | --- | " + " | ".join("---" for _ in fulls) + " | --- | --- |"]
    for method in METHODS:
        for confidence in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            for min_folds in (2, 3) if method == "ranks" else (2,):
                cells, fractions, gaps = [], [], []
                for name, full in fulls.items():
                    if min_folds >= full.n_splits_:
                        continue
                    ratio, gap = _replayed(full, Racing(confidence, min_folds, method,
                                                        tolerance=tolerance),
                                           (copies or {}).get(name))
                    fractions.append(ratio)
                    gaps.append(gap)
                    cells.append(f"{ratio:.2f}, {gap:.4f}")
                lines.append(f"| {method} | {confidence} | {min_folds} | " + " | ".join(cells)
                             + f" | {np.mean(fractions):.2f} | {max(gaps):.4f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", help="comma-separated task names (default: all)")
    parser.add_argument("--tune", action="store_true",
                        help="replay racing's settings on the tuning tasks")
    parser.add_argument("--pruners", action="store_true",
                        help="also run benchmarks/early_stopping_pruners.py")
    parser.add_argument("--cv", type=int, default=5, help="folds (default 5)")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="racing's indifference zone, Racing(tolerance=...) (default 0)")
    parser.add_argument("--no-halving", action="store_true", help="leave halving out")
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    names = args.tasks.split(",") if args.tasks else [t.name for t in TASKS]
    unknown = sorted(set(names) - {t.name for t in TASKS})
    if unknown:
        parser.error(f"unknown tasks {unknown}; choose from {[t.name for t in TASKS]}")
    # One BLAS thread per fit: on a shared machine OpenBLAS's spinning threads, not the
    # searches, would dominate the times (a 150-row fit taking seconds).
    threadpool_limits(1)
    racing = Racing(tolerance=args.tolerance)
    halving, halving_name = (None, "left out") if args.no_halving else halving_class()
    lines = [f"Halving: {halving_name}. Racing: {racing} (tuned on {', '.join(TUNING)}; "
             f"the other tasks held out). {args.cv}-fold CV, n_jobs=1, one BLAS thread. "
             "Fits: CV fits (no refit); ratio: to the full grid. Gap: the full grid's best "
             "mean score minus the winner's mean score in the full grid.", "",
             "| task | search | candidates | fits | fits ratio | time s | time ratio "
             "| winner's full-CV score | gap | within 0.002 | fits <= 40% | winner |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    print("\n".join(lines), flush=True)
    fulls, every, racings, copies = {}, {}, {}, {}
    for task in TASKS:
        if task.name not in names:
            continue
        runs = run_task(task, halving, args.cv, racing)
        if args.tolerance > 0 or (args.tune and task.name in TUNING):
            copies[task.name] = digests(task, args.cv)  # for the replays: not timed
        every[task.name], racings[task.name] = runs["full"].search, runs["racing"].search
        if task.name in TUNING:
            fulls[task.name] = runs["full"].search
        rows = report(task, runs)
        print("\n".join(rows), flush=True)
        lines += rows
    if args.tolerance > 0:
        table = zone(every, racings, args.tolerance, copies)
        title = "Racing replayed at tolerance 0 and at the given one (fits ratio, gap):"
        print(f"\n{title}\n")
        print("\n".join(table))
        lines += ["", title, "", *table]
    if args.tune and fulls:
        table = tune(fulls, args.tolerance, copies)
        print("\nRacing's settings replayed on the tuning tasks (fits ratio, gap):\n")
        print("\n".join(table))
        lines += ["", "Racing's settings replayed on the tuning tasks (fits ratio, gap):", "",
                  *table]
    if args.pruners:
        if (HERE / "early_stopping_pruners.py").exists():
            sys.path.insert(0, str(HERE))
            importlib.import_module("early_stopping_pruners").main([])
        else:
            print("benchmarks/early_stopping_pruners.py is not there: no pruner table")
    cpu = f"CPU time of this run: {time.process_time():.0f} s."
    print(cpu)
    lines += ["", cpu]
    if args.out:
        args.out.write_text("# Early stopping: full grid, racing, halving\n\n"
                            + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
