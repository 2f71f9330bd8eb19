"""The tasks of the samplers benchmark: a small registry, one entry per task.

Adding a task is a few lines: a function that builds its space, an objective that
takes a params dict (raise for an invalid combination), and a ``@task`` line.

>>> sorted(TASKS)[:2]
['ackley10', 'branin']
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tunesmith.space import Categorical, Condition, Float, Int, Space

#: The two directions, as Optuna's ``create_study`` types them.
Direction = Literal["minimize", "maximize"]

__all__ = [
    "LESSON_GRID_BEST",
    "TASKS",
    "Task",
    "lesson_objective",
    "lesson_space",
    "optuna_params",
    "task",
    "titanic_data",
]

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Task:
    """One benchmark problem: a space, an objective on a params dict, a direction."""

    name: str
    kind: str  # "function" (cheap, many seeds) or "ml" (cross-validation, fewer seeds)
    space: Callable[[], Space]
    objective: Callable[[dict[str, Any]], float]
    direction: Direction = "minimize"
    description: str = ""


TASKS: dict[str, Task] = {}


def task(name: str, kind: str, space: Callable[[], Space], direction: Direction = "minimize",
         description: str = "") -> Callable[[Callable], Callable]:
    """Register ``objective`` as task ``name``."""
    def register(objective: Callable[[dict[str, Any]], float]) -> Callable:
        TASKS[name] = Task(name, kind, space, objective, direction, description)
        return objective
    return register


# -- test functions ------------------------------------------------------------------------


def _branin_space() -> Space:
    return Space({"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)})


@task("branin", "function", _branin_space, description="2-D, minimum 0.397887")
def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def _rosenbrock_space() -> Space:
    return Space({f"x{i}": Float(-5.0, 10.0) for i in range(5)})


@task("rosenbrock5", "function", _rosenbrock_space, description="5-D, minimum 0")
def rosenbrock(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(5)])
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _ackley_space() -> Space:
    return Space({f"x{i}": Float(-32.768, 32.768) for i in range(10)})


@task("ackley10", "function", _ackley_space, description="10-D, minimum 0")
def ackley(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(10)])
    d = len(x)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
        - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + math.e
    )


def _levy_space() -> Space:
    # Mixed types: three continuous and three integer dimensions.
    dims: dict[str, Any] = {f"x{i}": Float(-10.0, 10.0) for i in range(3)}
    dims.update({f"n{i}": Int(-10, 10) for i in range(3)})
    return Space(dims)


@task("levy6", "function", _levy_space, description="6-D (3 float, 3 int), minimum 0")
def levy(p: dict[str, Any]) -> float:
    x = np.array([p["x0"], p["x1"], p["x2"], p["n0"], p["n1"], p["n2"]], dtype=float)
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + body + tail)


def _mixed_space() -> Space:
    return Space(
        {
            "model": Categorical(["linear", "tree", "knn"]),
            "scale": Float(1e-3, 1e3, log=True),
            "slope": Float(-3.0, 3.0),
            "depth": Int(1, 12),
            "split": Categorical(["gini", "entropy", "log"]),
            "k": Int(1, 64, log=True),
            "weights": Categorical(["uniform", "distance"]),
            "shrink": Float(0.0, 1.0, step=0.1),
        },
        conditions=[
            Condition("slope", "model", ["linear"]),
            Condition("depth", "model", ["tree"]),
            Condition("split", "model", ["tree"]),
            Condition("k", "model", ["knn"]),
            Condition("weights", "model", ["knn"]),
        ],
    )


@task("mixed", "function", _mixed_space,
      description="categorical root, conditional children, a step, a failing corner; min 0.2")
def mixed(p: dict[str, Any]) -> float:
    """Three branches with different optima; deep 'log' trees fail (invalid corner)."""
    base = 0.3 * (math.log10(p["scale"]) - 0.7) ** 2 + 0.5 * (p["shrink"] - 0.3) ** 2
    if p["model"] == "linear":
        return base + 1.0 + 0.5 * (p["slope"] - 1.3) ** 2
    if p["model"] == "tree":
        if p["split"] == "log" and p["depth"] > 8:
            raise ValueError("split='log' needs depth <= 8")
        penalty = {"gini": 0.3, "entropy": 0.0, "log": 0.15}[p["split"]]
        return base + 0.2 + 0.05 * (p["depth"] - 7) ** 2 + penalty
    penalty = {"uniform": 0.2, "distance": 0.0}[p["weights"]]
    return base + 0.5 + 0.3 * (math.log(p["k"]) - math.log(9)) ** 2 + penalty


# -- tuning tasks on scikit-learn's datasets -------------------------------------------------


@functools.cache
def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


def _cv() -> Any:
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(3, shuffle=True, random_state=0)


def _hgb_space() -> Space:
    return Space(
        {
            "learning_rate": Float(1e-3, 1.0, log=True),
            "max_leaf_nodes": Int(2, 128, log=True),
            "min_samples_leaf": Int(1, 100, log=True),
            "l2_regularization": Float(1e-8, 10.0, log=True),
        }
    )


@task("hgb_cancer", "ml", _hgb_space,
      description="HistGradientBoosting (30 iterations) on breast cancer, 3-fold CV log loss")
def hgb_cancer(p: dict[str, Any]) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    X, y = _breast_cancer()
    model = HistGradientBoostingClassifier(max_iter=30, early_stopping=False, random_state=0, **p)
    return -float(cross_val_score(model, X, y, cv=_cv(), scoring="neg_log_loss").mean())


def _svc_space() -> Space:
    return Space(
        {
            "C": Float(1e-3, 1e3, log=True),
            "kernel": Categorical(["linear", "rbf", "poly"]),
            "gamma": Float(1e-4, 10.0, log=True),
            "degree": Int(2, 5),
        },
        conditions=[
            Condition("gamma", "kernel", ["rbf", "poly"]),
            Condition("degree", "kernel", ["poly"]),
        ],
    )


@task("svc_cancer", "ml", _svc_space, direction="maximize",
      description="scaled SVC on breast cancer (gamma, degree conditional), 3-fold CV ROC AUC")
def svc_cancer(p: dict[str, Any]) -> float:
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = _breast_cancer()
    model = make_pipeline(StandardScaler(), SVC(max_iter=20_000, **p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter is part of the task
        return float(cross_val_score(model, X, y, cv=_cv(), scoring="roc_auc").mean())


# -- the lesson (reported on its own: invalid trials and best score) -------------------------

LESSON_GRID_BEST = 0.85866


def lesson_space() -> Space:
    """C on a log scale, penalty and solver: 10 of the 24 pairs are invalid."""
    return Space(
        {
            "C": Float(1e-4, 1e4, log=True),
            "penalty": Categorical(["l1", "l2", "elasticnet", None]),
            "solver": Categorical(
                ["lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"]
            ),
        }
    )


@functools.cache
def titanic_data() -> tuple[np.ndarray, np.ndarray]:
    """The lesson's training set (shared/data/titanic/clean_train.csv) as arrays."""
    import pandas as pd

    frame = pd.read_csv(DATA / "titanic" / "clean_train.csv")
    return frame.drop(columns="Survived").to_numpy(), frame["Survived"].to_numpy()


