"""The reference lesson, scikit-learn against tunesmith, side by side in one process.

Runs the lesson's grid search (LogisticRegression, C x penalty x solver, 140 candidates)
and random search (C = logspace(-4, 4, 20), n_iter=100, random_state=42) on the cleaned
Titanic table with scikit-learn's classes and with ``tunesmith.sklearn``'s, checks that
every score and parameter column of ``cv_results_`` and ``best_params_`` are identical,
and prints for each search: the wall time of each (fastest of ``--repeat`` runs, the
two libraries alternating), the ratio tunesmith / scikit-learn, and the fits each spent
(successful and failed fits on CV folds, plus discovery's probe fits for tunesmith).

    python benchmarks/lesson.py                 # n_jobs=1, 3 repeats
    python benchmarks/lesson.py --n-jobs 2 --repeat 1

Needs the lesson's data in ``../shared/data/titanic`` beside the repository (or
``--data DIR``) and pandas.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn import model_selection as skms
from sklearn.linear_model import LogisticRegression

from tunesmith import sklearn as ts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "titanic"
PENALTIES = ["l1", "l2", "elasticnet", None]
SOLVERS = ["newton-cg", "lbfgs", "liblinear", "sag", "saga"]
SEARCHES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "grid": ("GridSearchCV",
             {"C": [0.001, 0.01, 0.1, 1, 10, 100, 1000], "penalty": PENALTIES,
              "solver": SOLVERS},
             {}),
    "random": ("RandomizedSearchCV",
               {"C": np.logspace(-4, 4, 20), "penalty": PENALTIES, "solver": SOLVERS},
               {"n_iter": 100, "random_state": 42}),
}
#: cv_results_ keys that measure time, and tunesmith's one extra key.
NOT_COMPARED = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time",
                "skip_reason"}


class CountingLogisticRegression(LogisticRegression):
    """Records each fit call as (rows, succeeded); in-process only (n_jobs=1)."""

    calls: ClassVar[list[tuple[int, bool]]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CountingLogisticRegression:
        try:
            super().fit(X, y, sample_weight=sample_weight)
        except Exception:
            CountingLogisticRegression.calls.append((len(X), False))
            raise
        CountingLogisticRegression.calls.append((len(X), True))
        return self


def fit_once(library: Any, name: str, space: dict[str, Any], extra: dict[str, Any],
             X: Any, y: Any, n_jobs: int, count: bool) -> tuple[Any, float, Counter]:
    """One fitted search, its wall time, and (when counting) its fit calls by kind."""
    estimator = (CountingLogisticRegression if count else LogisticRegression)(random_state=42)
    search = getattr(library, name)(estimator, space, cv=5, scoring="accuracy",
                                    n_jobs=n_jobs, **extra)
    CountingLogisticRegression.calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failed fits' warnings are the point
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
    n = len(X)
    kinds = Counter(
        ("refit" if rows == n else "fold" if rows > n // 2 else "probe") + (
            "" if ok else " failed")
        for rows, ok in CountingLogisticRegression.calls
    )
    return search, seconds, kinds


def check_identical(ours: Any, theirs: Any) -> None:
    """Raise unless every score and param column and best_params_ are equal."""
    a, b = ours.cv_results_, theirs.cv_results_
    missing = set(b) - set(a)
    if missing:
        raise AssertionError(f"tunesmith lacks cv_results_ keys {sorted(missing)}")
    for key in b:
        if key in NOT_COMPARED:
            continue
        if key == "params":
            if a[key] != b[key]:
                raise AssertionError("params differ")
            continue
        np.testing.assert_array_equal(np.ma.getdata(a[key]), np.ma.getdata(b[key]),
                                      err_msg=key)
    if ours.best_params_ != theirs.best_params_:
        raise AssertionError(f"best_params_ {ours.best_params_} != {theirs.best_params_}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (best)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    path = args.data / "clean_train.csv"
    if not path.exists():
        print(f"no lesson data at {path}; pass --data DIR", file=sys.stderr)
        return 2
    frame = pd.read_csv(path)
    X, y = frame.drop(columns="Survived"), frame["Survived"]

    print(f"lesson on {path} ({len(X)} rows), cv=5, n_jobs={args.n_jobs}, "
          f"best of {args.repeat}")
    header = (f"{'search':<8} {'scikit-learn s':>15} {'tunesmith s':>12} {'ratio':>6}   "
              "fits: scikit-learn (ok + failed) | tunesmith (ok + failed, probes)")
    print(header)
    print("-" * len(header))
    for label, (name, space, extra) in SEARCHES.items():
        times: dict[str, list[float]] = {"sklearn": [], "tunesmith": []}
        fitted: dict[str, Any] = {}
        for _ in range(args.repeat):
            for key, library in (("sklearn", skms), ("tunesmith", ts)):
                search, seconds, _ = fit_once(library, name, space, extra, X, y,
                                              args.n_jobs, count=False)
                times[key].append(seconds)
                fitted[key] = search
        check_identical(fitted["tunesmith"], fitted["sklearn"])
        # Fits are counted in one extra in-process run each, outside the timing.
        counts = {key: fit_once(library, name, space, extra, X, y, 1, count=True)[2]
                  for key, library in (("sklearn", skms), ("tunesmith", ts))}
        theirs, ours = min(times["sklearn"]), min(times["tunesmith"])
        s, t = counts["sklearn"], counts["tunesmith"]
        print(f"{label:<8} {theirs:>15.2f} {ours:>12.2f} {ours / theirs:>6.2f}   "
              f"{s['fold'] + s['refit']} + {s['fold failed']} failed | "
              f"{t['fold'] + t['refit']} + {t['fold failed']} failed, "
              f"{t['probe'] + t['probe failed'] + t['refit failed']} probes "
              f"({t['probe failed'] + t['refit failed']} rejected)")
    print("cv_results_ scores, params and best_params_ identical: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