def lesson_objective(p: dict[str, Any]) -> float:
    """5-fold CV accuracy of LogisticRegression; invalid pairs raise, as in scikit-learn."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X, y = titanic_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation of `penalty`, convergence
        scores = cross_val_score(LogisticRegression(**p), X, y, cv=5, error_score="raise")
    return float(scores.mean())


# -- the same space for Optuna -------------------------------------------------------------


def optuna_params(trial: Any, space: Space) -> dict[str, Any]:
    """Ask an Optuna trial for a point of ``space``, conditions included (define-by-run)."""
    params: dict[str, Any] = {}
    parents = {c.param: c for c in space.conditions}
    for name in _parents_first(space):
        cond = parents.get(name)
        if cond is not None and (
            cond.parent not in params or params[cond.parent] not in cond.values
        ):
            continue
        dim = space[name]
        if isinstance(dim, Categorical):
            params[name] = trial.suggest_categorical(name, list(dim.choices))
        elif isinstance(dim, Int):
            params[name] = trial.suggest_int(name, dim.low, dim.high, step=dim.step, log=dim.log)
        elif isinstance(dim, Float):
            params[name] = trial.suggest_float(name, dim.low, dim.high, step=dim.step, log=dim.log)
        else:
            raise TypeError(f"{name}: no Optuna counterpart for {dim!r}")
    return params


def _parents_first(space: Space) -> list[str]:
    parent = {c.param: c.parent for c in space.conditions}

    def depth(name: str) -> int:
        return 0 if name not in parent else 1 + depth(parent[name])

    return sorted(space.names, key=depth)
